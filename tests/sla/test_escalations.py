"""Escalation rules: warn before a breach, act at it, and never twice for the same ticket."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from crm.tenancy.context import tenant_context
from notifications.models import Notification
from service_desk.models import QueueMember, Ticket
from sla.escalations import escalation_fire, escalations_run
from sla.models import EscalationFired, TicketSla
from tests.service_desk.factories import QueueFactory, TicketFactory
from tests.sla.conftest import agent
from tests.sla.factories import EscalationRuleFactory, SlaPolicyFactory, backdate

M = timedelta(minutes=1)


def due_ticket(tenant, minutes_ago: int, **kwargs):
    """An open ticket whose resolution clock (120 min) ran out ``minutes_ago`` minutes ago (negative: not yet)."""
    ticket = TicketFactory(tenant, **kwargs)
    backdate(ticket, timezone.now() - (120 + minutes_ago) * M)
    with tenant_context(tenant.id):
        TicketSla.objects.filter(ticket_id=ticket.pk).update(resolution_due=timezone.now() - minutes_ago * M)
    return ticket


@pytest.fixture
def policy(tenant_a, always_open):
    return SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)


@pytest.mark.django_db
def test_at_breach_the_assignee_is_notified_once(tenant_a, policy, sam):
    rule = EscalationRuleFactory(tenant=tenant_a, target="resolution", minutes_before=0, notify_assignee=True)
    breached = due_ticket(tenant_a, 5, assignee=sam)
    due_ticket(tenant_a, -30, assignee=sam)  # not yet
    with tenant_context(tenant_a.id):
        assert escalations_run(tenant=tenant_a) == 1
        assert escalations_run(tenant=tenant_a) == 0
        notes = list(Notification.objects.filter(user=sam))
        assert EscalationFired.objects.filter(rule=rule).values_list("ticket_id", flat=True).get() == breached.pk
    assert len(notes) == 1 and f"#{breached.number}" in notes[0].title and "breached" in notes[0].title


@pytest.mark.django_db
def test_a_warning_fires_minutes_before_the_breach(tenant_a, policy, sam):
    EscalationRuleFactory(tenant=tenant_a, target="resolution", minutes_before=60, notify_assignee=True)
    soon = due_ticket(tenant_a, -20, assignee=sam)
    due_ticket(tenant_a, -90, assignee=sam)
    with tenant_context(tenant_a.id):
        assert escalations_run(tenant=tenant_a) == 1
        note = Notification.objects.get(user=sam)
    assert f"#{soon.number}" in note.title and "due soon" in note.title


@pytest.mark.django_db
def test_escalation_reassigns_raises_priority_and_tells_the_queue(tenant_a, policy, sam):
    tier2 = QueueFactory(tenant=tenant_a, name="Tier 2")
    lead, member = agent(tenant_a, "Lead"), agent(tenant_a, "Member")
    with tenant_context(tenant_a.id):
        QueueMember.objects.create(tenant=tenant_a, queue=tier2, user=member)
    EscalationRuleFactory(
        tenant=tenant_a, notify_assignee=True, notify_queue=True, reassign_to_user=lead, reassign_to_queue=tier2,
        raise_priority=True,
    )  # fmt: skip
    ticket = due_ticket(tenant_a, 1, assignee=sam, priority="high")
    with tenant_context(tenant_a.id):
        escalations_run(tenant=tenant_a)
        ticket = Ticket.objects.get(pk=ticket.pk)
        told = set(Notification.objects.values_list("user_id", flat=True))
    assert (ticket.assignee_id, ticket.queue_id, ticket.priority) == (lead.pk, tier2.pk, "urgent")
    assert told == {lead.pk, member.pk}


@pytest.mark.django_db
def test_solved_and_paused_tickets_do_not_escalate(tenant_a, policy, sam, alice):
    EscalationRuleFactory(tenant=tenant_a, notify_assignee=True)
    solved = due_ticket(tenant_a, 5, assignee=sam)
    with tenant_context(tenant_a.id):
        Ticket.objects.filter(pk=solved.pk).update(status="solved")
        TicketSla.objects.filter(ticket_id=solved.pk).update(resolution_due=None, is_paused=True)
        assert escalations_run(tenant=tenant_a) == 0
        assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_firing_the_same_rule_act_once(tenant_a, always_open, sam):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)
    rule = EscalationRuleFactory(tenant=tenant_a, notify_assignee=True, raise_priority=True)
    ticket = due_ticket(tenant_a, 5, assignee=sam, priority="low")
    barrier, results = threading.Barrier(4), []

    def fire() -> None:
        try:
            with tenant_context(tenant_a.id):
                barrier.wait()
                results.append(escalation_fire(tenant=tenant_a, rule=rule, ticket_id=ticket.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    with tenant_context(tenant_a.id):
        assert Notification.objects.filter(user=sam).count() == 1
        assert Ticket.objects.get(pk=ticket.pk).priority == "normal"  # raised one step, once


@pytest.mark.django_db
def test_a_new_rule_does_not_act_on_the_backlog_that_breached_before_it(tenant_a, policy, sam):
    old_breach = due_ticket(tenant_a, 90, assignee=sam)
    EscalationRuleFactory(tenant=tenant_a, notify_assignee=True, created_at=timezone.now() - 60 * M)
    fresh_breach = due_ticket(tenant_a, 5, assignee=sam)
    with tenant_context(tenant_a.id):
        assert escalations_run(tenant=tenant_a) == 1
        assert list(EscalationFired.objects.values_list("ticket_id", flat=True)) == [fresh_breach.pk]
    assert old_breach.pk != fresh_breach.pk
