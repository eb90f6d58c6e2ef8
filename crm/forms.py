from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from crm.models import TIME_ZONE_CHOICES, User
from crm.roles import Role, Visibility, visibility_for


class SignupForm(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Work email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Sign in instead."))
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class ProfileForm(forms.ModelForm):
    """A person's own name, language and time zone (empty: the workspace's)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("Workspace default")), *TIME_ZONE_CHOICES],
        required=False,
        help_text=_("Leave empty to use the workspace's time zone."),
    )

    class Meta:
        model = User
        fields = ["full_name", "language", "time_zone"]
        help_texts = {
            "language": _("Leave empty to use the workspace's language."),
            "time_zone": _("Leave empty to use the workspace's time zone."),
        }


class RecordVisibilityForm(forms.Form):
    """Which records each role sees: all of them, or only those it owns (admins always see all)."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            if role == Role.ADMIN:
                continue
            self.fields[role] = forms.ChoiceField(
                label=label, choices=Visibility.choices, initial=visibility_for(role, current)
            )
