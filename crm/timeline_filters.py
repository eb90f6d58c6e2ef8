"""The one query condition every timeline source needs: "strictly before this position"."""

from __future__ import annotations

from django.db.models import F, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan

from crm.timeline import TimelinePosition


def before_position(before: TimelinePosition | None, *, source: str, at_field: str) -> Q:
    """Rows of ``source`` that sort strictly after ``before`` in newest-first order."""
    if before is None:
        return Q()
    if source > before.source:  # same instant: this source sorts later, so it was already shown
        return Q(**{f"{at_field}__lt": before.at})
    if source < before.source:
        return Q(**{f"{at_field}__lte": before.at})
    return Q(TupleLessThan(Tuple(F(at_field), F("id")), (before.at, before.key)))
