"""Forms of the integrations pages: a new API key (scopes per resource) and a webhook endpoint."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import User
from integrations.models import ScopeLevel
from integrations.webhooks import EVENTS


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The system that will use it, e.g. “ERP sync”.")
    )
    user = forms.ModelChoiceField(
        label=_("Acts as"), queryset=User.objects.none(),
        help_text=_("The key can do what this member's role and record visibility allow, narrowed by its scopes."),
    )  # fmt: skip
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a key that does not expire."),
    )  # fmt: skip

    def __init__(self, *args: Any, members: Any, resources: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members  # type: ignore[attr-defined]
        self.resources = resources
        for resource, label in resources.items():
            self.fields[f"scope_{resource}"] = forms.ChoiceField(
                label=label, choices=ScopeLevel.choices, required=False, initial=ScopeLevel.NONE
            )

    def scopes(self) -> dict[str, str]:
        return {resource: self.cleaned_data.get(f"scope_{resource}") or "" for resource in self.resources}

    def scope_fields(self) -> list[forms.BoundField]:
        return [self[f"scope_{resource}"] for resource in self.resources]


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple,
        choices=[(key, label) for key, label in EVENTS.items() if key != "ping"],
    )  # fmt: skip
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
