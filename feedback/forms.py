"""Forms of product feedback."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import FeedbackKind, ProductArea


class ProductAreaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class FeedbackForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.unscoped_objects.none())
    kind = forms.ChoiceField(label=_("Type"), choices=FeedbackKind.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = ProductArea.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]


class ReportFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("Product area"),
        queryset=ProductArea.unscoped_objects.none(),
        required=False,
        empty_label=_("All areas"),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=[("", _("All types")), *FeedbackKind.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = ProductArea.objects.order_by("name")  # type: ignore[attr-defined]
