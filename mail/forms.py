"""Forms of the mail app: they parse and check; services save."""

from __future__ import annotations

from typing import Any

import nh3
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from interactions.models import Interaction
from mail import merge
from mail.models import EmailTemplate, MailSettings


class MailSettingsForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_password = forms.BooleanField(label=_("Remove the stored password"), required=False)

    class Meta:
        model = MailSettings
        fields = ["host", "port", "security", "username", "from_name", "from_email", "reply_to", "timeout"]
        help_texts = {
            "host": _("For example smtp.example.com (no smtp:// and no port)."),
            "from_email": _("Emails are sent from this address; Message-IDs use its domain."),
            "reply_to": _("Optional: where replies go if not to the from address (e.g. a shared inbox)."),
            "timeout": _("How long to wait for the server before trying again later."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (
            _("A password is stored (encrypted). Leave blank to keep it.")
            if self.instance.has_password
            else _("Stored encrypted; never shown again.")
        )

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower()
        if "://" in host or "/" in host or " " in host:
            raise ValidationError(_("Enter only the server name, e.g. smtp.example.com."))
        if ":" in host:
            raise ValidationError(_("Enter the port in the Port field, not after the server name."))
        return host

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") and cleaned.get("clear_password"):
            self.add_error("clear_password", _("Either enter a new password or remove the stored one, not both."))
        return cleaned

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _check_merge_fields(form: forms.BaseForm, names: tuple[str, ...], allowed: dict[str, str]) -> None:
    for name in names:
        for problem in merge.problems(form.cleaned_data.get(name) or "", allowed=allowed):
            form.add_error(name, str(problem))


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body", "html_body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}), "html_body": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"html_body": _("Optional. Sent next to the plain text; scripts and styles are removed.")}

    def __init__(self, *args: Any, merge_fields: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.merge_fields = merge_fields

    def clean_html_body(self) -> str:
        html = self.cleaned_data["html_body"].strip()
        return nh3.clean(html) if html else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_merge_fields(self, ("subject", "body", "html_body"), self.merge_fields)
        return cleaned

    def template_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def parse_addresses(text: str, *, field_label: str) -> list[str]:
    """ "a@x.com, b@y.com" (commas, semicolons or new lines) as a list; each address checked."""
    addresses = [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",") if part.strip()]
    wrong = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            wrong.append(address)
    if wrong:
        raise ValidationError(
            _("%(field)s: “%(addresses)s” is not a valid email address.")
            % {"field": field_label, "addresses": "”, “".join(wrong)}
        )
    return list(dict.fromkeys(address.lower() if address.isascii() else address for address in addresses))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _meeting_label(meeting: Interaction) -> str:
    when = date_format(timezone.localtime(meeting.occurred_at), "SHORT_DATETIME_FORMAT")
    return f"{meeting.subject or _('Meeting')} · {when}"


class ComposeForm(forms.Form):
    to = forms.CharField(label=_("To"), max_length=2000)
    cc = forms.CharField(label=_("Cc"), max_length=2000, required=False)
    template: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Template"), queryset=None, required=False, empty_label=_("No template")
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    meeting: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Meeting invitation"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("Attaches a calendar invitation the recipient can accept."),
    )

    def __init__(
        self, *args: Any, merge_fields: dict[str, str], accept: str = "", meetings: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.merge_fields = merge_fields
        self.fields["template"].queryset = EmailTemplate.objects.order_by("name", "id")  # type: ignore[attr-defined]
        self.fields["meeting"].queryset = meetings if meetings is not None else Interaction.objects.none()  # type: ignore[attr-defined]
        self.fields["meeting"].label_from_instance = _meeting_label  # type: ignore[attr-defined]
        if accept:
            self.fields["attachments"].widget.attrs["accept"] = accept

    def clean_to(self) -> list[str]:
        addresses = parse_addresses(self.cleaned_data["to"], field_label=str(_("To")))
        if not addresses:
            raise ValidationError(_("Add at least one recipient."))
        return addresses

    def clean_cc(self) -> list[str]:
        return parse_addresses(self.cleaned_data.get("cc") or "", field_label=str(_("Cc")))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_merge_fields(self, ("subject", "body"), self.merge_fields)
        return cleaned
