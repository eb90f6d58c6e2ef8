"""Service metrics: volume, backlog, response and resolution times, SLA compliance and CSAT for a period.

Every figure is a grouped aggregate in PostgreSQL (percentiles with ``percentile_cont``); Python only
fills the days without tickets and joins the per-agent rows. The page makes a fixed number of queries
whatever the number of tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.access import capability_required
from crm.models import User
from crm.roles import Capability
from service_desk.models import OPEN_STATUSES, Queue, Ticket, TicketChannel, TicketStatus
from sla.models import TicketSla
from support.models import CsatSurvey

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: continuous percentile of an interval."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


FIRST_RESPONSE = F("first_responded_at") - F("created_at")
RESOLUTION = F("solved_at") - F("created_at")


class MetricsFilterForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        required=False,
        choices=lambda: [(n, _("Last %(n)s days") % {"n": n}) for n in PERIODS],
    )
    queue = forms.TypedChoiceField(label=gettext_lazy("Queue"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One query; row-level security keeps them to the current workspace.
        queues = Queue.objects.order_by("name").values_list("pk", "name")
        self.fields["queue"].choices = [("", _("All queues")), *queues]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile of a duration, and how many tickets they are taken over."""

    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Count_:
    key: str
    label: str
    count: int


@dataclass
class AgentRow:
    user_id: int | None
    name: str
    assigned: int = 0
    solved: int = 0
    first_response_median: timedelta | None = None
    csat_answers: int = 0
    csat_satisfied: int = 0

    @property
    def csat(self) -> float | None:
        return round(100 * self.csat_satisfied / self.csat_answers, 1) if self.csat_answers else None


@dataclass(frozen=True)
class Rate:
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.total, 1) if self.total else None


@dataclass
class ServiceMetrics:
    since: datetime
    until: datetime
    days: list[date]
    created_per_day: list[int]
    solved_per_day: list[int]
    backlog_by_status: list[Count_]
    backlog_by_queue: list[Count_]
    first_response: Durations
    resolution: Durations
    first_response_sla: Rate
    resolution_sla: Rate
    by_channel: list[Count_]
    by_queue: list[Count_]
    csat_answers: int
    csat_satisfied: int
    agents: list[AgentRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(self.created_per_day)

    @property
    def solved(self) -> int:
        return sum(self.solved_per_day)

    @property
    def backlog(self) -> int:
        return sum(row.count for row in self.backlog_by_status)

    @property
    def csat(self) -> float | None:
        return round(100 * self.csat_satisfied / self.csat_answers, 1) if self.csat_answers else None

    def chart(self) -> dict[str, Any]:
        """What metrics.js draws, handed over with json_script."""
        return {
            "days": [day.isoformat() for day in self.days],
            "created": self.created_per_day,
            "solved": self.solved_per_day,
            "labels": {"created": _("Created"), "solved": _("Solved")},
            "channels": [{"name": row.label, "value": row.count} for row in self.by_channel],
        }


def _per_day(qs: QuerySet[Ticket], field_name: str, days: list[date], zone: Any) -> list[int]:
    counts = dict(
        qs.annotate(day=TruncDate(field_name, tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [counts.get(day, 0) for day in days]


def _durations(values: dict[str, Any], prefix: str) -> Durations:
    return Durations(
        count=int(values[f"{prefix}_n"] or 0), median=values[f"{prefix}_median"], p90=values[f"{prefix}_p90"]
    )


def _by_queue(qs: QuerySet[Ticket], no_queue: str) -> list[Count_]:
    return [
        Count_(key=str(pk or ""), label=name or no_queue, count=n)
        for pk, name, n in qs.values("queue_id", "queue__name")
        .annotate(n=Count("id"))
        .order_by("-n", "queue__name")
        .values_list("queue_id", "queue__name", "n")
    ]


def service_metrics(*, days: int = DEFAULT_PERIOD, queue_id: int | None = None) -> ServiceMetrics:
    """The service figures of the last ``days`` days (today included, in the current time zone), for one
    queue or all. Scoped to the workspace by row-level security; merged duplicates are not counted."""
    zone = timezone.get_current_timezone()
    until = timezone.now()
    first_day = timezone.localdate(until, zone) - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    day_list = [first_day + timedelta(days=n) for n in range(days)]

    tickets = Ticket.objects.filter(merged_into__isnull=True)
    surveys = CsatSurvey.objects.filter(rating__isnull=False, answered_at__gte=since)
    if queue_id is not None:
        tickets = tickets.filter(queue_id=queue_id)
        surveys = surveys.filter(queue_id=queue_id)
    created = tickets.filter(created_at__gte=since)
    solved = tickets.filter(solved_at__gte=since)
    responded = Q(first_responded_at__gte=since)
    resolved = Q(solved_at__gte=since)
    no_queue = _("No queue")

    times = tickets.filter(responded | resolved).aggregate(
        first_n=Count("id", filter=responded),
        first_median=Percentile(FIRST_RESPONSE, 0.5, filter=responded),
        first_p90=Percentile(FIRST_RESPONSE, 0.9, filter=responded),
        resolution_n=Count("id", filter=resolved),
        resolution_median=Percentile(RESOLUTION, 0.5, filter=resolved),
        resolution_p90=Percentile(RESOLUTION, 0.9, filter=resolved),
    )
    # SLA compliance of the clocks that stopped in the period: met in time, or breached.
    sla_rows = TicketSla.objects.filter(ticket__merged_into__isnull=True)
    if queue_id is not None:
        sla_rows = sla_rows.filter(ticket__queue_id=queue_id)
    sla = sla_rows.aggregate(
        first_met=Count("pk", filter=Q(first_response_met_at__gte=since)),
        first_breached=Count("pk", filter=Q(first_response_breached=True, first_response_due__gte=since)),
        resolution_met=Count("pk", filter=Q(resolution_met_at__gte=since)),
        resolution_breached=Count("pk", filter=Q(resolution_breached=True, resolution_due__gte=since)),
    )

    status_labels = dict(TicketStatus.choices)
    backlog = tickets.filter(status__in=OPEN_STATUSES)
    backlog_status = dict(backlog.values("status").annotate(n=Count("id")).values_list("status", "n"))
    channel_labels = dict(TicketChannel.choices)
    channels = created.values("channel").annotate(n=Count("id")).order_by("-n", "channel")
    csat = surveys.aggregate(answers=Count("id"), satisfied=Count("id", filter=Q(rating__gte=4)))

    return ServiceMetrics(
        since=since,
        until=until,
        days=day_list,
        created_per_day=_per_day(created, "created_at", day_list, zone),
        solved_per_day=_per_day(solved, "solved_at", day_list, zone),
        backlog_by_status=[
            Count_(key=str(status), label=str(status_labels[status]), count=backlog_status[status])
            for status in OPEN_STATUSES
            if backlog_status.get(status)
        ],
        backlog_by_queue=_by_queue(backlog, no_queue),
        first_response=_durations(times, "first"),
        resolution=_durations(times, "resolution"),
        first_response_sla=Rate(met=sla["first_met"], breached=sla["first_breached"]),
        resolution_sla=Rate(met=sla["resolution_met"], breached=sla["resolution_breached"]),
        by_channel=[
            Count_(key=row["channel"], label=str(channel_labels.get(row["channel"], row["channel"])), count=row["n"])
            for row in channels
        ],
        by_queue=_by_queue(created, no_queue),
        csat_answers=csat["answers"],
        csat_satisfied=csat["satisfied"],
        agents=_agents(tickets=tickets, surveys=surveys, since=since),
    )


def _agents(*, tickets: QuerySet[Ticket], surveys: QuerySet[CsatSurvey], since: datetime) -> list[AgentRow]:
    """Per assignee: tickets assigned (opened in the period), solved and first-responded in the period
    with the median first response, and the CSAT answers about them. Three grouped queries."""
    responded = Q(first_responded_at__gte=since)
    work = (
        tickets.filter(Q(created_at__gte=since) | Q(solved_at__gte=since) | responded)
        .values("assignee_id")
        .annotate(
            assigned=Count("id", filter=Q(created_at__gte=since)),
            solved=Count("id", filter=Q(solved_at__gte=since)),
            first_median=Percentile(FIRST_RESPONSE, 0.5, filter=responded),
        )
        .order_by()
    )
    rows: dict[int | None, AgentRow] = {}
    for values in work:
        rows[values["assignee_id"]] = AgentRow(
            user_id=values["assignee_id"],
            name="",
            assigned=values["assigned"],
            solved=values["solved"],
            first_response_median=values["first_median"],
        )
    for agent_id, answers, satisfied in (
        surveys.values("agent_id")
        .annotate(answers=Count("id"), satisfied=Count("id", filter=Q(rating__gte=4)))
        .order_by()
        .values_list("agent_id", "answers", "satisfied")
    ):
        row = rows.setdefault(agent_id, AgentRow(user_id=agent_id, name=""))
        row.csat_answers, row.csat_satisfied = answers, satisfied
    names = {
        pk: full_name or email
        for pk, full_name, email in User.objects.filter(pk__in=[pk for pk in rows if pk]).values_list(
            "pk", "full_name", "email"
        )
    }
    for pk, row in rows.items():
        row.name = names.get(pk, "") if pk else _("Unassigned")
    return sorted(rows.values(), key=lambda row: (row.user_id is None, -row.solved, -row.assigned, row.name.lower()))


def format_duration(value: timedelta | None) -> str:
    """3 d 4 h, 2 h 05 m, 12 min, or — without a value: short enough for a KPI card."""
    if value is None:
        return "—"
    minutes = max(0, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)02d m") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


# --- The page ---------------------------------------------------------------------------------------


@capability_required(Capability.TICKETS_VIEW)
def metrics_page(request: HttpRequest) -> HttpResponse:
    form = MetricsFilterForm(request.GET or None)
    form.is_valid()  # a wrong value falls back to its default; the others still apply
    cleaned = getattr(form, "cleaned_data", {})
    days, queue_id = cleaned.get("days") or DEFAULT_PERIOD, cleaned.get("queue")
    report = service_metrics(days=days, queue_id=queue_id)
    durations = {
        "first_median": format_duration(report.first_response.median),
        "first_p90": format_duration(report.first_response.p90),
        "resolution_median": format_duration(report.resolution.median),
        "resolution_p90": format_duration(report.resolution.p90),
    }
    agents = [(row, format_duration(row.first_response_median)) for row in report.agents]
    context = {
        "form": form,
        "days": days,
        "queue_id": queue_id,
        "report": report,
        "durations": durations,
        "agents": agents,
        "chart": report.chart(),
        "has_tickets": bool(report.created or report.solved or report.backlog or report.csat_answers),
    }
    return render(request, "service_desk/metrics.html", context)
