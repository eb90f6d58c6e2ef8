from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from crm.models import Membership


class TenantCreateForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"), max_length=60, required=False, help_text=_("Lower-case letters, digits and dashes.")
    )
    admin_email = forms.EmailField(label=_("First admin's email"), help_text=_("They get an invitation by email."))

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_slug(self) -> str:
        slug = slugify(self.cleaned_data.get("slug") or "")
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("slug") and data.get("name"):
            data["slug"] = slugify(data["name"])[:60]
            if not data["slug"]:
                self.add_error("slug", _("Choose a short name in Latin letters."))
        return data


class DeleteTenantForm(forms.Form):
    confirm_slug = forms.CharField(label=_("Type the short name to confirm"), max_length=60)


class ImpersonateForm(forms.Form):
    membership = forms.ModelChoiceField(label=_("Admin"), queryset=Membership.objects.none(), empty_label=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Written to the workspace's audit history."),
    )

    def __init__(self, *args: Any, admins: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        field.queryset = admins  # type: ignore[attr-defined]
        field.label_from_instance = lambda m: f"{m.user.display_name} <{m.user.email}>"  # type: ignore[attr-defined]

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError(_("Say why you need to act as this admin."))
        return reason
