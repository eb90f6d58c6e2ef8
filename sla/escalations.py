"""Warnings and escalations: each active rule acts once per ticket, however often or widely the sweep runs.

How "once" holds: the rule's actions run in the same transaction as the INSERT of its
``EscalationFired`` row (unique per rule and ticket). A second worker's INSERT waits on the first's
uncommitted row and then conflicts and does nothing; a failed action rolls the row back with it, so the
next sweep tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from notifications.services import notify
from service_desk.models import OPEN_STATUSES, QueueMember, Ticket, TicketPriority
from sla.models import EscalationFired, EscalationRule, EscalationTarget, TicketSla
from sla.services import settings_audit

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
PRIORITY_STEPS = [TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT]
_DUE_FIELD = {EscalationTarget.FIRST_RESPONSE: "first_response_due", EscalationTarget.RESOLUTION: "resolution_due"}
_MET_FIELD = {
    EscalationTarget.FIRST_RESPONSE: "first_response_met_at",
    EscalationTarget.RESOLUTION: "resolution_met_at",
}


def ticket_url(ticket: Ticket) -> str:
    try:
        return reverse("service_desk:ticket_detail", args=[ticket.pk])
    except NoReverseMatch:
        return ""


def raised_priority(priority: str) -> str:
    index = PRIORITY_STEPS.index(TicketPriority(priority)) if priority in TicketPriority.values else 1
    return PRIORITY_STEPS[min(index + 1, len(PRIORITY_STEPS) - 1)]


def rule_candidates(*, rule: EscalationRule, now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Open tickets whose clock for ``rule`` is due within ``minutes_before`` (or past it) and that the
    rule has not fired on yet; uses the partial due-time indexes.

    Only moments reached after the rule was created count: a new rule acts on what happens from now on
    instead of flooding the team with the backlog of tickets that breached before it existed.
    """
    due_field, met_field = _DUE_FIELD[EscalationTarget(rule.target)], _MET_FIELD[EscalationTarget(rule.target)]
    fired = EscalationFired.objects.filter(rule=rule, ticket_id=OuterRef("ticket_id"))
    return list(
        TicketSla.objects.filter(
            ticket_open=True,
            ticket__status__in=OPEN_STATUSES,
            **{
                f"{due_field}__isnull": False,
                f"{due_field}__lte": now + timedelta(minutes=rule.minutes_before),
                f"{due_field}__gte": rule.created_at + timedelta(minutes=rule.minutes_before),
                f"{met_field}__isnull": True,
            },
        )
        .filter(~Exists(fired))
        .order_by(due_field, "ticket_id")
        .values_list("ticket_id", flat=True)[:limit]
    )


def _claim(*, tenant: Tenant, rule: EscalationRule, ticket_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sla_escalationfired (tenant_id, rule_id, ticket_id, fired_at) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, rule_id, ticket_id) DO NOTHING RETURNING id",
            [tenant.pk, rule.pk, ticket_id, timezone.now()],
        )
        return cursor.fetchone() is not None


def _members(tenant: Tenant, user_ids: set[int]) -> list[User]:
    active = Membership.objects.filter(tenant=tenant, is_active=True, user_id__in=user_ids).values("user_id")
    return list(User.objects.filter(pk__in=active).order_by("pk"))


@transaction.atomic
def escalation_fire(*, tenant: Tenant, rule: EscalationRule, ticket_id: int) -> bool:
    """Run ``rule`` on one ticket unless it already ran there; True when it acted."""
    if not _claim(tenant=tenant, rule=rule, ticket_id=ticket_id):
        return False
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, status__in=OPEN_STATUSES).first()
    if ticket is None:  # solved meanwhile: the row stays, so the rule never fires on it
        return False
    changed: list[str] = []
    if rule.reassign_to_queue_id and ticket.queue_id != rule.reassign_to_queue_id:
        ticket.queue_id = rule.reassign_to_queue_id
        changed.append("queue")
    new_assignee = rule.reassign_to_user_id
    if (
        new_assignee is not None
        and ticket.assignee_id != new_assignee
        and Membership.objects.filter(tenant=tenant, user_id=new_assignee, is_active=True).exists()
    ):
        ticket.assignee_id = new_assignee
        changed.append("assignee")
    if rule.raise_priority and ticket.priority != raised_priority(ticket.priority):
        ticket.priority = raised_priority(ticket.priority)
        changed.append("priority")
    if changed:
        ticket.updated_at, ticket.version = timezone.now(), ticket.version + 1
        ticket.save(update_fields=[*changed, "updated_at", "version"])
    recipients: set[int] = set()
    if rule.notify_assignee and ticket.assignee_id:
        recipients.add(ticket.assignee_id)
    if rule.notify_queue and ticket.queue_id:
        recipients |= set(QueueMember.objects.filter(queue_id=ticket.queue_id).values_list("user_id", flat=True))
    sla = TicketSla.objects.filter(ticket_id=ticket.pk).first()
    due = getattr(sla, _DUE_FIELD[EscalationTarget(rule.target)], None) if sla else None
    clock = EscalationTarget(rule.target).label
    if due is not None and due <= timezone.now():
        title = _("SLA breached: %(clock)s on #%(number)s") % {"clock": clock, "number": ticket.number}
    else:
        title = _("SLA warning: %(clock)s on #%(number)s due soon") % {"clock": clock, "number": ticket.number}
    body = _("%(subject)s (rule “%(rule)s”)") % {"subject": ticket.subject, "rule": rule.name}
    for user in _members(tenant, recipients):
        notify(tenant=tenant, user=user, title=title[:200], body=body, url=ticket_url(ticket), kind="sla")
    return True


def escalations_run(*, tenant: Tenant, now: datetime | None = None, max_batches: int = 50) -> int:
    """Fire every active rule on every ticket it is due for; returns how many times a rule acted."""
    now = now or timezone.now()
    fired = 0
    for rule in EscalationRule.objects.filter(is_active=True).order_by("pk"):
        attempted: set[int] = set()
        for _batch in range(max_batches):
            ids = [ticket_id for ticket_id in rule_candidates(rule=rule, now=now) if ticket_id not in attempted]
            if not ids:  # nothing left, or only tickets that failed in this run
                break
            attempted.update(ids)
            for ticket_id in ids:
                try:
                    fired += escalation_fire(tenant=tenant, rule=rule, ticket_id=ticket_id)
                except ValueError:  # notify() refusing a recipient: log, the row rolled back, retried later
                    logger.exception("escalation rule %s on ticket %s failed", rule.pk, ticket_id)
    return fired


@transaction.atomic
def escalation_rule_save(*, tenant: Tenant, rule: EscalationRule, by: User | None) -> EscalationRule:
    rule.tenant = tenant
    rule.save()
    settings_audit(tenant=tenant, by=by, obj=rule, summary=_("Escalation rule saved: %(rule)s") % {"rule": rule})
    return rule


@transaction.atomic
def escalation_rule_delete(*, tenant: Tenant, rule: EscalationRule, by: User | None) -> None:
    settings_audit(tenant=tenant, by=by, obj=rule, summary=_("Escalation rule deleted: %(rule)s") % {"rule": rule})
    rule.delete()
