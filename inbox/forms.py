"""Forms of the inbox settings page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import InboundStatus, InboxSettings


class ImapSettingsForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved password."),
    )

    class Meta:
        model = InboxSettings
        fields = ["imap_enabled", "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder"]
        help_texts = {
            "imap_enabled": _("Check the mailbox every few minutes and log what arrives."),
            "imap_folder": _("Usually INBOX. Messages are only read, never moved or marked as seen."),
        }

    def clean_imap_host(self) -> str:
        host = self.cleaned_data["imap_host"].strip()
        if any(char in host for char in "/ :@"):
            raise forms.ValidationError(_("Enter a host name only, like imap.example.com (no scheme, port or path)."))
        return host

    def clean_imap_port(self) -> int:
        port = self.cleaned_data["imap_port"]
        if not 1 <= port <= 65535:
            raise forms.ValidationError(_("A port is a number from 1 to 65535."))
        return port

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("imap_enabled"):
            for name in ("imap_host", "imap_username"):
                if not data.get(name):
                    self.add_error(name, _("Needed to poll the mailbox."))
            if not data.get("password") and not self.instance.has_imap_password:
                self.add_error("password", _("Needed to poll the mailbox."))
        return data

    def settings_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *InboundStatus.choices]
    )
