"""The merge screen's form: a survivor/merged radio per differing field, and the versions seen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.duplicates.merge import MERGED, SURVIVOR, PlanRow


class MergeForm(forms.Form):
    survivor_version = forms.IntegerField(widget=forms.HiddenInput)
    merged_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, plan: list[PlanRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        for row in plan:
            if row.differs:
                self.fields[self.field_name(row.key)] = forms.ChoiceField(
                    label=row.label,
                    choices=[(SURVIVOR, _("Keep")), (MERGED, _("Take"))],
                    widget=forms.RadioSelect,
                    initial=row.default,
                    required=False,  # not posted: the default (non-empty, most recent)
                )

    @staticmethod
    def field_name(key: str) -> str:
        return f"choice_{key}"

    def choices(self) -> dict[str, str]:
        chosen = {row.key: self.cleaned_data.get(self.field_name(row.key)) for row in self.plan if row.differs}
        return {key: side for key, side in chosen.items() if side}

    def selected(self, row: PlanRow) -> str:
        """The side shown as chosen: what was posted, else the default."""
        if self.is_bound:
            value = self.data.get(self.field_name(row.key))
            if value in (SURVIVOR, MERGED):
                return str(value)
        return row.default
