"""Forms of the customer channels: they parse and check; services save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from service_desk.attachments import IncomingFile, check, incoming
from support.models import SupportSettings

HONEYPOT_FIELD = "website"  # people never see it; form-filling bots do


def _checked_file(upload: UploadedFile | None) -> IncomingFile | None:
    if not upload:
        return None
    item = incoming(upload)
    try:
        check(item)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    return item


class WebTicketForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Your email"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("How can we help?"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_attachment(self) -> IncomingFile | None:
        return _checked_file(self.cleaned_data.get("attachment"))

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())


class PortalReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)

    def clean_attachment(self) -> IncomingFile | None:
        return _checked_file(self.cleaned_data.get("attachment"))


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the help you received?"),
        choices=[
            (5, _("5 · Excellent")),
            (4, _("4 · Good")),
            (3, _("3 · Okay")),
            (2, _("2 · Poor")),
            (1, _("1 · Very poor")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to add? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SupportSettingsForm(forms.ModelForm):
    class Meta:
        model = SupportSettings
        fields = [
            "web_form_enabled",
            "auto_reply_enabled",
            "auto_reply_subject",
            "auto_reply_body",
            "auto_reply_limit_per_hour",
            "closed_reply_policy",
            "csat_enabled",
            "csat_delay_hours",
        ]
        widgets = {"auto_reply_body": forms.Textarea(attrs={"rows": 7})}
        help_texts = {
            "auto_reply_body": _(
                "Placeholders: {name} (the customer's first name), {number}, {subject} and {link} "
                "(their page to follow and answer the ticket)."
            ),
            "auto_reply_limit_per_hour": _(
                "Acknowledgments, confirmations and surveys together; stops mail loops with other robots."
            ),
            "csat_delay_hours": _("A ticket reopened within this time gets no survey for that solve."),
        }

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NpsSurveyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    segment: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Send to the segment"), queryset=None)  # type: ignore[arg-type]
    question = forms.CharField(label=_("Question"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from segments.models import Segment
        from support.models import DEFAULT_NPS_QUESTION

        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name", "id")  # type: ignore[attr-defined]
        self.fields["question"].initial = DEFAULT_NPS_QUESTION


class NpsAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your score (0 = not at all likely, 10 = extremely likely)"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
