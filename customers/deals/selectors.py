"""Reads of pipelines and deals: the board, the forecast, a deal's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, Count, DecimalField, F, Prefetch, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Account, Contact, Deal, DealStageChange, ExchangeRate, Pipeline, Stage, StageKind
from customers.selectors import contact_search_filter

# Won and lost deals stay on the board this long after closing, then only the detail pages show them.
CLOSED_ON_BOARD_DAYS = 30
# A column shows this many cards and counts the rest; the forecast and lists cover them all.
CARDS_PER_COLUMN = 50
FORECAST_MONTHS = 6
CENT = Decimal("0.01")


@dataclass
class Column:
    stage: Stage
    deals: list[Deal] = field(default_factory=list)  # the first CARDS_PER_COLUMN
    count: int = 0  # all of the column's deals
    total: Decimal = Decimal("0")

    @property
    def weighted(self) -> Decimal:
        return (self.total * self.stage.win_probability / 100).quantize(CENT)

    @property
    def hidden(self) -> int:
        return self.count - len(self.deals)


def pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.order_by("position", "id"))


def pipeline_stages(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))


def board_columns(*, pipeline: Pipeline, stages: list[Stage]) -> list[Column]:
    """One column per stage: its count and total, and its first cards by expected close date.

    Open deals, and won or lost ones closed recently. Two queries whatever the number of deals.
    """
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    since = timezone.now() - timedelta(days=CLOSED_ON_BOARD_DAYS)
    on_board = Deal.objects.filter(pipeline=pipeline).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
    for stage_id, count, total in on_board.values_list("stage").annotate(Count("id"), Sum("amount")).order_by():
        if stage_id in columns:
            columns[stage_id].count, columns[stage_id].total = count, total or Decimal("0")
    card_order = [F("expected_close_date").asc(nulls_last=True), F("id").asc()]
    cards = (
        on_board.annotate(rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=card_order))
        .filter(rank__lte=CARDS_PER_COLUMN)
        .select_related("account", "contact", "owner")
        .order_by(*card_order)
    )
    for deal in cards:
        if deal.stage_id in columns:
            columns[deal.stage_id].deals.append(deal)
    return list(columns.values())


def deals_for_detail() -> QuerySet[Deal]:
    return Deal.objects.select_related("pipeline", "stage", "owner", "contact", "account", "updated_by")


def deal_for_move() -> QuerySet[Deal]:
    return Deal.objects.select_related("pipeline", "stage")


def stage_history(deal: Deal) -> list[DealStageChange]:
    return list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("-changed_at", "-id")
    )


def open_deals_for(*, contact: Contact | None = None, account: Account | None = None) -> list[Deal]:
    """Open deals of a contact or an account, soonest expected close first (their detail pages)."""
    deals = Deal.objects.filter(stage__kind=StageKind.OPEN)
    if contact is not None:
        deals = deals.filter(contact=contact)
    if account is not None:
        deals = deals.filter(account=account)
    return list(
        deals.select_related("stage", "pipeline", "owner").order_by(F("expected_close_date").asc(nulls_last=True), "id")
    )


def contact_options(query: str, *, limit: int = 20) -> list[Contact]:
    """Contacts for a lookup box: every word starts a name or the email, else the first by name."""
    contacts = Contact.objects.only("first_name", "last_name", "email")
    if query.strip():
        contacts = contacts.filter(contact_search_filter(query))  # index-served prefix ranges under RLS
    return list(contacts.order_by("last_name", "first_name", "id")[:limit])


@dataclass(frozen=True)
class ForecastRow:
    owner: str
    amounts: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, Decimal("0"))


@dataclass(frozen=True)
class LeftOut:
    """Open deals in a currency with no exchange rate: shown apart, never added to other money."""

    currency: str
    deals: int
    weighted: Decimal


@dataclass(frozen=True)
class Forecast:
    columns: list[str]  # "Overdue", the next months, "Later or no date"
    rows: list[ForecastRow]  # one per owner
    totals: list[Decimal]  # one per column
    currency: str = ""  # every amount is in this currency (the tenant's default)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.totals, Decimal("0"))


def _month_starts(today: date, count: int) -> list[date]:
    months = [today.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    return months


def weighted_forecast(*, currency: str, today: date | None = None) -> Forecast:
    """Open deals' amount times stage win probability, by expected close month and by owner, in
    ``currency`` (the tenant's default): other currencies convert at the admin's exchange rates, and
    those without a rate are counted apart in ``left_out``.

    One grouped query; a deal whose close date has passed counts as overdue.
    """
    today = today or timezone.localdate()
    months = _month_starts(today, FORECAST_MONTHS)
    month_index = {month: index + 1 for index, month in enumerate(months)}
    later = len(months) + 1
    grouped = (
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .annotate(
            overdue=Case(
                When(expected_close_date__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            month=TruncMonth("expected_close_date"),
        )
        .values("owner_id", "owner__full_name", "owner__email", "overdue", "month", "currency")
        .annotate(
            weighted=Sum(
                F("amount") * F("stage__win_probability") / Value(Decimal(100)),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
            deals=Count("id"),
        )
        .order_by()
    )
    rates = exchange_rates(currency)
    by_owner: dict[Any, tuple[str, list[Decimal]]] = {}
    left_out: dict[str, list[Any]] = {}
    for group in grouped:
        rate = rates.get(group["currency"])
        if rate is None:
            tally = left_out.setdefault(group["currency"], [0, Decimal("0")])
            tally[0] += group["deals"]
            tally[1] += group["weighted"] or Decimal("0")
            continue
        group["weighted"] = (group["weighted"] or Decimal("0")) * rate
        index = 0 if group["overdue"] else month_index.get(group["month"], later)
        name = group["owner__full_name"] or (group["owner__email"] or "").split("@")[0] or _("No owner")
        amounts = by_owner.setdefault(group["owner_id"], (name, [Decimal("0")] * (later + 1)))[1]
        amounts[index] += group["weighted"] or Decimal("0")
    rows = sorted(
        (
            ForecastRow(owner=name, amounts=[amount.quantize(CENT) for amount in amounts])
            for name, amounts in by_owner.values()
        ),
        key=lambda row: (-row.total, row.owner),
    )
    totals = [sum((row.amounts[index] for row in rows), Decimal("0")) for index in range(later + 1)]
    columns = [_("Overdue"), *(month.strftime("%Y-%m") for month in months), _("Later or no date")]
    skipped = [LeftOut(code, deals, weighted.quantize(CENT)) for code, (deals, weighted) in sorted(left_out.items())]
    return Forecast(columns=columns, rows=rows, totals=totals, currency=currency, left_out=skipped)


def exchange_rates(default_currency: str) -> dict[str, Decimal]:
    """Currency → value of one unit in ``default_currency`` (which is 1), for every rate the tenant set."""
    rates = {rate.currency: rate.rate for rate in ExchangeRate.objects.all()}
    rates[default_currency] = Decimal(1)
    return rates


def deals_for_api() -> QuerySet[Deal]:
    return Deal.objects.select_related("stage", "pipeline")


def pipelines_with_stages() -> list[Pipeline]:
    return list(
        Pipeline.objects.prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position"))).order_by(
            "position", "id"
        )
    )
