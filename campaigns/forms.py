"""Forms of campaigns: static lists and their bulk actions, campaigns, scheduling, test sends, the
suppression list, quiet hours and the public preference page."""

from __future__ import annotations

from typing import Any

import nh3
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import merge
from campaigns.models import Campaign, CampaignSettings, Channel
from campaigns.selectors import static_list_choices
from crm.models import Tenant


class StaticListForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the list a name."))
        return name


class AddToListForm(forms.Form):
    """Pick a list, or name a new one (created when the action runs, found again if it exists)."""

    static_list = forms.ChoiceField(label=gettext_lazy("List"), required=False)
    new_list = forms.CharField(label=gettext_lazy("…or a new list named"), max_length=100, required=False)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        self.fields["static_list"].choices = [("", "—"), *static_list_choices()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["new_list"] = (data.get("new_list") or "").strip()
        if bool(data.get("static_list")) == bool(data["new_list"]):
            self.add_error("static_list", _("Pick a list or name a new one (not both)."))
        return data


class RemoveFromListForm(forms.Form):
    static_list = forms.ChoiceField(label=gettext_lazy("List"))

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        self.fields["static_list"].choices = [("", "—"), *static_list_choices()]  # type: ignore[attr-defined]


# --- Campaigns ----------------------------------------------------------------------------------


def _id_list(values: Any) -> list[int]:
    return sorted({int(value) for value in values or [] if str(value).isdigit()})


class CampaignForm(forms.ModelForm):
    """The campaign's audience, content and sending options (one page, in sections)."""

    segment_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Segments"), required=False, widget=forms.CheckboxSelectMultiple
    )
    list_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Static lists"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exclude_segment_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Leave out segments"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exclude_list_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Leave out static lists"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "channel", "subject", "html_body", "text_body", "sms_body", "from_name", "from_email",
            "throttle_per_minute", "ab_enabled", "ab_subject_b", "ab_html_body_b", "ab_sms_body_b",
            "ab_sample_percent", "ab_metric", "ab_wait_hours",
        ]  # fmt: skip
        widgets = {
            "html_body": forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
            "text_body": forms.Textarea(attrs={"rows": 5}),
            "sms_body": forms.Textarea(attrs={"rows": 4}),
            "ab_html_body_b": forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
            "ab_sms_body_b": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "html_body": gettext_lazy(
                'Merge fields such as {{ first_name|default:"there" }}. Links are tracked; an unsubscribe link is '
                "added at the bottom unless you place {{ unsubscribe_url }} yourself."
            ),
            "text_body": gettext_lazy("Optional: made from the HTML when left empty."),
            "from_email": gettext_lazy("Optional: the workspace's email settings are used when empty."),
            "throttle_per_minute": gettext_lazy("0 sends as fast as the server takes them."),
            "ab_sample_percent": gettext_lazy("Half of the sample gets A, half gets B; the rest gets the winner."),
        }

    def __init__(self, *args: Any, merge_fields: dict[str, str], segment_choices: list[tuple[str, str]],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.merge_fields = merge_fields
        lists = static_list_choices()
        for name in ("segment_ids", "exclude_segment_ids"):
            self.fields[name].choices = segment_choices  # type: ignore[attr-defined]
        for name in ("list_ids", "exclude_list_ids"):
            self.fields[name].choices = lists  # type: ignore[attr-defined]
        if self.instance.pk:
            for name in ("segment_ids", "list_ids", "exclude_segment_ids", "exclude_list_ids"):
                self.initial[name] = [str(value) for value in getattr(self.instance, name)]

    def clean_html_body(self) -> str:
        html = (self.cleaned_data.get("html_body") or "").strip()
        return nh3.clean(html, attributes=_ALLOWED_ATTRIBUTES) if html else ""

    def clean_ab_html_body_b(self) -> str:
        html = (self.cleaned_data.get("ab_html_body_b") or "").strip()
        return nh3.clean(html, attributes=_ALLOWED_ATTRIBUTES) if html else ""

    def clean_sms_body(self) -> str:
        from sms.services import clean_body

        return clean_body(self.cleaned_data.get("sms_body") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("segment_ids", "list_ids", "exclude_segment_ids", "exclude_list_ids"):
            data[name] = _id_list(data.get(name))
        for name in (
            "subject",
            "html_body",
            "text_body",
            "sms_body",
            "ab_subject_b",
            "ab_html_body_b",
            "ab_sms_body_b",
        ):
            for problem in merge.problems(data.get(name) or "", allowed=self.merge_fields):
                self.add_error(name, problem)
        if data.get("channel") == Channel.SMS and data.get("sms_body"):
            from sms.services import sms_body_problem

            sms_problem = sms_body_problem(data["sms_body"])
            if sms_problem:
                self.add_error("sms_body", sms_problem)
        sample = data.get("ab_sample_percent")
        if data.get("ab_enabled") and sample is not None and not 2 <= sample <= 50:
            self.add_error("ab_sample_percent", _("Choose a sample between 2% and 50% of the audience."))
        return data

    def campaign_data(self) -> dict[str, Any]:
        names = [*self.Meta.fields, "segment_ids", "list_ids", "exclude_segment_ids", "exclude_list_ids"]
        return {name: self.cleaned_data[name] for name in names}


_ALLOWED_ATTRIBUTES = {
    "*": {"style", "class", "align", "width", "height"},
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title"},
}


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, zone: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_send_at(self) -> Any:
        value = self.cleaned_data["send_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value, self.zone)
        else:  # the form field made it aware in the active (user's) zone: read the wall time in the tenant's
            value = timezone.make_aware(timezone.make_naive(value), self.zone)
        if value <= timezone.now():
            raise forms.ValidationError(_("Pick a time in the future, or send now."))
        return value


class TestSendForm(forms.Form):
    to = forms.EmailField(label=gettext_lazy("Send a test to"))


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    address = forms.CharField(label=gettext_lazy("Email address or phone number"), max_length=320)
    note = forms.CharField(label=gettext_lazy("Why"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        address = (data.get("address") or "").strip()
        if data.get("channel") == Channel.EMAIL and address:
            from django.core.validators import validate_email

            try:
                validate_email(address)
            except forms.ValidationError:
                self.add_error("address", _("Enter a valid email address."))
        elif data.get("channel") == Channel.SMS and address:
            from sms.numbers import textable_number

            try:
                data["address"] = textable_number(address, region=self.region)
            except forms.ValidationError as error:
                self.add_error("address", error)
        return data

    def __init__(self, *args: Any, region: str = "US", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region


class QuietHoursForm(forms.ModelForm):
    class Meta:
        model = CampaignSettings
        fields = ["sms_quiet_start", "sms_quiet_end"]
        widgets = {
            "sms_quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "sms_quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "sms_quiet_end": gettext_lazy("SMS campaigns wait outside this window. Equal times: no quiet hours.")
        }


class PreferencesForm(forms.Form):
    email = forms.BooleanField(
        label=gettext_lazy("Email news and offers"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
    sms = forms.BooleanField(
        label=gettext_lazy("Text messages (SMS)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
    )
