"""Bulk actions on the ticket list, through the shared list machinery (crm/lists)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_context
from service_desk.models import Ticket, TicketEvent, TicketStatus, TicketStatusChange
from tests.service_desk.factories import QueueFactory, make_ticket

pytestmark = pytest.mark.django_db
BULK = reverse("lists:bulk", args=["tickets"])


def _run(client, ids, action, **values):
    return client.post(BULK, {"action": action, "ids": ids, "confirm": "1", "query": "", "all": "0", **values})


def test_bulk_assign_status_priority_queue_and_tag(tenant_a, sam, sam_client):
    tickets = [make_ticket(tenant_a, subject=f"T{i}") for i in range(3)]
    other = make_ticket(tenant_a, subject="Untouched")
    ids = [t.pk for t in tickets]
    queue = QueueFactory(tenant=tenant_a, name="Tier 2")
    for action, values in [
        ("assign", {"assignee": sam.pk}),
        ("priority", {"priority": "high"}),
        ("queue", {"queue": queue.pk}),
        ("add_tag", {"tag": "Outage"}),
        ("status", {"status": "solved"}),
    ]:
        assert _run(sam_client, ids, action, **values).status_code in (200, 302), action
    with tenant_context(tenant_a.id):
        rows = list(
            Ticket.objects.filter(pk__in=ids).values_list("assignee_id", "priority", "queue_id", "tags", "status")
        )
        other.refresh_from_db()
        history = TicketStatusChange.objects.filter(ticket_id__in=ids, to_status=TicketStatus.SOLVED).count()
        events = TicketEvent.objects.filter(ticket_id__in=ids).count()
    assert rows == [(sam.pk, "high", queue.pk, ["outage"], "solved")] * 3
    assert history == 3 and events == 3 * 4  # one history row per ticket and change
    assert other.assignee_id is None and other.status == TicketStatus.NEW


def test_sales_have_no_bulk_actions(tenant_a, sally_client):
    ticket = make_ticket(tenant_a)
    assert _run(sally_client, [ticket.pk], "status", status="closed").status_code == 403
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_bulk_ignores_another_tenants_ids(tenant_a, tenant_b, charlie_client):
    ticket = make_ticket(tenant_a)
    _run(charlie_client, [ticket.pk], "priority", priority="urgent")
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
    assert ticket.priority == "normal"
