"""Ticket services: numbering, status history, the conversation's rules, edits with versions, merging."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from crm.tenancy.context import tenant_context
from customers.services import ConcurrentEditError
from notifications.models import Notification
from service_desk import services
from service_desk.models import (
    MessageKind,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
)
from tests.factories import ContactFactory
from tests.service_desk.factories import QueueFactory, make_ticket

pytestmark = pytest.mark.django_db


def test_numbers_count_per_tenant(tenant_a, tenant_b):
    first, second = make_ticket(tenant_a), make_ticket(tenant_a)
    other = make_ticket(tenant_b)
    assert (first.number, second.number, other.number) == (1, 2, 1)


def test_status_changes_are_recorded_in_order(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        services.ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.SOLVED, by=alice)
        ticket = services.ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.CLOSED, by=alice)
        history = list(
            TicketStatusChange.objects.filter(ticket=ticket)
            .order_by("changed_at", "id")
            .values_list("from_status", "to_status")
        )
    assert history == [("", "new"), ("new", "solved"), ("solved", "closed")]
    assert ticket.closed_at is not None and ticket.solved_at is not None


@pytest.mark.parametrize("status", [TicketStatus.PENDING, TicketStatus.SOLVED])
def test_customer_message_reopens_a_waiting_or_solved_ticket(tenant_a, alice, status):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        services.ticket_status_change(tenant=tenant_a, ticket=ticket, status=status, by=alice)
        services.ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.CUSTOMER, body_text="Still broken")
        ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.solved_at is None


def test_customer_message_on_closed_ticket_leaves_it_closed(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        services.ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.CLOSED, by=alice)
        services.ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.CUSTOMER, body_text="Thanks!")
        ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_first_public_reply_stamps_first_response_and_opens(tenant_a, alice):
    ticket = make_ticket(tenant_a, requester_email="ann@example.org")
    with tenant_context(tenant_a.id):
        services.ticket_message_add(
            tenant=tenant_a, ticket=ticket, kind=MessageKind.NOTE, body_text="Looking", by=alice
        )
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None  # a note is not a response
        reply = services.ticket_message_add(
            tenant=tenant_a, ticket=ticket, kind=MessageKind.REPLY, body_text="On it", by=alice
        )
        ticket.refresh_from_db()
        first = ticket.first_responded_at
        services.ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.REPLY, body_text="Done", by=alice)
        ticket.refresh_from_db()
    assert first is not None and ticket.first_responded_at == first
    assert ticket.status == TicketStatus.OPEN
    # The support app queued each public reply as an email to the requester.
    with tenant_context(tenant_a.id):
        reply.refresh_from_db()
        email = reply.outbound_email
        assert email is not None and email.to == ["ann@example.org"] and "On it" in email.body
        assert TicketMessage.objects.filter(ticket=ticket, outbound_email__isnull=False).count() == 2


def test_empty_message_and_refused_attachment_write_nothing(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        before = TicketMessage.objects.count()
        with pytest.raises(ValidationError):
            services.ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.NOTE, body_text=" ", by=alice)
        with pytest.raises(ValidationError) as refused:
            services.ticket_message_add(
                tenant=tenant_a,
                ticket=ticket,
                kind=MessageKind.NOTE,
                body_text="See file",
                by=alice,
                attachments=[("run.exe", "application/octet-stream", b"MZ")],
            )
        assert TicketMessage.objects.count() == before
    assert ".exe" in str(refused.value)


def test_attachment_is_stored_with_its_message(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        message = services.ticket_message_add(
            tenant=tenant_a,
            ticket=ticket,
            kind=MessageKind.NOTE,
            body_text="",
            by=alice,
            attachments=[("log.txt", "text/plain", b"error 42")],
        )
        stored = TicketAttachment.objects.get(message=message)
    assert (stored.filename, stored.size, stored.file.read()) == ("log.txt", 8, b"error 42")


def test_note_mentions_notify_members_once(tenant_a, alice, sam, bob, charlie):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        services.ticket_message_add(
            tenant=tenant_a,
            ticket=ticket,
            kind=MessageKind.NOTE,
            by=alice,
            body_text="@sam.service please check; cc @bob@acme.example @sam.service @charlie @alice",
        )
        notified = sorted(Notification.objects.values_list("user__email", flat=True))
    assert notified == ["bob@acme.example", "sam.service@acme.example"]


def test_update_records_history_and_refuses_stale_versions(tenant_a, alice, sam):
    ticket = make_ticket(tenant_a)
    queue = QueueFactory(tenant=tenant_a, name="Billing")
    with tenant_context(tenant_a.id):
        updated = services.ticket_update(
            tenant=tenant_a,
            ticket=ticket,
            by=alice,
            expected_version=ticket.version,
            data={"priority": "urgent", "queue": queue, "assignee": sam, "tags": ["Refund", "refund ", "vip"]},
        )
        with pytest.raises(ConcurrentEditError):
            services.ticket_update(
                tenant=tenant_a, ticket=ticket, data={"priority": "low"}, expected_version=ticket.version, by=alice
            )
        kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
        updated.refresh_from_db()
    assert (updated.priority, updated.queue_id, updated.assignee_id) == ("urgent", queue.pk, sam.pk)
    assert updated.tags == ["refund", "vip"]
    assert updated.status == TicketStatus.OPEN  # assigning a new ticket opens it
    assert kinds == {"priority", "queue", "assigned", "tags"}


def test_update_refuses_another_tenants_contact(tenant_a, tenant_b, alice):
    ticket = make_ticket(tenant_a)
    stranger = ContactFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id), pytest.raises(ValidationError):
        services.ticket_update(
            tenant=tenant_a, ticket=ticket, data={"contact": stranger}, expected_version=None, by=alice
        )


def test_merge_moves_conversation_and_closes_the_duplicate(tenant_a, alice):
    target = make_ticket(tenant_a, subject="Invoice wrong", description="Invoice 12 is wrong", tags=["billing"])
    duplicate = make_ticket(tenant_a, subject="Invoice", description="Again: invoice 12", tags=["vip"])
    with tenant_context(tenant_a.id):
        services.ticket_merge(tenant=tenant_a, duplicate=duplicate, into=target, by=alice)
        duplicate.refresh_from_db()
        target.refresh_from_db()
        target_bodies = list(TicketMessage.objects.filter(ticket=target).values_list("body_text", flat=True))
        duplicate_notes = list(TicketMessage.objects.filter(ticket=duplicate).values_list("kind", "body_text"))
        with pytest.raises(ValidationError):
            services.ticket_merge(tenant=tenant_a, duplicate=duplicate, into=target, by=alice)
        # A customer writing to the merged ticket lands on the surviving one.
        landed = services.ticket_message_add(
            tenant=tenant_a, ticket=duplicate, kind=MessageKind.CUSTOMER, body_text="Any news?"
        )
    assert duplicate.status == TicketStatus.CLOSED and duplicate.merged_into_id == target.pk
    assert "Again: invoice 12" in target_bodies and "Invoice 12 is wrong" in target_bodies
    assert any(f"#{duplicate.number}" in body for body in target_bodies)
    assert duplicate_notes == [
        (MessageKind.NOTE, f"Merged into ticket #{target.number}; its conversation continues there.")
    ]
    assert target.tags == ["billing", "vip"]
    assert landed.ticket_id == target.pk


def test_merge_into_itself_is_refused(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        with pytest.raises(ValidationError):
            services.ticket_merge(tenant=tenant_a, duplicate=ticket, into=ticket, by=alice)
        ticket.refresh_from_db()
    assert ticket.merged_into_id is None and ticket.status == TicketStatus.NEW
