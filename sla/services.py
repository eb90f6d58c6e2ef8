"""Writes of the sla app: business hours, SLA policies, and the ticket SLA clocks computed from them.

Clocks (``TicketSla``) are recomputed by ``ticket_sla_refresh`` when a ticket is routed and by the
per-minute sweep (``sla_sweep_tenant``): it finds the rows whose ticket changed since they were computed
with one set-wise query, recomputes those in batches, then flags breaches with one UPDATE per clock.
Unchanged tickets are never loaded, so 100k open tickets cost two index scans a minute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from service_desk.models import OPEN_STATUSES, Ticket, TicketStatus, TicketStatusChange
from sla.business_time import NoBusinessHoursError, Schedule, parse_hhmm
from sla.clocks import clock_state
from sla.models import BusinessCalendar, Holiday, SlaPolicy, TicketSla

BATCH_SIZE = 500
STOPPED = (TicketStatus.SOLVED, TicketStatus.CLOSED)

# Defaults offered when a tenant has no policy for a priority yet (business minutes).
DEFAULT_TARGETS = {"urgent": (60, 240), "high": (240, 960), "normal": (480, 2400), "low": (960, 4800)}


# --- business hours -------------------------------------------------------------------------------------


def calendar_get(*, tenant: Tenant) -> BusinessCalendar:
    calendar, _created = BusinessCalendar.objects.get_or_create(tenant=tenant)
    return calendar


def calendar_schedule(calendar: BusinessCalendar, holidays: Iterable[date], *, tenant: Tenant) -> Schedule:
    weekly = tuple(tuple((parse_hhmm(start), parse_hhmm(end)) for start, end in day) for day in calendar.weekly_hours)
    return Schedule(
        time_zone=calendar.time_zone or tenant.time_zone or "UTC",
        weekly=weekly,
        holidays=frozenset(holidays),
        always_open=calendar.always_open,
    )


def schedule_for(*, tenant: Tenant) -> Schedule:
    """The tenant's business hours as a pure ``Schedule`` (two queries)."""
    calendar = calendar_get(tenant=tenant)
    return calendar_schedule(calendar, calendar.holidays.values_list("date", flat=True), tenant=tenant)


def settings_audit(*, tenant: Tenant, by: User | None, obj: Model, summary: str) -> None:
    """One "setting change" audit event per change of hours, holidays, policies, rules or routing."""
    from audit.services import audit_record

    audit_record(tenant=tenant, action="setting_change", actor=by, obj=obj, object_repr=summary[:200])


def _mark_open_clocks_stale() -> int:
    """Hours or targets changed: every running clock is recomputed by the next sweeps."""
    return TicketSla.objects.filter(ticket_open=True).update(seen_version=-1)


@transaction.atomic
def calendar_update(
    *, tenant: Tenant, time_zone: str, always_open: bool, weekly_hours: list[list[list[str]]], by: User | None
) -> BusinessCalendar:
    """Save the opening hours; ``weekly_hours`` is 7 days (Monday first) of ["HH:MM", "HH:MM"] pairs."""
    if len(weekly_hours) != 7:
        raise ValidationError(_("Opening hours need all seven days."))
    for day in weekly_hours:
        for start, end in day:
            if parse_hhmm(end) <= parse_hhmm(start):
                raise ValidationError(_("%(start)s-%(end)s ends before it starts.") % {"start": start, "end": end})
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar_get(tenant=tenant).pk)
    calendar.time_zone, calendar.always_open, calendar.weekly_hours = time_zone, always_open, weekly_hours
    calendar.updated_at, calendar.updated_by = timezone.now(), by
    calendar.save()
    _mark_open_clocks_stale()
    settings_audit(tenant=tenant, by=by, obj=calendar, summary=_("Business hours changed"))
    return calendar


@transaction.atomic
def holiday_add(*, tenant: Tenant, day: date, name: str, by: User | None) -> Holiday:
    calendar = calendar_get(tenant=tenant)
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Give the holiday a name.")})
    if Holiday.objects.filter(calendar=calendar, date=day).exists():
        raise ValidationError({"date": _("%(date)s is already a holiday.") % {"date": day.isoformat()}})
    holiday = Holiday.objects.create(tenant=tenant, calendar=calendar, date=day, name=name)
    _mark_open_clocks_stale()
    settings_audit(tenant=tenant, by=by, obj=holiday, summary=_("Holiday added: %(holiday)s") % {"holiday": holiday})
    return holiday


@transaction.atomic
def holiday_delete(*, tenant: Tenant, holiday: Holiday, by: User | None) -> None:
    settings_audit(tenant=tenant, by=by, obj=holiday, summary=_("Holiday removed: %(holiday)s") % {"holiday": holiday})
    holiday.delete()
    _mark_open_clocks_stale()


# --- policies --------------------------------------------------------------------------------------------


@transaction.atomic
def policy_save(
    *,
    tenant: Tenant,
    policy: SlaPolicy | None,
    priority: str,
    first_response_minutes: int,
    resolution_minutes: int,
    tier_field: str = "",
    tier_value: str = "",
    is_active: bool = True,
    by: User | None,
) -> SlaPolicy:
    """Create (``policy`` None) or change a policy. Raises ValidationError on a duplicate or bad targets."""
    tier_field, tier_value = tier_field.strip(), tier_value.strip()
    errors: dict[str, str] = {}
    if first_response_minutes <= 0:
        errors["first_response_minutes"] = _("Give a target of at least one minute.")
    if resolution_minutes < first_response_minutes:
        errors["resolution_minutes"] = _("Resolution cannot be due before the first response.")
    if bool(tier_field) != bool(tier_value):
        errors["tier_value"] = _("A tier needs both the field and its value.")
    duplicate = SlaPolicy.objects.filter(
        priority=priority, tier_field__iexact=tier_field, tier_value__iexact=tier_value
    ).exclude(pk=policy.pk if policy else None)
    if duplicate.exists():
        errors["priority"] = _("There is already a policy for this priority and tier.")
    if errors:
        raise ValidationError(errors)
    policy = policy or SlaPolicy(tenant=tenant)
    policy.priority, policy.tier_field, policy.tier_value = priority, tier_field, tier_value
    policy.first_response_minutes, policy.resolution_minutes = first_response_minutes, resolution_minutes
    policy.is_active = is_active
    policy.save()
    _mark_open_clocks_stale()
    settings_audit(tenant=tenant, by=by, obj=policy, summary=_("SLA policy saved: %(policy)s") % {"policy": policy})
    return policy


@transaction.atomic
def policy_delete(*, tenant: Tenant, policy: SlaPolicy, by: User | None) -> None:
    settings_audit(tenant=tenant, by=by, obj=policy, summary=_("SLA policy deleted: %(policy)s") % {"policy": policy})
    policy.delete()
    _mark_open_clocks_stale()


def _field_value(record: object, key: str) -> str:
    values = getattr(record, "custom_fields", None) or {}
    value = values.get(key) if isinstance(values, dict) else None
    return "" if value is None else str(value).strip().lower()


def customer_tier_matches(ticket: Ticket, field: str, value: str) -> bool:
    """The ticket's contact or account has ``value`` in custom field ``field`` (case-insensitive)."""
    wanted = value.strip().lower()
    return any(
        record is not None and _field_value(record, field) == wanted for record in (ticket.contact, ticket.account)
    )


def policy_for(ticket: Ticket, policies: Sequence[SlaPolicy]) -> SlaPolicy | None:
    """The narrowest active policy: one for the ticket's priority and customer tier, else the priority's."""
    general = None
    for policy in policies:
        if not policy.is_active or policy.priority != ticket.priority:
            continue
        if not policy.tier_field:
            general = general or policy
        elif customer_tier_matches(ticket, policy.tier_field, policy.tier_value):
            return policy
    return general


# --- clocks ----------------------------------------------------------------------------------------------


def _ticket_sla_values(
    ticket: Ticket,
    history: Sequence[tuple[datetime, str]],
    policy: SlaPolicy | None,
    schedule: Schedule,
    now: datetime,
) -> TicketSla:
    sla = TicketSla(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        policy=policy,
        refreshed_at=now,
        ticket_open=ticket.status in OPEN_STATUSES,
        seen_version=ticket.version,
        seen_status=ticket.status,
        seen_priority=ticket.priority,
        seen_first_responded_at=ticket.first_responded_at,
    )
    if policy is None:
        return sla
    try:
        return _with_clocks(sla, ticket, history, policy, schedule, now)
    except NoBusinessHoursError:  # a calendar closed for years: no due times rather than a failed ticket
        return sla


def _with_clocks(
    sla: TicketSla,
    ticket: Ticket,
    history: Sequence[tuple[datetime, str]],
    policy: SlaPolicy,
    schedule: Schedule,
    now: datetime,
) -> TicketSla:
    solved_at = ticket.solved_at if ticket.status in STOPPED else None
    # Solving a ticket without a public reply also ends the wait for a first response.
    first_goal = ticket.first_responded_at or solved_at
    first = clock_state(
        schedule,
        target=timedelta(minutes=policy.first_response_minutes),
        created_at=ticket.created_at,
        history=history,
        goal_at=first_goal,
        now=now,
    )
    resolution = clock_state(
        schedule,
        target=timedelta(minutes=policy.resolution_minutes),
        created_at=ticket.created_at,
        history=history,
        goal_at=solved_at,
        now=now,
    )
    # A met clock has no due time: lists that load only the due times and breach flags (the ticket
    # list's badge) then never show "due in ..." for a goal already reached.
    sla.first_response_due = None if first.met_at else first.due
    sla.first_response_breached = first.breached
    sla.first_response_met_at = first.met_at
    sla.first_response_remaining_minutes = int(first.remaining / timedelta(minutes=1))
    sla.resolution_due = None if resolution.met_at else resolution.due
    sla.resolution_breached = resolution.breached
    sla.resolution_met_at = resolution.met_at
    sla.resolution_remaining_minutes = int(resolution.remaining / timedelta(minutes=1))
    sla.is_paused = resolution.paused
    return sla


_UPDATE_FIELDS = [
    "policy",
    "first_response_due",
    "resolution_due",
    "first_response_breached",
    "resolution_breached",
    "first_response_met_at",
    "resolution_met_at",
    "is_paused",
    "resolution_remaining_minutes",
    "first_response_remaining_minutes",
    "refreshed_at",
    "ticket_open",
    "seen_version",
    "seen_status",
    "seen_priority",
    "seen_first_responded_at",
]


@transaction.atomic
def tickets_sla_refresh(
    *,
    tenant: Tenant,
    ticket_ids: Sequence[int],
    schedule: Schedule | None = None,
    policies: Sequence[SlaPolicy] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute the clocks of these tickets (3 queries however many); idempotent. Returns how many."""
    if not ticket_ids:
        return 0
    now = now or timezone.now()
    schedule = schedule or schedule_for(tenant=tenant)
    policies = list(SlaPolicy.objects.filter(is_active=True)) if policies is None else policies
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_related("contact", "account"))
    histories: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    changes = TicketStatusChange.objects.filter(ticket_id__in=[t.pk for t in tickets]).order_by("changed_at", "id")
    for ticket_id, changed_at, status in changes.values_list("ticket_id", "changed_at", "to_status"):
        histories[ticket_id].append((changed_at, status))
    rows = [
        _ticket_sla_values(ticket, histories[ticket.pk], policy_for(ticket, policies), schedule, now)
        for ticket in tickets
    ]
    TicketSla.objects.bulk_create(rows, update_conflicts=True, unique_fields=["ticket"], update_fields=_UPDATE_FIELDS)
    return len(rows)


def ticket_sla_refresh(*, tenant: Tenant, ticket: Ticket, now: datetime | None = None) -> TicketSla:
    """Recompute one ticket's clocks from its history (idempotent) and return them."""
    tickets_sla_refresh(tenant=tenant, ticket_ids=[ticket.pk], now=now)
    return TicketSla.objects.get(ticket_id=ticket.pk)


_STALE_SQL = """
(SELECT t.id FROM service_desk_ticket t
 LEFT JOIN sla_ticketsla s ON s.ticket_id = t.id
 WHERE t.tenant_id = %(tenant)s AND t.status = ANY(%(open)s) AND t.id > %(after)s
   AND (s.ticket_id IS NULL OR s.seen_version <> t.version OR s.seen_status <> t.status
        OR s.seen_priority <> t.priority OR s.seen_first_responded_at IS DISTINCT FROM t.first_responded_at)
 ORDER BY t.id LIMIT %(limit)s)
UNION ALL
(SELECT t.id FROM sla_ticketsla s
 JOIN service_desk_ticket t ON t.id = s.ticket_id
 WHERE s.tenant_id = %(tenant)s AND s.ticket_open AND s.ticket_id > %(after)s AND NOT t.status = ANY(%(open)s)
 ORDER BY s.ticket_id LIMIT %(limit)s)
ORDER BY 1
LIMIT %(limit)s
"""


def stale_ticket_ids(*, tenant: Tenant, after: int = 0, limit: int = BATCH_SIZE) -> list[int]:
    """Tickets whose clocks are missing or out of date, by id: open tickets that changed since their clocks
    were computed (the open-status index), and tickets closed since (the partial ``ticket_open`` index)."""
    with connection.cursor() as cursor:
        cursor.execute(_STALE_SQL, {"tenant": tenant.pk, "after": after, "open": list(OPEN_STATUSES), "limit": limit})
        return [row[0] for row in cursor.fetchall()]


def sla_breaches_mark(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Flag running clocks whose due time has passed: one UPDATE per clock, on the partial due indexes."""
    now = now or timezone.now()
    first = TicketSla.objects.filter(
        first_response_breached=False,
        first_response_met_at__isnull=True,
        first_response_due__isnull=False,
        first_response_due__lte=now,
        ticket_open=True,
    ).update(first_response_breached=True)
    resolution = TicketSla.objects.filter(
        resolution_breached=False,
        resolution_met_at__isnull=True,
        resolution_due__isnull=False,
        resolution_due__lte=now,
        ticket_open=True,
        is_paused=False,
    ).update(resolution_breached=True)
    return first + resolution


def sla_sweep_tenant(*, tenant: Tenant, now: datetime | None = None, max_batches: int = 200) -> int:
    """Bring every clock of the tenant up to date: stale rows in batches, then breach flags.

    Each batch is its own transaction, so a long sweep holds no locks for long and an interrupted one
    simply leaves the rest stale for the next run. Returns how many clocks were recomputed.
    """
    now = now or timezone.now()
    schedule = schedule_for(tenant=tenant)
    policies = list(SlaPolicy.objects.filter(is_active=True))
    refreshed, after = 0, 0
    for _batch in range(max_batches):
        ids = stale_ticket_ids(tenant=tenant, after=after)
        if not ids:
            break
        refreshed += tickets_sla_refresh(tenant=tenant, ticket_ids=ids, schedule=schedule, policies=policies, now=now)
        after = ids[-1]
    sla_breaches_mark(tenant=tenant, now=now)
    return refreshed
