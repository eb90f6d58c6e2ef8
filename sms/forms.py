"""Forms of the SMS app: they parse and normalise; the services decide and write."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant
from sms.models import BACKEND_DESCRIPTIONS, BackendKind, SmsDirection, SmsMessage, SmsSettings, SmsStatus
from sms.numbers import normalize_sender, textable_number


class SmsSettingsForm(forms.Form):
    backend = forms.ChoiceField(
        label=_("Send through"), choices=list(BACKEND_DESCRIPTIONS.items()), widget=forms.RadioSelect
    )
    gateway_url = forms.URLField(
        label=_("Gateway URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Where the CRM POSTs each message, e.g. https://sms.example.com/v1/messages."),
    )
    gateway_token = forms.CharField(
        label=_("Gateway token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Sent as “Authorization: Bearer …”. Stored encrypted and never shown again."),
    )
    sender_id = forms.CharField(
        label=_("Sender"),
        required=False,
        max_length=20,
        help_text=_("The number messages come from, in international format (+14155550100), or a name of at "
                    "most 11 letters and digits (ACME) where your provider allows it."),
    )  # fmt: skip

    def __init__(self, *args: Any, tenant: Tenant, current: SmsSettings | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.current = current
        if current is not None and current.has_gateway_token:
            self.fields["gateway_token"].help_text = _(
                "A token is saved (encrypted). Leave this empty to keep it, or enter a new one to replace it."
            )

    def clean_gateway_url(self) -> str:
        url: str = self.cleaned_data["gateway_url"]
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Use an http:// or https:// address."))
        return url

    def clean_sender_id(self) -> str:
        return normalize_sender(self.cleaned_data["sender_id"], region=self.tenant.country)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("backend") == BackendKind.HTTP:
            if not cleaned.get("gateway_url") and "gateway_url" not in self.errors:
                self.add_error("gateway_url", _("Enter the gateway's URL to send through an HTTP gateway."))
            has_token = bool(cleaned.get("gateway_token")) or bool(self.current and self.current.has_gateway_token)
            if not has_token:
                self.add_error("gateway_token", _("Enter the token your SMS provider gave you."))
            if not cleaned.get("sender_id") and "sender_id" not in self.errors:
                self.add_error("sender_id", _("Enter the number or name messages are sent from."))
        return cleaned

    def new_token(self) -> str | None:
        """The token to save; None keeps the saved one."""
        return self.cleaned_data.get("gateway_token") or None


class SmsTestForm(forms.Form):
    to = forms.CharField(
        label=_("Send a test SMS to"),
        max_length=32,
        help_text=_("Your own mobile number. The message says it is a test; it is not logged."),
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_to(self) -> str:
        return textable_number(self.cleaned_data["to"], region=self.tenant.country)


class SmsComposeForm(forms.Form):
    """The message to a contact; the number is the contact's own (sms_send checks it and the consent)."""

    body = forms.CharField(
        label=_("Message"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 1530}),  # the server checks the real limit (parts)
    )
    # Set when the form is shown: a double click or a resubmitted form sends once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", f"compose-{uuid.uuid4()}")
        super().__init__(*args, **kwargs)


class SmsMessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SmsStatus.choices, label=_("Status"), empty_label=_("Any status"))
    direction = django_filters.ChoiceFilter(
        choices=SmsDirection.choices, label=_("Direction"), empty_label=_("Sent and received")
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Number or text"))

    class Meta:
        model = SmsMessage
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[SmsMessage], name: str, value: str) -> QuerySet[SmsMessage]:
        value = value.strip()
        if not value:
            return queryset
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(body__icontains=value)
        if digits:
            condition |= Q(to_number__contains=digits) | Q(from_number__contains=digits)
        return queryset.filter(condition)
