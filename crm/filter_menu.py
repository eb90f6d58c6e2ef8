"""The "More filters" menu of a list: groups of small inputs beside the main filter row.

A django-filter FilterSet mixes in ``MoreFiltersMixin`` and calls ``add_filter_group`` for each
group after ``super().__init__``; the template (templates/includes/_more_filters.html) renders the
groups with the values in use, and the button counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class FilterInput:
    """One input of the menu: its query parameter, placeholder and, for selects, the options."""

    name: str
    label: str
    kind: str  # "text", "number", "date" or "select"
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""


@dataclass(frozen=True)
class FilterGroup:
    label: str
    inputs: list[FilterInput]


class MoreFiltersMixin:
    data: Any

    def add_filter_group(self, label: str, inputs: list[FilterInput]) -> None:
        if not hasattr(self, "more_filter_groups"):
            self.more_filter_groups: list[FilterGroup] = []
        data = getattr(self, "data", None) or {}
        inputs = [replace(item, value=str(data.get(item.name) or "")) for item in inputs]
        self.more_filter_groups.append(FilterGroup(label=label, inputs=inputs))

    @property
    def more_filters_in_use(self) -> int:
        groups = getattr(self, "more_filter_groups", [])
        return sum(1 for group in groups for item in group.inputs if item.value)
