"""Reads of the customer channels: the support addresses, a ticket's public conversation and the
satisfaction report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.models import Tenant
from service_desk.models import MessageKind, Ticket, TicketAttachment, TicketMessage
from support.models import CsatSurvey

SUPPORT_LOCAL_PART = "support"
REPORT_MONTHS = 12


def support_dropbox_address(tenant: Tenant) -> str:
    """``support+<inbox token>@<inbound domain>``: the workspace's support address when no queue has
    its own. The inbox's dropbox token names the workspace; the local part says "for the desk"."""
    from inbox.services import inbound_domain, inbox_route_for

    return f"{SUPPORT_LOCAL_PART}+{inbox_route_for(tenant).token}@{inbound_domain()}"


def public_messages(ticket: Ticket) -> QuerySet[TicketMessage]:
    """What the customer may see of a ticket: their messages and public replies, never internal notes."""
    return (
        TicketMessage.objects.filter(ticket=ticket, kind__in=(MessageKind.CUSTOMER, MessageKind.REPLY))
        .select_related("author_user")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "id")))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class CsatRow:
    label: str
    answers: int
    satisfied: int
    average: float | None
    month: date | None = None

    @property
    def csat(self) -> float | None:
        return round(100 * self.satisfied / self.answers, 1) if self.answers else None


@dataclass(frozen=True)
class CsatReport:
    since: datetime
    overall: CsatRow
    sent: int
    by_agent: list[CsatRow]
    by_queue: list[CsatRow]
    by_month: list[CsatRow]

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.overall.answers / self.sent, 1) if self.sent else None


_MEASURES = {
    "answers": Count("id"),
    "satisfied": Count("id", filter=Q(rating__gte=4)),
    "average": Avg("rating"),
}


def _row(label: str, values: dict[str, object], month: date | None = None) -> CsatRow:
    average = values.get("average")
    return CsatRow(
        label=label,
        month=month,
        answers=int(values.get("answers") or 0),  # type: ignore[call-overload]
        satisfied=int(values.get("satisfied") or 0),  # type: ignore[call-overload]
        average=round(float(average), 2) if average is not None else None,  # type: ignore[arg-type]
    )


def csat_report(*, tenant: Tenant, months: int = REPORT_MONTHS, no_agent: str, no_queue: str) -> CsatReport:
    """CSAT (share of 4 and 5 among answers) and the average rating, overall and per agent, queue and
    month (in the workspace's time zone), over the last ``months`` months: five grouped queries."""
    since = (timezone.now() - timedelta(days=31 * months)).replace(hour=0, minute=0, second=0, microsecond=0)
    answered = CsatSurvey.objects.filter(rating__isnull=False, answered_at__gte=since)
    overall = _row("", answered.aggregate(**_MEASURES))
    sent = CsatSurvey.objects.filter(created_at__gte=since).exclude(status="skipped").count()
    by_agent = [
        _row(values["agent__full_name"] or values["agent__email"] or no_agent, values)
        for values in answered.values("agent_id", "agent__full_name", "agent__email")
        .annotate(**_MEASURES)
        .order_by("-answers", "agent_id")
    ]
    by_queue = [
        _row(values["queue__name"] or no_queue, values)
        for values in answered.values("queue_id", "queue__name").annotate(**_MEASURES).order_by("-answers", "queue_id")
    ]
    zone = timezone.get_current_timezone()
    by_month = [
        _row(values["month"].astimezone(zone).strftime("%Y-%m"), values, values["month"].astimezone(zone).date())
        for values in answered.annotate(month=TruncMonth("answered_at", tzinfo=zone))
        .values("month")
        .annotate(**_MEASURES)
        .order_by("-month")
    ]
    return CsatReport(since=since, overall=overall, sent=sent, by_agent=by_agent, by_queue=by_queue, by_month=by_month)
