"""Forms of workspace administration: they parse and normalise; services decide."""

from __future__ import annotations

import re
from typing import Any

import pycountry
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import TIME_ZONE_CHOICES, Team, Tenant, User
from crm.roles import Role
from workspace.services import ReassignRule

LOGO_MAX_BYTES = 256 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
BRAND_COLOR = re.compile(r"^#[0-9a-f]{6}$")

CURRENCY_CHOICES = sorted(
    ((currency.alpha_3, f"{currency.alpha_3} · {currency.name}") for currency in pycountry.currencies),
    key=lambda choice: choice[0],
)
COUNTRY_CHOICES = sorted(
    ((country.alpha_2, f"{country.name} ({country.alpha_2})") for country in pycountry.countries),
    key=lambda choice: choice[1],
)


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    support_email = forms.EmailField(
        label=_("Support email"), required=False, help_text=_("Shown to customers in emails and surveys.")
    )
    default_currency = forms.ChoiceField(label=_("Default currency"), choices=CURRENCY_CHOICES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TIME_ZONE_CHOICES, help_text=_("People without their own time zone use it.")
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=COUNTRY_CHOICES,
        help_text=_("Phone numbers without a country code are read as this country's."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, help_text=_("People without their own language see this one.")
    )
    brand_color = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "#2563eb"}),
        help_text=_("A hex colour like #0f766e, used for highlights in the sidebar and buttons. Empty: the default."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("The company needs a name."))
        return name

    def clean_legal_name(self) -> str:
        return " ".join(self.cleaned_data["legal_name"].split())

    def clean_support_email(self) -> str:
        return str(self.cleaned_data["support_email"]).strip().lower()

    def clean_brand_color(self) -> str:
        value = self.cleaned_data["brand_color"].strip().lower()
        if value and not value.startswith("#"):
            value = f"#{value}"
        if value and not BRAND_COLOR.match(value):
            raise forms.ValidationError(_("Enter a colour as # and six hex digits, for example #0f766e."))
        return value


def sniff_logo(content: bytes) -> str | None:
    """The content type of a PNG or JPEG by its leading bytes; None for anything else (SVG included)."""
    return next((kind for magic, kind in LOGO_TYPES.items() if content.startswith(magic)), None)


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"), help_text=_("PNG or JPEG, at most 256 KB. Shown at the top of the sidebar.")
    )

    def clean_logo(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["logo"]
        name = (upload.name or "").lower()
        if name.endswith((".svg", ".svgz")) or "svg" in (upload.content_type or ""):
            raise forms.ValidationError(_("SVG logos are not accepted: they can carry scripts. Upload a PNG or JPEG."))
        if (upload.size or 0) > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 256 KB. Upload a smaller image."))
        content = upload.read(LOGO_MAX_BYTES + 1)
        if len(content) > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 256 KB. Upload a smaller image."))
        kind = sniff_logo(content)
        if kind is None:
            raise forms.ValidationError(_("This is not a PNG or JPEG image."))
        self.cleaned_data["content"], self.cleaned_data["content_type"] = content, kind
        return upload


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES)
    teams: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.unscoped_objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class DeactivateForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("Hand their open records to"),
        choices=[
            (ReassignRule.USER, _("One person")),
            (ReassignRule.ROUND_ROBIN, _("Their teammates, in turn (round robin)")),
        ],
        initial=ReassignRule.USER,
        widget=forms.RadioSelect,
    )
    to_user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, tenant: Tenant, member: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = _active_members(tenant).exclude(pk=member.pk)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("rule") == ReassignRule.USER and not cleaned.get("to_user"):
            self.add_error("to_user", _("Choose who takes over the records."))
        return cleaned


def _active_members(tenant: Tenant) -> QuerySet[User]:
    return User.objects.filter(memberships__tenant=tenant, memberships__is_active=True, is_active=True).order_by(
        "full_name", "email"
    )


class AcceptInvitationForm(forms.Form):
    """A new person's name and password, checked by the site's password validators."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
