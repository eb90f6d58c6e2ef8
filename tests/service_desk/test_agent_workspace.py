"""The agent workspace: who else has the ticket open (cache presence), keyboard shortcuts, the 360° card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.roles import Role
from crm.tenancy.context import tenant_context
from service_desk import presence
from tests.conftest import client_for
from tests.factories import (
    ContactFactory,
    DealFactory,
    InteractionFactory,
    MembershipFactory,
    OrderFactory,
    StageFactory,
    UserFactory,
)
from tests.service_desk.factories import make_ticket

pytestmark = pytest.mark.django_db


def _presence_url(ticket) -> str:
    return reverse("service_desk:ticket_presence", args=[ticket.pk])


def _detail_url(ticket) -> str:
    return reverse("service_desk:ticket_detail", args=[ticket.pk])


def test_two_agents_on_one_ticket_see_each_other(tenant_a, alice_client, sam_client):
    ticket = make_ticket(tenant_a)
    alone = alice_client.get(_detail_url(ticket))
    assert alone.status_code == 200
    assert b'data-testid="presence-notice"' not in alone.content

    page = sam_client.get(_detail_url(ticket))
    assert "Alice Admin</strong> is also viewing this ticket" in page.content.decode()

    poll = alice_client.get(_presence_url(ticket))
    assert poll.status_code == 200
    assert "Sam Service</strong> is also viewing this ticket" in poll.content.decode()
    assert "Alice Admin" not in poll.content.decode()  # nobody is told about themselves


def test_typing_agent_is_shown_as_typing_until_they_stop(tenant_a, alice_client, sam_client):
    ticket = make_ticket(tenant_a)
    sam_client.get(_presence_url(ticket), {"typing": "1"})
    assert "Sam Service</strong> is typing a reply" in alice_client.get(_presence_url(ticket)).content.decode()

    sam_client.get(_presence_url(ticket))  # the next poll without keystrokes
    body = alice_client.get(_presence_url(ticket)).content.decode()
    assert "Sam Service</strong> is also viewing this ticket" in body
    assert "typing" not in body


def test_a_viewer_who_stopped_polling_drops_off_after_the_expiry(tenant_a, alice, sam):
    ticket = make_ticket(tenant_a)
    start = timezone.now()
    presence.ticket_presence_touch(tenant_id=tenant_a.id, ticket_id=ticket.pk, user=sam, now=start)
    soon = presence.ticket_presence_touch(
        tenant_id=tenant_a.id, ticket_id=ticket.pk, user=alice, now=start + timedelta(seconds=30)
    )
    assert [viewer.name for viewer in soon] == ["Sam Service"]
    later = presence.ticket_presence_touch(
        tenant_id=tenant_a.id,
        ticket_id=ticket.pk,
        user=alice,
        now=start + timedelta(seconds=presence.PRESENCE_TTL + 1),
    )
    assert later == []


def test_presence_is_per_ticket_and_per_tenant(tenant_a, tenant_b, alice_client, sam_client, charlie):
    first, second = make_ticket(tenant_a, subject="First"), make_ticket(tenant_a, subject="Second")
    sam_client.get(_presence_url(first))
    assert b"presence-notice" not in alice_client.get(_presence_url(second)).content
    # Another tenant's agent on a ticket with a colliding id never shows up here.
    presence.ticket_presence_touch(tenant_id=tenant_b.id, ticket_id=first.pk, user=charlie)
    assert "Charlie" not in alice_client.get(_presence_url(first)).content.decode()


def test_presence_of_another_tenants_ticket_is_404_and_leaves_no_trace(tenant_a, alice_client, charlie_client, charlie):
    ticket = make_ticket(tenant_a)
    assert charlie_client.get(_presence_url(ticket)).status_code == 404
    assert "Charlie" not in alice_client.get(_presence_url(ticket)).content.decode()


def test_presence_needs_a_workspace_and_a_get(tenant_a, alice_client):
    ticket = make_ticket(tenant_a)
    outsider = client_for(UserFactory(email="nobody@elsewhere.example"))
    assert outsider.get(_presence_url(ticket)).status_code == 403
    assert alice_client.post(_presence_url(ticket)).status_code == 405


def test_presence_poll_writes_nothing_to_the_database(tenant_a, alice_client):
    ticket = make_ticket(tenant_a)
    alice_client.get(_presence_url(ticket))  # the first request also saves the session
    with CaptureQueriesContext(connection) as queries:
        assert alice_client.get(_presence_url(ticket)).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_ticket_page_offers_the_shortcuts_without_inline_script(tenant_a, alice_client):
    ticket = make_ticket(tenant_a)
    body = alice_client.get(_detail_url(ticket)).content.decode()
    assert 'data-testid="shortcuts-hint"' in body
    assert 'id="shortcuts-modal"' in body
    assert "service_desk/shortcuts.js" in body
    assert "data-shortcut-assign" in body  # "a" submits the Assign-to-me form
    assert 'id="reply-body"' in body and 'id="id_status"' in body  # "r"/"n" and "s" targets
    assert "onclick=" not in body and "onkeydown=" not in body


def test_customer_card_shows_recent_orders_open_deals_and_last_interactions(tenant_a, alice_client):
    contact = ContactFactory(tenant=tenant_a)
    now = timezone.now()
    for days, amount in ((40, "10.00"), (30, "20.00"), (20, "30.00"), (10, "40.00")):
        OrderFactory(tenant=tenant_a, contact=contact, amount=amount, ordered_at=now - timedelta(days=days))
    DealFactory(tenant=tenant_a, contact=contact, name="Renewal 2027")
    DealFactory(tenant=tenant_a, contact=contact, name="Lost upsell", stage=StageFactory(tenant=tenant_a, kind="lost"))
    for index in range(4):
        InteractionFactory(
            tenant=tenant_a, contact=contact, subject=f"Call {index}", occurred_at=now - timedelta(days=index)
        )
    ticket = make_ticket(tenant_a, contact=contact)
    body = alice_client.get(_detail_url(ticket)).content.decode()
    orders = body.split('data-testid="recent-orders"')[1].split("</ul>")[0]
    assert "40.00" in orders and "20.00" in orders and "10.00" not in orders
    deals = body.split('data-testid="open-deals"')[1].split("</ul>")[0]
    assert "Renewal 2027" in deals and "Lost upsell" not in deals
    interactions = body.split('data-testid="last-interactions"')[1].split("</ul>")[0]
    assert "Call 0" in interactions and "Call 2" in interactions and "Call 3" not in interactions


def test_customer_card_says_when_there_is_nothing_yet(tenant_a, alice_client):
    ticket = make_ticket(tenant_a, contact=ContactFactory(tenant=tenant_a))
    body = alice_client.get(_detail_url(ticket)).content.decode()
    assert "No orders yet" in body and "No open deals" in body and "No interactions logged" in body


def test_ticket_page_queries_do_not_grow_with_the_customers_history(tenant_a, alice_client):
    contact = ContactFactory(tenant=tenant_a)
    OrderFactory(tenant=tenant_a, contact=contact)
    DealFactory(tenant=tenant_a, contact=contact)
    InteractionFactory(tenant=tenant_a, contact=contact)
    ticket = make_ticket(tenant_a, contact=contact)
    alice_client.get(_detail_url(ticket))  # the first request also saves the session
    with CaptureQueriesContext(connection) as few:
        assert alice_client.get(_detail_url(ticket)).status_code == 200
    for _ in range(5):
        OrderFactory(tenant=tenant_a, contact=contact)
        DealFactory(tenant=tenant_a, contact=contact)
        InteractionFactory(tenant=tenant_a, contact=contact)
        make_ticket(tenant_a, contact=contact, subject="Another one")
    with CaptureQueriesContext(connection) as many:
        assert alice_client.get(_detail_url(ticket)).status_code == 200
    assert len(many) == len(few)


def test_rows_of_the_customer_card_belong_to_the_tenant(tenant_a, tenant_b, alice_client):
    contact = ContactFactory(tenant=tenant_a)
    ticket = make_ticket(tenant_a, contact=contact)
    with tenant_context(tenant_b.id):
        DealFactory(tenant=tenant_b, name="Globex secret deal")
    assert "Globex secret deal" not in alice_client.get(_detail_url(ticket)).content.decode()


def test_a_viewers_name_is_escaped_in_the_notice(tenant_a, alice_client):
    mallory = UserFactory(email="mallory@acme.example", full_name="<img src=x onerror=alert(1)>")
    MembershipFactory(user=mallory, tenant=tenant_a, role=Role.SERVICE)
    ticket = make_ticket(tenant_a)
    client_for(mallory).get(_presence_url(ticket))
    body = alice_client.get(_presence_url(ticket)).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;</strong> is also viewing this ticket" in body
    assert "<img src=x" not in body
