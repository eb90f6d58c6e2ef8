"""/api/v1/tickets/: list with filters, create with Idempotency-Key, patch with versions, messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_context
from service_desk.models import MessageKind, Ticket, TicketMessage, TicketStatus
from tests.factories import ContactFactory
from tests.service_desk.factories import make_ticket

pytestmark = pytest.mark.django_db
LIST = reverse("api:ticket-list")


def test_list_filters_open_and_unassigned(tenant_a, alice, alice_client):
    mine = make_ticket(tenant_a, subject="Mine", assignee=alice)
    free = make_ticket(tenant_a, subject="Free")
    body = alice_client.get(LIST, {"status": "open", "assignee": "none"}).json()
    assert [row["id"] for row in body["results"]] == [free.pk]
    assert {row["id"] for row in alice_client.get(LIST).json()["results"]} == {mine.pk, free.pk}
    assert alice_client.get(LIST, {"status": "bogus"}).status_code == 400


def test_create_is_idempotent_with_a_key(tenant_a, sam_client):
    contact = ContactFactory(tenant=tenant_a)
    payload = {"subject": "API ticket", "contact": contact.pk, "priority": "high", "tags": ["Api"]}
    first = sam_client.post(LIST, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = sam_client.post(LIST, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["channel"] == "api" and first.json()["tags"] == ["api"]
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 1


def test_create_refuses_another_tenants_contact(tenant_b, sam_client):
    stranger = ContactFactory(tenant=tenant_b)
    response = sam_client.post(LIST, {"subject": "x", "contact": stranger.pk}, content_type="application/json")
    assert response.status_code == 400 and "contact" in response.json()


def test_patch_changes_status_through_history_and_409_on_stale_version(tenant_a, sam_client):
    ticket = make_ticket(tenant_a)
    url = reverse("api:ticket-detail", args=[ticket.pk])
    ok = sam_client.patch(
        url, {"status": "solved", "priority": "low", "version": ticket.version}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "solved" and ok.json()["priority"] == "low"
    stale = sam_client.patch(url, {"priority": "urgent", "version": ticket.version}, content_type="application/json")
    assert stale.status_code == 409
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
        assert ticket.status_changes.filter(to_status=TicketStatus.SOLVED).exists()
    assert ticket.priority == "low"


def test_messages_list_and_add_note(tenant_a, sam_client):
    ticket = make_ticket(tenant_a, description="Help!")
    url = reverse("api:ticket-messages", args=[ticket.pk])
    added = sam_client.post(url, {"kind": "note", "body_text": "Internal"}, content_type="application/json")
    assert added.status_code == 201
    listed = sam_client.get(url).json()
    assert [(m["kind"], m["body_text"]) for m in listed] == [("customer", "Help!"), ("note", "Internal")]
    with tenant_context(tenant_a.id):
        assert TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.NOTE).count() == 1


def test_read_only_roles_cannot_write_and_other_tenants_see_nothing(tenant_a, sally_client, charlie_client):
    ticket = make_ticket(tenant_a)
    assert sally_client.get(LIST).status_code == 200
    assert sally_client.post(LIST, {"subject": "x"}, content_type="application/json").status_code == 403
    url = reverse("api:ticket-messages", args=[ticket.pk])
    assert (
        sally_client.post(url, {"kind": "note", "body_text": "x"}, content_type="application/json").status_code == 403
    )
    assert charlie_client.get(reverse("api:ticket-detail", args=[ticket.pk])).status_code == 404
    assert charlie_client.get(url).status_code == 404
    assert charlie_client.get(LIST).json()["results"] == []
