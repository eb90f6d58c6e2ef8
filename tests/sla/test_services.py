"""SLA clocks on real tickets: computed at creation, recomputed by the sweep only when a ticket changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tenancy.context import tenant_context
from service_desk.models import Ticket
from service_desk.services import ticket_status_change
from sla.models import TicketSla
from sla.services import (
    holiday_add,
    policy_save,
    sla_breaches_mark,
    sla_sweep_tenant,
    stale_ticket_ids,
    ticket_sla_refresh,
)
from tests.factories import AccountFactory, ContactFactory
from tests.service_desk.factories import TicketFactory
from tests.sla.factories import SlaPolicyFactory, backdate

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def sla_of(ticket: Ticket) -> TicketSla:
    with tenant_context(ticket.tenant_id):
        return TicketSla.objects.get(ticket_id=ticket.pk)


def test_a_new_ticket_gets_its_clocks_from_the_priority_policy(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, priority="high", first_response_minutes=30, resolution_minutes=240)
    ticket = TicketFactory(tenant_a, priority="high")
    sla = sla_of(ticket)
    assert sla.first_response_due == ticket.created_at + timedelta(minutes=30)
    assert sla.resolution_due == ticket.created_at + timedelta(minutes=240)
    assert not sla.first_response_breached and not sla.resolution_breached and not sla.is_paused


def test_without_a_policy_there_are_no_due_times(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, priority="urgent")
    sla = sla_of(TicketFactory(tenant_a, priority="low"))
    assert sla.first_response_due is None and sla.resolution_due is None and sla.policy_id is None


def test_due_times_honour_business_hours(tenant_a, office_hours):
    SlaPolicyFactory(tenant=tenant_a, priority="normal", first_response_minutes=120, resolution_minutes=600)
    berlin = ZoneInfo("Europe/Berlin")
    ticket = TicketFactory(tenant_a)
    backdate(ticket, datetime(2026, 3, 6, 16, 0, tzinfo=berlin))  # Friday 16:00
    with tenant_context(tenant_a.id):
        holiday_add(tenant=tenant_a, day=datetime(2026, 3, 9).date(), name="Team day", by=None)
        sla = ticket_sla_refresh(tenant=tenant_a, ticket=ticket, now=datetime(2026, 3, 6, 16, 5, tzinfo=berlin))
    # 1 h on Friday, the weekend and Monday's holiday closed, 1 h on Tuesday.
    assert sla.first_response_due == datetime(2026, 3, 10, 10, 0, tzinfo=berlin)
    assert sla.resolution_due == datetime(2026, 3, 11, 10, 0, tzinfo=berlin)


def test_time_pending_does_not_count_and_pending_shows_paused(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=240)
    start = timezone.now() - 10 * H
    ticket = TicketFactory(tenant_a)
    backdate(ticket, start, [(start, "open"), (start + H, "pending")])
    with tenant_context(tenant_a.id):
        sla = ticket_sla_refresh(tenant=tenant_a, ticket=ticket)
    assert sla.is_paused and sla.resolution_due is None and not sla.resolution_breached
    assert sla.resolution_remaining_minutes == 180
    backdate(ticket, start, [(start, "open"), (start + H, "pending"), (start + 9 * H, "open")])
    with tenant_context(tenant_a.id):
        sla = ticket_sla_refresh(tenant=tenant_a, ticket=ticket)
    assert not sla.is_paused and sla.resolution_due == start + 12 * H


def test_first_response_in_time_is_met_and_late_is_breached(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=600)
    start = timezone.now() - 5 * H
    on_time, late = TicketFactory(tenant_a), TicketFactory(tenant_a)
    for ticket, replied in ((on_time, start + timedelta(minutes=59)), (late, start + 2 * H)):
        backdate(ticket, start)
        with tenant_context(tenant_a.id):
            Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=replied)
            ticket_sla_refresh(tenant=tenant_a, ticket=ticket)
    assert sla_of(on_time).first_response_met_at == start + timedelta(minutes=59)
    assert not sla_of(on_time).first_response_breached
    assert sla_of(late).first_response_breached and sla_of(late).first_response_met_at is None


def test_solving_stops_the_resolution_clock(tenant_a, always_open, alice):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)
    ticket = TicketFactory(tenant_a)
    with tenant_context(tenant_a.id):
        ticket_status_change(tenant=tenant_a, ticket=ticket, status="solved", by=alice)
        sla_sweep_tenant(tenant=tenant_a)
    sla = sla_of(ticket)
    assert sla.resolution_met_at is not None and not sla.resolution_breached and not sla.ticket_open


def test_a_gold_customer_gets_the_narrower_tier_policy(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=480)
    gold = SlaPolicyFactory(
        tenant=tenant_a, tier_field="tier", tier_value="Gold", first_response_minutes=15, resolution_minutes=120
    )
    account = AccountFactory(tenant=tenant_a, custom_fields={"tier": "gold"})
    contact = ContactFactory(tenant=tenant_a, account=account)
    assert sla_of(TicketFactory(tenant_a, contact=contact)).policy_id == gold.pk
    assert sla_of(TicketFactory(tenant_a)).policy_id != gold.pk


def test_policy_validation(tenant_a):
    with tenant_context(tenant_a.id):
        policy_save(
            tenant=tenant_a, policy=None, priority="high", first_response_minutes=30, resolution_minutes=60, by=None
        )
        with pytest.raises(ValidationError) as duplicate:
            policy_save(
                tenant=tenant_a, policy=None, priority="high", first_response_minutes=10, resolution_minutes=60, by=None
            )
        assert "priority" in duplicate.value.message_dict
        with pytest.raises(ValidationError) as backwards:
            policy_save(
                tenant=tenant_a, policy=None, priority="low", first_response_minutes=90, resolution_minutes=60, by=None
            )
        assert "resolution_minutes" in backwards.value.message_dict


def test_the_sweep_recomputes_only_tickets_that_changed(tenant_a, always_open, alice):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=240)
    tickets = [TicketFactory(tenant_a) for _ in range(3)]
    with tenant_context(tenant_a.id):
        assert stale_ticket_ids(tenant=tenant_a) == []
        assert sla_sweep_tenant(tenant=tenant_a) == 0
        ticket_status_change(tenant=tenant_a, ticket=tickets[1], status="pending", by=alice)
        assert stale_ticket_ids(tenant=tenant_a) == [tickets[1].pk]
        assert sla_sweep_tenant(tenant=tenant_a) == 1
        assert stale_ticket_ids(tenant=tenant_a) == []
    assert sla_of(tickets[1]).is_paused


def test_changing_targets_recomputes_every_open_clock(tenant_a, always_open):
    policy = SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=240)
    ticket = TicketFactory(tenant_a)
    with tenant_context(tenant_a.id):
        policy_save(
            tenant=tenant_a, policy=policy, priority="normal", first_response_minutes=30, resolution_minutes=90, by=None
        )
        assert stale_ticket_ids(tenant=tenant_a) == [ticket.pk]
        sla_sweep_tenant(tenant=tenant_a)
    assert sla_of(ticket).resolution_due == ticket.created_at + timedelta(minutes=90)


def test_breaches_are_flagged_set_wise_when_the_due_time_passes(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)
    ticket = TicketFactory(tenant_a)
    with tenant_context(tenant_a.id):
        assert sla_breaches_mark(tenant=tenant_a, now=ticket.created_at + 90 * timedelta(minutes=1)) == 1
        sla = TicketSla.objects.get(ticket_id=ticket.pk)
        assert sla.first_response_breached and not sla.resolution_breached
        assert sla_breaches_mark(tenant=tenant_a, now=ticket.created_at + 3 * H) == 1
        assert sla_breaches_mark(tenant=tenant_a, now=ticket.created_at + 3 * H) == 0


def test_sweep_queries_do_not_grow_with_the_number_of_tickets(tenant_a, always_open):
    SlaPolicyFactory(tenant=tenant_a)

    def sweep_queries() -> int:
        with tenant_context(tenant_a.id):
            TicketSla.objects.update(seen_version=-1)
            with CaptureQueriesContext(connection) as queries:
                sla_sweep_tenant(tenant=tenant_a)
        return len(queries)

    TicketFactory(tenant_a)
    few = sweep_queries()
    for _ in range(12):
        TicketFactory(tenant_a)
    assert sweep_queries() == few


def test_other_tenants_tickets_are_not_touched(tenant_a, tenant_b, always_open):
    SlaPolicyFactory(tenant=tenant_a)
    theirs = TicketFactory(tenant_b)
    with tenant_context(tenant_a.id):
        assert stale_ticket_ids(tenant=tenant_a) == []
        sla_sweep_tenant(tenant=tenant_a)
    with tenant_context(tenant_b.id):
        assert TicketSla.objects.get(ticket_id=theirs.pk).policy_id is None
    assert datetime.now(UTC)  # the clocks of B were computed with B's (absent) policies
