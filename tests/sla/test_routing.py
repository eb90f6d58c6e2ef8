"""Routing rules and automatic assignment of new tickets."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from crm.tenancy.context import tenant_context
from service_desk.models import QueueMember, Ticket
from sla.models import AssignmentMode, QueueRouting
from tests.factories import AccountFactory, ContactFactory
from tests.service_desk.factories import QueueFactory, TicketFactory
from tests.sla.conftest import agent
from tests.sla.factories import RoutingRuleFactory


def queue_with_agents(tenant, mode, *names, unavailable=()):
    queue = QueueFactory(tenant=tenant)
    agents = []
    with tenant_context(tenant.id):
        QueueRouting.objects.create(tenant=tenant, queue=queue, mode=mode)
        for name in names:
            user = agent(tenant, name)
            QueueMember.objects.create(tenant=tenant, queue=queue, user=user, is_available=name not in unavailable)
            agents.append(user)
    return queue, agents


@pytest.mark.django_db
def test_a_keyword_rule_sets_queue_priority_and_tags(tenant_a):
    billing = QueueFactory(tenant=tenant_a, name="Billing")
    RoutingRuleFactory(tenant=tenant_a, keyword="invoice", set_queue=billing, set_priority="high", add_tags=["Money"])
    matched = TicketFactory(tenant_a, subject="Wrong INVOICE total", tags=["vip"])
    other = TicketFactory(tenant_a, subject="Password reset")
    assert (matched.queue_id, matched.priority, matched.tags) == (billing.pk, "high", ["money", "vip"])
    with tenant_context(tenant_a.id):
        stored = Ticket.objects.get(pk=matched.pk)
    assert (stored.queue_id, stored.priority, stored.tags) == (billing.pk, "high", ["money", "vip"])
    assert other.queue_id != billing.pk and other.priority == "normal"


@pytest.mark.django_db
def test_all_conditions_must_hold_and_rules_run_in_order(tenant_a):
    phone, vip = QueueFactory(tenant=tenant_a, name="Phone"), QueueFactory(tenant=tenant_a, name="VIP")
    RoutingRuleFactory(tenant=tenant_a, position=1, channel="phone", category="hardware", set_queue=phone)
    RoutingRuleFactory(
        tenant=tenant_a, position=2, tier_field="tier", tier_value="gold", set_queue=vip, stop_processing=True
    )
    RoutingRuleFactory(tenant=tenant_a, position=3, set_priority="low")
    gold = ContactFactory(tenant=tenant_a, account=AccountFactory(tenant=tenant_a, custom_fields={"tier": "Gold"}))
    by_phone = TicketFactory(tenant_a, channel="phone", category="Hardware")
    by_mail = TicketFactory(tenant_a, channel="email", category="hardware")
    gold_phone = TicketFactory(tenant_a, channel="phone", category="hardware", contact=gold)
    assert (by_phone.queue_id, by_phone.priority) == (phone.pk, "low")
    assert by_mail.queue_id != phone.pk and by_mail.priority == "low"
    # The gold rule came later (wins the queue) and stopped the low-priority rule.
    assert (gold_phone.queue_id, gold_phone.priority) == (vip.pk, "normal")


@pytest.mark.django_db
def test_round_robin_takes_turns_among_available_agents(tenant_a):
    queue, (ann, _ben, cat) = queue_with_agents(
        tenant_a, AssignmentMode.ROUND_ROBIN, "Ann", "Ben", "Cat", unavailable={"Ben"}
    )
    assignees = [TicketFactory(tenant_a, queue=queue).assignee_id for _ in range(4)]
    assert assignees == [ann.pk, cat.pk, ann.pk, cat.pk]
    ticket = TicketFactory(tenant_a, queue=queue)
    assert ticket.status == "open"  # assigned tickets are open


@pytest.mark.django_db
def test_least_loaded_picks_the_agent_with_fewest_open_tickets(tenant_a):
    queue, (ann, ben) = queue_with_agents(tenant_a, AssignmentMode.LEAST_LOADED, "Ann", "Ben")
    TicketFactory(tenant_a, assignee=ann)
    TicketFactory(tenant_a, assignee=ann)
    assert TicketFactory(tenant_a, queue=queue).assignee_id == ben.pk
    assert TicketFactory(tenant_a, queue=queue).assignee_id == ben.pk
    assert TicketFactory(tenant_a, queue=queue).assignee_id in {ann.pk, ben.pk}


@pytest.mark.django_db
def test_manual_queues_and_explicit_assignees_are_left_alone(tenant_a, alice):
    manual, _agents = queue_with_agents(tenant_a, AssignmentMode.MANUAL, "Ann")
    assert TicketFactory(tenant_a, queue=manual).assignee_id is None
    robin, _agents = queue_with_agents(tenant_a, AssignmentMode.ROUND_ROBIN, "Ben")
    assert TicketFactory(tenant_a, queue=robin, assignee=alice).assignee_id == alice.pk


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_under_concurrent_creation(tenant_a):
    queue, agents = queue_with_agents(tenant_a, AssignmentMode.ROUND_ROBIN, "Ann", "Ben", "Cat")
    barrier, errors = threading.Barrier(6), []

    def create() -> None:
        try:
            barrier.wait()
            TicketFactory(tenant_a, queue=queue)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with tenant_context(tenant_a.id):
        counts = Counter(Ticket.objects.filter(queue=queue).values_list("assignee_id", flat=True))
    assert counts == {user.pk: 2 for user in agents}
