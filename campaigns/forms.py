"""Static list forms: the list itself, and the fields of the "add to / remove from list" bulk actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
