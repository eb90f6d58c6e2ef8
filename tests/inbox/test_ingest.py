"""Ingest: stored once, matched to contacts, threaded, logged (or deliberately not)."""

from __future__ import annotations

import base64

import pytest
from django.core.files.storage import default_storage

from crm.tenancy.context import tenant_context
from inbox.models import InboundMessage, InboundStatus, Source
from inbox.selectors import message_id_for_interaction
from inbox.services import inbound_message_ingest
from interactions.models import Interaction, InteractionAttachment
from tests.factories import ContactFactory, InteractionFactory
from tests.inbox.conftest import mail

pytestmark = pytest.mark.django_db


def ingest(tenant, raw, source=Source.DROPBOX):
    with tenant_context(tenant.id):
        return inbound_message_ingest(tenant=tenant, raw=raw, source=source)


def test_a_reply_from_a_contact_is_logged_inbound_on_that_contact(tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a, email="Jane@Customer.example", owner=alice)
    result = ingest(tenant_a, mail())
    message = result.message
    assert result.created
    assert message.status == InboundStatus.LOGGED
    assert message.from_address == "jane@customer.example"
    with tenant_context(tenant_a.id):
        interaction = Interaction.objects.get()
        assert interaction.contact == contact
        assert interaction.kind == "email"
        assert interaction.direction == "inbound"
        assert interaction.subject == "Quote please"
        assert "200 units" in interaction.body
        assert message_id_for_interaction(interaction) == "<m1@customer.example>"
    assert default_storage.open(message.raw_name).read() == mail()
    assert message.size == len(mail())


def test_the_same_message_twice_is_stored_and_logged_once(tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    first = ingest(tenant_a, mail())
    second = ingest(tenant_a, mail(), source=Source.IMAP)
    assert second.created is False
    assert second.message.pk == first.message.pk
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.count() == 1
        assert Interaction.objects.count() == 1


def test_without_message_id_the_bytes_decide(tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    raw = mail(message_id=None)
    assert ingest(tenant_a, raw).created
    assert not ingest(tenant_a, raw).created
    assert ingest(tenant_a, mail(message_id=None, body="A different message")).created
    with tenant_context(tenant_a.id):
        assert Interaction.objects.count() == 2


def test_the_same_message_id_in_two_tenants_is_two_messages(tenant_a, tenant_b):
    ingest(tenant_a, mail())
    assert ingest(tenant_b, mail()).created
    with tenant_context(tenant_b.id):
        assert InboundMessage.objects.count() == 1


def test_unknown_sender_is_stored_unmatched_with_the_reason(tenant_a):
    message = ingest(tenant_a, mail(sender="stranger@nowhere.example")).message
    assert message.status == InboundStatus.UNMATCHED
    assert "stranger@nowhere.example" in message.reason
    assert message.interaction is None


def test_a_rep_bccing_the_dropbox_logs_outbound_on_the_recipients(tenant_a, alice):
    first = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    second = ContactFactory(tenant=tenant_a, email="li@customer.example")
    raw = mail(
        sender="Alice Admin <ALICE@acme.example>",
        to="jane@customer.example, dropbox+abc@inbound.localhost",
        extra="Cc: li@customer.example, bob@acme.example",
        subject="Your quote",
    )
    message = ingest(tenant_a, raw).message
    assert message.status == InboundStatus.LOGGED
    assert message.direction == "outbound"
    with tenant_context(tenant_a.id):
        interaction = Interaction.objects.get()
        assert interaction.direction == "outbound"
        assert interaction.logged_by == alice
        assert interaction.contact == first
        assert list(interaction.participant_contacts.all()) == [second]


def test_a_rep_forwarding_a_customer_mail_logs_it_on_the_customer(tenant_a, alice):
    customer = ContactFactory(tenant=tenant_a, email="buyer@customer.example")
    body = (
        "FYI, see below.\r\n\r\n---------- Forwarded message ---------\r\n"
        "From: Big Buyer <buyer@customer.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        "Subject: Order 42\r\nTo: alice@acme.example\r\n\r\nWe need 10 more pallets.\r\n"
    )
    raw = mail(sender="alice@acme.example", to="dropbox+abc@inbound.localhost", subject="Fwd: Order 42", body=body)
    message = ingest(tenant_a, raw).message
    assert message.status == InboundStatus.LOGGED
    with tenant_context(tenant_a.id):
        interaction = Interaction.objects.get()
        assert interaction.contact == customer
        assert interaction.direction == "inbound"
        assert interaction.logged_by == alice
        assert interaction.subject == "Order 42"
        assert "10 more pallets" in interaction.body


def test_a_reply_to_our_email_threads_on_it_even_from_another_address(tenant_a, alice):
    from mail.models import OutboundEmail

    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    sent = InteractionFactory(tenant=tenant_a, contact=contact, kind="email")
    with tenant_context(tenant_a.id):
        OutboundEmail.objects.create(
            tenant=tenant_a, contact=contact, interaction=sent, from_header="alice@acme.example",
            to=["jane@customer.example"], subject="Quote", body="Here it is", message_id="<out-1@crm.example>",
        )  # fmt: skip
    raw = mail(sender="jane.private@home.example", subject="Re: Quote", extra="In-Reply-To: <out-1@crm.example>")
    message = ingest(tenant_a, raw).message
    assert message.status == InboundStatus.LOGGED
    assert message.parent_interaction_id == sent.pk
    with tenant_context(tenant_a.id):
        assert message.interaction.contact == contact


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (mail(extra="Auto-Submitted: auto-replied", subject="Re: Quote"), InboundStatus.IGNORED_AUTO_REPLY),
        (mail(subject="Out of office: Re: Quote"), InboundStatus.IGNORED_AUTO_REPLY),
        (mail(sender="MAILER-DAEMON@mx.customer.example", subject="Undelivered Mail"), InboundStatus.IGNORED_BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_stored_but_not_logged(tenant_a, raw, status):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    message = ingest(tenant_a, raw).message
    assert message.status == status
    assert message.reason
    with tenant_context(tenant_a.id):
        assert Interaction.objects.count() == 0


def test_broken_mime_is_rejected_with_the_reason_and_kept(tenant_a):
    raw = b'From: jane@customer.example\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n\r\ncut'
    message = ingest(tenant_a, raw).message
    assert message.status == InboundStatus.REJECTED
    assert "truncated" in message.reason
    assert default_storage.exists(message.raw_name)


def test_oversize_mail_is_rejected_without_storing_it(tenant_a, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 1000
    message = ingest(tenant_a, mail(body="x" * 2000)).message
    assert message.status == InboundStatus.REJECTED
    assert "limit is 1000 bytes" in message.reason
    assert message.raw_name == ""


def test_attachments_are_added_and_refused_ones_listed(tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    raw = (
        b"From: jane@customer.example\r\nSubject: Files\r\nMessage-ID: <files@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\nTwo files.\r\n"
        b'--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="quote.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 quote") + b"\r\n"
        b'--m\r\nContent-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename="setup.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"MZ....") + b"\r\n--m--\r\n"
    )
    message = ingest(tenant_a, raw).message
    assert message.status == InboundStatus.LOGGED
    with tenant_context(tenant_a.id):
        assert list(InteractionAttachment.objects.values_list("filename", flat=True)) == ["quote.pdf"]
    assert [item["name"] for item in message.rejected_attachments] == ["setup.exe"]
    assert message.rejected_attachments[0]["reason"]


def test_the_contact_owner_is_notified_of_an_inbound_reply(tenant_a, alice):
    from notifications.models import Notification

    ContactFactory(tenant=tenant_a, email="jane@customer.example", owner=alice)
    ingest(tenant_a, mail())
    with tenant_context(tenant_a.id):
        notification = Notification.objects.get()
    assert notification.user == alice
    assert "Quote please" in notification.title


def test_gbk_mail_is_logged_readably(tenant_a):
    ContactFactory(tenant=tenant_a, email="wang@example.cn")
    subject = base64.b64encode("询价".encode("gbk")).decode()
    raw = (
        f"From: wang@example.cn\r\nSubject: =?GBK?B?{subject}?=\r\nMessage-ID: <gbk@x>\r\n".encode()
        + b"Content-Type: text/plain; charset=GB2312\r\n\r\n"
        + "请报价，谢谢。".encode("gbk")  # noqa: RUF001
    )
    ingest(tenant_a, raw)
    with tenant_context(tenant_a.id):
        interaction = Interaction.objects.get()
    assert (interaction.subject, interaction.body) == ("询价", "请报价，谢谢。")  # noqa: RUF001


def test_message_id_for_an_interaction_not_received_is_none(tenant_a):
    interaction = InteractionFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        assert message_id_for_interaction(interaction) is None
