"""Email-to-ticket through the real inbound path (raw RFC 822 bytes into inbound_message_ingest), replies
out through a real SMTP server, and the customer's answer threading back in."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Contact
from inbox.models import InboundStatus
from interactions.models import Interaction
from service_desk.models import MessageKind, Ticket, TicketChannel, TicketMessage, TicketStatus
from service_desk.services import ticket_message_add, ticket_status_change
from support.models import ClosedReplyPolicy, NoticeKind, SupportNotice, SupportSettings
from support.selectors import support_dropbox_address
from tests.factories import ContactFactory
from tests.support.conftest import SUPPORT_ADDRESS, customer_mail, ingest

pytestmark = pytest.mark.django_db


def refresh(tenant, row):
    with tenant_context(tenant.id):
        row.refresh_from_db()
    return row


def only_ticket(tenant):
    with tenant_context(tenant.id):
        return Ticket.objects.select_related("contact", "queue").get()


def test_mail_to_a_queue_address_opens_a_ticket_with_a_new_contact_and_an_acknowledgment(
    tenant_a, queue, outbox, django_capture_on_commit_callbacks
):
    result = ingest(tenant_a, customer_mail(), django_capture_on_commit_callbacks)

    ticket = only_ticket(tenant_a)
    assert ticket.channel == TicketChannel.EMAIL
    assert ticket.subject == "Printer is broken"
    assert ticket.queue == queue
    assert ticket.requester_email == "jane@customer.example"
    assert (ticket.contact.first_name, ticket.contact.last_name) == ("Jane", "Buyer")
    with tenant_context(tenant_a.id):
        first = TicketMessage.objects.get(ticket=ticket)
    assert first.kind == MessageKind.CUSTOMER
    assert first.message_id == "<c1@customer.example>"
    assert first.inbound_message_id == result.message.pk
    refresh(tenant_a, result.message)
    assert result.message.status == InboundStatus.LOGGED
    assert f"#{ticket.number}" in result.message.reason

    [ack] = outbox.handler.messages
    assert ack["To"] == "jane@customer.example"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<c1@customer.example>"
    assert f"[#{ticket.number}]" in ack["Subject"]
    assert SUPPORT_ADDRESS in ack["From"]
    assert "https://crm.example.com/support/t/" in ack.get_content()


def test_mail_to_the_workspace_support_dropbox_address_opens_a_ticket_in_no_queue(tenant_a, outbox):
    with tenant_context(tenant_a.id):
        address = support_dropbox_address(tenant_a)
    ingest(tenant_a, customer_mail(to=address))
    ticket = only_ticket(tenant_a)
    assert ticket.queue is None
    assert ticket.contact.email == "jane@customer.example"


def test_mail_to_another_address_is_left_to_the_inbox(tenant_a, queue):
    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    result = ingest(tenant_a, customer_mail(to="sales@acme.example"))
    refresh(tenant_a, result.message)
    assert result.message.status == InboundStatus.LOGGED
    with tenant_context(tenant_a.id):
        assert not Ticket.objects.exists()
        assert Interaction.objects.get().contact == contact


def test_an_existing_contact_is_reused_by_address(tenant_a, queue):
    contact = ContactFactory(tenant=tenant_a, email="Jane@Customer.example")
    ingest(tenant_a, customer_mail())
    assert only_ticket(tenant_a).contact == contact
    with tenant_context(tenant_a.id):
        assert Contact.objects.count() == 1


def test_the_full_loop_reply_goes_out_threaded_and_the_answer_threads_back(
    tenant_a, alice, queue, outbox, django_capture_on_commit_callbacks
):
    ingest(tenant_a, customer_mail(), django_capture_on_commit_callbacks)
    ticket = only_ticket(tenant_a)
    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=True):
        reply = ticket_message_add(
            tenant=tenant_a, ticket=ticket, kind=MessageKind.REPLY, body_text="Please update the driver.", by=alice
        )
        ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.PENDING, by=alice)

    sent = outbox.handler.messages[-1]
    assert sent["Subject"] == f"Re: [#{ticket.number}] Printer is broken"
    assert sent["In-Reply-To"] == "<c1@customer.example>"
    assert "<c1@customer.example>" in sent["References"]
    assert SUPPORT_ADDRESS in sent["From"]
    assert "Please update the driver." in sent.get_content()
    with tenant_context(tenant_a.id):
        reply.refresh_from_db()
        assert reply.message_id == sent["Message-ID"]
        assert reply.outbound_email.status == "sent"

    # The customer answers that email: a new subject, but the headers point at our reply.
    answer = customer_mail(
        subject="Still blank",
        body="Updated, still blank pages.",
        message_id="<c2@customer.example>",
        extra=f"In-Reply-To: {sent['Message-ID']}\nReferences: <c1@customer.example> {sent['Message-ID']}",
    )
    ingest(tenant_a, answer, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 1
        entries = list(TicketMessage.objects.filter(ticket=ticket).order_by("created_at", "id"))
        ticket.refresh_from_db()
    assert [e.kind for e in entries] == [MessageKind.CUSTOMER, MessageKind.REPLY, MessageKind.CUSTOMER]
    assert entries[-1].body_text.strip() == "Updated, still blank pages."
    assert ticket.status == TicketStatus.OPEN  # pending on the customer, and they answered
    assert len(outbox.handler.messages) == 2  # no acknowledgment for an answer


def test_an_answer_to_the_acknowledgment_threads_into_the_ticket(
    tenant_a, queue, outbox, django_capture_on_commit_callbacks
):
    ingest(tenant_a, customer_mail(), django_capture_on_commit_callbacks)
    [ack] = outbox.handler.messages
    ingest(tenant_a, customer_mail(message_id="<c2@customer.example>", extra=f"In-Reply-To: {ack['Message-ID']}"))
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 1
        assert TicketMessage.objects.count() == 2


def test_the_subject_tag_threads_only_from_the_tickets_own_customer(tenant_a, queue):
    ingest(tenant_a, customer_mail())
    ticket = only_ticket(tenant_a)
    tagged = f"Re: [#{ticket.number}] Printer is broken"
    ingest(tenant_a, customer_mail(subject=tagged, message_id="<c2@customer.example>"))
    ingest(
        tenant_a,
        customer_mail(sender="Mallory <mallory@evil.example>", subject=tagged, message_id="<m1@evil.example>"),
    )
    with tenant_context(tenant_a.id):
        assert TicketMessage.objects.filter(ticket=ticket).count() == 2
        stranger = Ticket.objects.exclude(pk=ticket.pk).get()
    assert stranger.requester_email == "mallory@evil.example"


@pytest.mark.parametrize(
    "extra",
    ["Auto-Submitted: auto-replied", "Precedence: bulk"],
)
def test_automatic_mail_to_support_opens_nothing(tenant_a, queue, outbox, extra, django_capture_on_commit_callbacks):
    result = ingest(tenant_a, customer_mail(extra=extra), django_capture_on_commit_callbacks)
    refresh(tenant_a, result.message)
    assert result.message.status == InboundStatus.IGNORED_AUTO_REPLY
    with tenant_context(tenant_a.id):
        assert not Ticket.objects.exists()
    assert outbox.handler.messages == []


def test_mailing_list_mail_gets_a_ticket_but_no_acknowledgment(
    tenant_a, queue, outbox, django_capture_on_commit_callbacks
):
    ingest(tenant_a, customer_mail(extra="List-Id: <users.lists.example>"), django_capture_on_commit_callbacks)
    assert only_ticket(tenant_a)
    assert outbox.handler.messages == []


def test_mail_from_our_own_support_address_is_not_answered(tenant_a, queue, outbox, django_capture_on_commit_callbacks):
    result = ingest(tenant_a, customer_mail(sender=f"Support <{SUPPORT_ADDRESS}>"), django_capture_on_commit_callbacks)
    refresh(tenant_a, result.message)
    assert result.message.status == InboundStatus.IGNORED_AUTO_REPLY
    with tenant_context(tenant_a.id):
        assert not Ticket.objects.exists()
    assert outbox.handler.messages == []


def test_one_sender_gets_at_most_the_hourly_limit_of_acknowledgments(
    tenant_a, queue, outbox, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a.id):
        SupportSettings.objects.create(tenant=tenant_a, auto_reply_limit_per_hour=2)
    for n in range(4):
        ingest(tenant_a, customer_mail(message_id=f"<burst{n}@customer.example>"), django_capture_on_commit_callbacks)
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 4  # no mail is lost
        assert SupportNotice.objects.filter(kind=NoticeKind.ACKNOWLEDGMENT).count() == 2
    assert len(outbox.handler.messages) == 2


@pytest.mark.parametrize(
    ("policy", "tickets", "status"),
    [(ClosedReplyPolicy.REOPEN, 1, TicketStatus.OPEN), (ClosedReplyPolicy.FOLLOW_UP, 2, TicketStatus.CLOSED)],
)
def test_an_answer_to_a_closed_ticket_follows_the_setting(tenant_a, alice, queue, policy, tickets, status):
    with tenant_context(tenant_a.id):
        SupportSettings.objects.create(tenant=tenant_a, closed_reply_policy=policy)
    ingest(tenant_a, customer_mail())
    ticket = only_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.CLOSED, by=alice)
    ingest(tenant_a, customer_mail(message_id="<c2@customer.example>", extra="In-Reply-To: <c1@customer.example>"))
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == tickets
        ticket.refresh_from_db()
        assert ticket.status == status
        if policy == ClosedReplyPolicy.FOLLOW_UP:
            follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
            assert follow_up.subject.startswith(f"Follow-up to #{ticket.number}")
            assert follow_up.contact_id == ticket.contact_id


def test_a_refused_attachment_is_recorded_and_the_mail_still_opens_a_ticket(tenant_a, queue, settings):
    settings.INTERACTION_ATTACHMENT_MAX_BYTES = 10
    settings.TICKET_ATTACHMENT_MAX_BYTES = 10
    result = ingest(tenant_a, customer_mail(attachment=("log.bin", b"x" * 5000)))
    refresh(tenant_a, result.message)
    ticket = only_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        first = TicketMessage.objects.get(ticket=ticket)
        assert not first.attachments.exists()
    assert [item["name"] for item in result.message.rejected_attachments] == ["log.bin"]


def test_an_accepted_attachment_is_copied_onto_the_first_message(tenant_a, queue):
    ingest(tenant_a, customer_mail(attachment=("notes.txt", b"driver 1.2.3")))
    ticket = only_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        [attachment] = TicketMessage.objects.get(ticket=ticket).attachments.all()
        assert attachment.filename == "notes.txt"
        assert attachment.file.read() == b"driver 1.2.3"


def test_mail_for_tenant_a_never_threads_into_tenant_b(tenant_a, tenant_b, queue):
    ingest(tenant_a, customer_mail())
    ticket = only_ticket(tenant_a)
    with tenant_context(tenant_b.id):
        from service_desk.models import Queue

        Queue.objects.create(tenant=tenant_b, name="Help", email_address="help@globex.example")
    ingest(
        tenant_b,
        customer_mail(
            to="help@globex.example",
            subject=f"[#{ticket.number}] hello",
            message_id="<b1@customer.example>",
            extra="In-Reply-To: <c1@customer.example>",
        ),
    )
    with tenant_context(tenant_a.id):
        assert TicketMessage.objects.count() == 1
    with tenant_context(tenant_b.id):
        assert Ticket.objects.count() == 1
