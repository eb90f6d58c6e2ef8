"""Forms of the privacy app: confirming an erasure and a retention rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import RetentionKind


class EraseConfirmForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the contact's name to confirm"), max_length=300)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm_name(self) -> str:
        value = " ".join(self.cleaned_data["confirm_name"].split())
        if value.casefold() != " ".join(self.expected.split()).casefold():
            raise forms.ValidationError(_("That is not the contact's name; nothing was erased."))
        return value


class RetentionRuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Rule"), choices=RetentionKind.choices)
    months = forms.IntegerField(
        label=_("Months"),
        min_value=1,
        max_value=600,
        error_messages={"min_value": _("Keep data for at least one month; a rule of zero would delete everything.")},
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
