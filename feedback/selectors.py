"""Reads of product feedback: the items on a ticket or interaction, and the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from customers.models import Contact, Order, OrderStatus
from feedback.models import FeedbackItem, FeedbackKind, ProductArea

CUSTOMERS_SHOWN = 25


def items_for(*, ticket_id: int | None = None, interaction_id: int | None = None) -> QuerySet[FeedbackItem]:
    items = FeedbackItem.objects.select_related("area", "created_by")
    if ticket_id is not None:
        return items.filter(ticket_id=ticket_id)
    return items.filter(interaction_id=interaction_id)


def active_areas() -> QuerySet[ProductArea]:
    return ProductArea.objects.filter(is_active=True).order_by("name")


def areas_with_counts() -> QuerySet[ProductArea]:
    return ProductArea.objects.annotate(item_count=Count("items")).order_by("-is_active", "name")


@dataclass
class Report:
    kinds: list[tuple[str, Any]]
    rows: list[dict[str, Any]]  # per area: name, counts per kind, total
    totals: dict[str, int]
    months: list[str]
    trend: dict[str, list[int]]  # kind -> count per month
    customers: list[Contact]


def _month_starts(since: date, until: date) -> list[date]:
    months, current = [], since.replace(day=1)
    while current <= until:
        months.append(current)
        current = date(current.year + (current.month == 12), current.month % 12 + 1, 1)
    return months


def feedback_report(
    *, area_id: int | None = None, kind: str = "", months: int = 12, now: datetime | None = None
) -> Report:
    """Counts by area and kind, the monthly trend of the last ``months`` months, and the customers asking
    most with their order value and churn risk. Four queries."""
    now = now or timezone.now()
    items = FeedbackItem.objects.all()
    if area_id:
        items = items.filter(area_id=area_id)
    if kind:
        items = items.filter(kind=kind)
    kinds = list(FeedbackKind.choices)

    counts = items.values("area_id", "area__name", "kind").annotate(n=Count("id")).order_by("area__name")
    by_area: dict[int, dict[str, Any]] = {}
    totals = {value: 0 for value, _label in kinds}
    for row in counts:
        entry = by_area.setdefault(
            row["area_id"], {"id": row["area_id"], "name": row["area__name"], "total": 0, **{v: 0 for v, _l in kinds}}
        )
        entry[row["kind"]] += row["n"]
        entry["total"] += row["n"]
        totals[row["kind"]] += row["n"]
    rows = sorted(by_area.values(), key=lambda entry: (-entry["total"], entry["name"].lower()))

    local_now = timezone.localtime(now)
    month_number = local_now.year * 12 + local_now.month - 1 - (months - 1)
    first = date(month_number // 12, month_number % 12 + 1, 1)
    month_list = _month_starts(first, local_now.date())
    trend = {value: [0] * len(month_list) for value, _label in kinds}
    index = {month: i for i, month in enumerate(month_list)}
    monthly = (
        items.filter(created_at__gte=datetime.combine(first, time.min, tzinfo=local_now.tzinfo))
        .annotate(month=TruncMonth("created_at"))
        .values("month", "kind")
        .annotate(n=Count("id"))
    )
    for row in monthly:
        position = index.get(timezone.localtime(row["month"]).date())
        if position is not None:
            trend[row["kind"]][position] += row["n"]

    asking = (
        items.filter(contact__isnull=False)
        .values("contact_id")
        .annotate(n=Count("id"), last=Max("created_at"))
        .order_by("-n", "-last", "contact_id")[:CUSTOMERS_SHOWN]
    )
    stats = {row["contact_id"]: row for row in asking}
    order_value = (
        Order.objects.filter(contact_id=OuterRef("pk"))
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        .values("contact_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    customers = list(
        Contact.objects.filter(pk__in=list(stats))
        .annotate(order_value=Coalesce(Subquery(order_value, output_field=DecimalField()), Value(Decimal("0"))))
        .select_related("score", "account")
    )
    for contact in customers:
        contact.feedback_count = stats[contact.pk]["n"]  # type: ignore[attr-defined]
        contact.last_feedback_at = stats[contact.pk]["last"]  # type: ignore[attr-defined]
    customers.sort(key=lambda c: (-c.feedback_count, -c.order_value, c.pk))  # type: ignore[attr-defined]
    return Report(
        kinds=kinds,
        rows=rows,
        totals=totals,
        months=[month.strftime("%Y-%m") for month in month_list],
        trend=trend,
        customers=customers,
    )
