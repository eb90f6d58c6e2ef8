"""Sort expressions shared by the list sort options (customers/sorts.py) and the indexes that
serve them (customers/models.py): PostgreSQL reads an expression index only for the same expression.

A row-value comparison with NULL is NULL, so nullable columns sort through a sentinel that
orders where an empty value belongs (no employee count last when largest first, no close date
last when soonest first).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, DateField, DecimalField, F, FloatField, IntegerField, Value, When
from django.db.models.functions import Coalesce

# customers.models.LifecycleStage in funnel order (this module cannot import the models).
LIFECYCLE_FUNNEL = ("lead", "prospect", "customer", "churned")
NO_CLOSE_DATE = datetime.date(9999, 12, 31)


def lifecycle_rank() -> Case:
    """The contact's place in the funnel: lead 0, prospect 1, customer 2, churned 3, anything else 4."""
    return Case(
        *(When(lifecycle_stage=stage, then=Value(rank)) for rank, stage in enumerate(LIFECYCLE_FUNNEL)),
        default=Value(len(LIFECYCLE_FUNNEL)),
        output_field=IntegerField(),
    )


def employees_or_none() -> Coalesce:
    """Employee count, -1 when unknown (sorted last when largest first)."""
    return Coalesce(F("employees"), Value(-1), output_field=IntegerField())


def close_date_or_never() -> Coalesce:
    """Expected close date, 9999-12-31 when there is none (sorted last when soonest first)."""
    return Coalesce(F("expected_close_date"), Value(NO_CLOSE_DATE), output_field=DateField())


def churn_or_none(path: str = "score__churn_probability") -> Coalesce:
    """Churn probability, -1 when the run gave none (sorted last when riskiest first). The default path
    reads it from a contact; analytics.ContactScore indexes the same expression on its own column."""
    return Coalesce(F(path), Value(-1.0), output_field=FloatField())


def value_or_none(path: str = "score__predicted_value") -> Coalesce:
    """Predicted value, -1 when the run gave none (sorted last when most valuable first)."""
    return Coalesce(F(path), Value(Decimal(-1)), output_field=DecimalField(max_digits=14, decimal_places=2))
