"""The dropbox through a real SMTP session: aiosmtpd receiver in a thread, smtplib as the sender."""

from __future__ import annotations

import smtplib

import pytest

from crm.tenancy.context import tenant_context
from inbox.models import InboundMessage, InboundStatus, Source
from inbox.services import dropbox_address, inbox_route_for
from inbox.smtp import dropbox_controller, dropbox_controller_stop
from interactions.models import Interaction
from tests.factories import ContactFactory
from tests.inbox.conftest import free_port, mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_server(settings):
    settings.INBOUND_MAIL_MAX_BYTES = 20_000
    controller = dropbox_controller(host="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    dropbox_controller_stop(controller)


def address_of(tenant):
    return dropbox_address(inbox_route_for(tenant))


def send(server, rcpts, raw):
    with smtplib.SMTP(server.hostname, server.port) as client:
        return client.sendmail("sender@customer.example", rcpts, raw)


def test_mail_to_a_dropbox_is_stored_and_logged_in_its_tenant(smtp_server, tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    refused = send(smtp_server, [address_of(tenant_a)], mail())
    assert refused == {}
    with tenant_context(tenant_a.id):
        message = InboundMessage.objects.get()
        assert message.source == Source.DROPBOX
        assert message.status == InboundStatus.LOGGED
        assert Interaction.objects.get().contact == contact


def test_an_unknown_token_is_refused_at_rcpt_time(smtp_server, tenant_a):
    with smtplib.SMTP(smtp_server.hostname, smtp_server.port) as client:
        client.ehlo()
        client.mail("sender@customer.example")
        code, reply = client.rcpt("dropbox+0000deadbeef@inbound.localhost")
        assert code == 550
        assert b"No such dropbox" in reply
        code, _reply = client.rcpt("someone@elsewhere.example")
        assert code == 550


def test_a_message_over_the_limit_is_refused(smtp_server, tenant_a):
    big = mail(body=("x" * 70 + "\r\n") * 400)
    with pytest.raises(smtplib.SMTPSenderRefused) as announced:  # smtplib announces SIZE=...: refused at MAIL
        send(smtp_server, [address_of(tenant_a)], big)
    assert announced.value.smtp_code == 552
    with smtplib.SMTP(smtp_server.hostname, smtp_server.port) as client:  # a sender that does not announce it
        client.ehlo()
        client.mail("sender@customer.example")
        assert client.rcpt(address_of(tenant_a))[0] == 250
        code, _reply = client.data(big)
    assert code == 552
    with tenant_context(tenant_a.id):
        assert not InboundMessage.objects.exists()


def test_the_envelope_decides_the_tenant_not_the_headers(smtp_server, tenant_a, tenant_b):
    ContactFactory(tenant=tenant_b, email="jane@customer.example")
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    raw = mail(to=address_of(tenant_b), extra=f"Cc: {address_of(tenant_b)}")
    send(smtp_server, [address_of(tenant_a)], raw)
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.count() == 1
    with tenant_context(tenant_b.id):
        assert not InboundMessage.objects.exists()
        assert not Interaction.objects.exists()


def test_one_message_to_two_dropboxes_lands_once_in_each(smtp_server, tenant_a, tenant_b):
    send(smtp_server, [address_of(tenant_a), address_of(tenant_b), address_of(tenant_a)], mail())
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            assert InboundMessage.objects.count() == 1


def test_sending_the_same_message_again_is_a_no_op(smtp_server, tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    send(smtp_server, [address_of(tenant_a)], mail())
    send(smtp_server, [address_of(tenant_a)], mail())
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.count() == 1
        assert Interaction.objects.count() == 1


def test_a_regenerated_address_stops_the_old_one(smtp_server, tenant_a, alice):
    from inbox.services import inbox_dropbox_regenerate

    old = address_of(tenant_a)
    inbox_dropbox_regenerate(tenant=tenant_a, by=alice)
    with smtplib.SMTP(smtp_server.hostname, smtp_server.port) as client:
        client.ehlo()
        client.mail("sender@customer.example")
        assert client.rcpt(old)[0] == 550
        assert client.rcpt(address_of(tenant_a))[0] == 250
