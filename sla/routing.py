"""Routing of new tickets: admins' rules (channel/category/tier/keyword -> queue/priority/tags) and automatic
assignment in the chosen queue. CONTRACT: called by ``service_desk.services.ticket_create`` inside its
transaction; changes the ticket in place and saves it.

Round robin and least-loaded assignment lock the queue's ``QueueRouting`` row (SELECT ... FOR UPDATE) until
the creating transaction commits: concurrent creates in one queue take turns, so each sees the previous
one's choice and the rotation never skips or doubles an agent.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from service_desk.models import OPEN_STATUSES, Queue, QueueMember, Ticket, TicketStatus
from sla.models import AssignmentMode, QueueRouting, RoutingRule
from sla.services import customer_tier_matches, settings_audit


def rule_matches(rule: RoutingRule, ticket: Ticket) -> bool:
    """Every condition the rule sets holds for the ticket (a rule without conditions matches all)."""
    if rule.channel and ticket.channel != rule.channel:
        return False
    if rule.category and ticket.category.strip().lower() != rule.category.strip().lower():
        return False
    if rule.keyword:
        keyword = rule.keyword.strip().lower()
        if keyword not in ticket.subject.lower() and keyword not in (ticket.description or "").lower():
            return False
    return not rule.tier_field or customer_tier_matches(ticket, rule.tier_field, rule.tier_value)


def rules_apply(rules: Sequence[RoutingRule], ticket: Ticket) -> list[str]:
    """Apply matching rules in order to the (unsaved) ticket; returns the names of the fields changed."""
    changed: set[str] = set()
    for rule in rules:
        if not rule.is_active or not rule_matches(rule, ticket):
            continue
        if rule.set_queue_id and ticket.queue_id != rule.set_queue_id:
            ticket.queue_id = rule.set_queue_id
            changed.add("queue")
        if rule.set_priority and ticket.priority != rule.set_priority:
            ticket.priority = rule.set_priority
            changed.add("priority")
        if rule.add_tags:
            tags = sorted(set(ticket.tags) | {t.strip().lower()[:40] for t in rule.add_tags if t.strip()})
            if tags != sorted(ticket.tags):
                ticket.tags = tags
                changed.add("tags")
        if rule.stop_processing:
            break
    return sorted(changed)


def queue_routing_lock(*, tenant: Tenant, queue_id: int) -> QueueRouting:
    """The queue's routing row, created on first use, locked until the transaction ends."""
    QueueRouting.objects.get_or_create(tenant=tenant, queue_id=queue_id)
    return QueueRouting.objects.select_for_update().get(queue_id=queue_id)


def available_agents(*, tenant: Tenant, queue_id: int) -> list[int]:
    """User ids of the queue's members who take new tickets and are active in the workspace, by id."""
    active = Membership.objects.filter(tenant=tenant, is_active=True).values("user_id")
    return list(
        QueueMember.objects.filter(queue_id=queue_id, is_available=True, user_id__in=active)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def next_round_robin(agent_ids: Sequence[int], last_assigned_id: int | None) -> int:
    """The agent after ``last_assigned_id`` in id order, wrapping around."""
    if last_assigned_id is not None:
        for agent_id in agent_ids:
            if agent_id > last_assigned_id:
                return agent_id
    return agent_ids[0]


def least_loaded(agent_ids: Sequence[int], exclude_ticket_id: int | None = None) -> int:
    """The agent with the fewest open tickets (ties: the lowest id), counted in one query."""
    open_counts = dict(
        Ticket.objects.filter(assignee_id__in=agent_ids, status__in=OPEN_STATUSES)
        .exclude(pk=exclude_ticket_id)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return min(agent_ids, key=lambda agent_id: (open_counts.get(agent_id, 0), agent_id))


def ticket_auto_assign(*, tenant: Tenant, ticket: Ticket) -> int | None:
    """Pick an agent for the ticket's queue according to the queue's mode; None for manual queues or when
    no member is available. Must run inside a transaction (the routing row stays locked until commit)."""
    if ticket.queue_id is None:
        return None
    mode = QueueRouting.objects.filter(queue_id=ticket.queue_id).values_list("mode", flat=True).first()
    if mode is None or mode == AssignmentMode.MANUAL:
        return None
    routing = queue_routing_lock(tenant=tenant, queue_id=ticket.queue_id)
    agents = available_agents(tenant=tenant, queue_id=ticket.queue_id)
    if not agents:
        return None
    if routing.mode == AssignmentMode.ROUND_ROBIN:
        chosen = next_round_robin(agents, routing.last_assigned_id)
    else:
        chosen = least_loaded(agents, exclude_ticket_id=ticket.pk)
    routing.last_assigned_id = chosen
    routing.save(update_fields=["last_assigned"])
    return chosen


@transaction.atomic
def ticket_route_new(*, tenant: Tenant, ticket: Ticket) -> None:
    """Apply the tenant's routing rules and automatic assignment to a ticket just opened, then start its
    SLA clocks."""
    from service_desk.services import ticket_status_change
    from sla.services import ticket_sla_refresh

    # Tier conditions read the contact's and account's custom fields (ticket_create passed them in).
    rules = list(RoutingRule.objects.filter(is_active=True).order_by("position", "id"))
    changed = rules_apply(rules, ticket)
    if ticket.assignee_id is None:
        agent_id = ticket_auto_assign(tenant=tenant, ticket=ticket)
        if agent_id is not None:
            ticket.assignee_id = agent_id
            changed.append("assignee")
    if changed:
        ticket.save(update_fields=changed)
    if "assignee" in changed and ticket.status == TicketStatus.NEW:
        assigned_by: User | None = ticket.created_by
        updated = ticket_status_change(tenant=tenant, ticket=ticket, status=TicketStatus.OPEN, by=assigned_by)
        ticket.status, ticket.version, ticket.updated_at = updated.status, updated.version, updated.updated_at
    ticket_sla_refresh(tenant=tenant, ticket=ticket)


# --- settings writes --------------------------------------------------------------------------------------


@transaction.atomic
def routing_rule_save(*, tenant: Tenant, rule: RoutingRule, by: User | None) -> RoutingRule:
    rule.tenant = tenant
    rule.save()
    settings_audit(tenant=tenant, by=by, obj=rule, summary=_("Routing rule saved: %(rule)s") % {"rule": rule})
    return rule


@transaction.atomic
def routing_rule_delete(*, tenant: Tenant, rule: RoutingRule, by: User | None) -> None:
    settings_audit(tenant=tenant, by=by, obj=rule, summary=_("Routing rule deleted: %(rule)s") % {"rule": rule})
    rule.delete()


@transaction.atomic
def routing_rule_move(*, tenant: Tenant, rule: RoutingRule, up: bool, by: User | None) -> None:
    """Swap the rule with its neighbour above (``up``) or below, renumbering all rules 1..n."""
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, candidate in enumerate(rules) if candidate.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, candidate in enumerate(rules, start=1):
        if candidate.position != position:
            candidate.position = position
            candidate.save(update_fields=["position"])


@transaction.atomic
def queue_routing_set(*, tenant: Tenant, queue: Queue, mode: str, by: User | None) -> QueueRouting:
    routing = queue_routing_lock(tenant=tenant, queue_id=queue.pk)
    routing.mode = mode
    routing.save(update_fields=["mode"])
    summary = _("Assignment in %(queue)s: %(mode)s") % {"queue": queue.name, "mode": routing.get_mode_display()}
    settings_audit(tenant=tenant, by=by, obj=routing, summary=summary)
    return routing
