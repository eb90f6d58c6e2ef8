"""Reads of the sla app: scoped querysets with what the pages need joined."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from service_desk.models import OPEN_STATUSES, Queue, Ticket
from sla.models import AssignmentMode, EscalationRule, QueueRouting, RoutingRule, SlaPolicy

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def policies() -> list[SlaPolicy]:
    """General policies first, most urgent priority first."""
    rows = list(SlaPolicy.objects.all())
    return sorted(rows, key=lambda p: (PRIORITY_ORDER.get(p.priority, 9), bool(p.tier_field), p.tier_value.lower()))


def routing_rules() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("set_queue").order_by("position", "id")


def escalation_rules() -> QuerySet[EscalationRule]:
    return EscalationRule.objects.select_related("reassign_to_user", "reassign_to_queue").order_by(
        "target", "-minutes_before", "id"
    )


def queues_with_modes() -> QuerySet[Queue]:
    """Every queue with its assignment mode (``manual`` when never set) as ``assignment_mode``."""
    mode = QueueRouting.objects.filter(queue_id=OuterRef("pk")).values("mode")[:1]
    return Queue.objects.annotate(assignment_mode=Coalesce(Subquery(mode), Value(AssignmentMode.MANUAL))).order_by(
        "name"
    )


def tickets_breaching_soon(*, within: timedelta = timedelta(hours=1), now: datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets whose resolution is due within ``within`` and not yet breached (the desk's saved view)."""
    now = now or timezone.now()
    return Ticket.objects.filter(
        status__in=OPEN_STATUSES,
        sla__resolution_breached=False,
        sla__resolution_met_at__isnull=True,
        sla__resolution_due__isnull=False,
        sla__resolution_due__lte=now + within,
    ).select_related("sla")
