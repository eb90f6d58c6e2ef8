"""The IMAP poller against a real IMAP server (pymap's in-memory backend, in a subprocess)."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from inbox.imap import ImapError, imap_poll
from inbox.models import InboundMessage, InboxSettings, PollStatus, Source
from inbox.tasks import poll_imap, schedule_imap_polls
from interactions.models import Interaction
from tests.factories import ContactFactory
from tests.inbox.conftest import configure_imap, free_port, mail

pytestmark = pytest.mark.django_db


def poll(tenant):
    with tenant_context(tenant.id):
        return imap_poll(tenant=tenant)


def test_new_mail_is_ingested_and_a_second_poll_logs_nothing_new(imap_server, tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    configure_imap(tenant_a, imap_server)
    imap_server["append"](mail(message_id="<a@x>", subject="First"))
    imap_server["append"](mail(message_id="<b@x>", subject="Second"))
    assert poll(tenant_a) == 2
    assert poll(tenant_a) == 0
    imap_server["append"](mail(message_id="<c@x>", subject="Third"))
    assert poll(tenant_a) == 1
    with tenant_context(tenant_a.id):
        assert sorted(Interaction.objects.values_list("subject", flat=True)) == ["First", "Second", "Third"]
        assert set(InboundMessage.objects.values_list("source", flat=True)) == {Source.IMAP}
        config = InboxSettings.objects.get()
    assert config.last_poll_status == PollStatus.OK
    assert config.imap_uidvalidity is not None
    assert config.imap_last_uid > 0


def test_a_lost_bookmark_re_reads_but_logs_nothing_twice(imap_server, tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    configure_imap(tenant_a, imap_server)
    imap_server["append"](mail())
    poll(tenant_a)
    with tenant_context(tenant_a.id):
        InboxSettings.objects.update(imap_uidvalidity=1, imap_last_uid=0)  # as if the server renumbered
    assert poll(tenant_a) == 0
    with tenant_context(tenant_a.id):
        assert Interaction.objects.count() == 1


def test_wrong_password_is_permanent_and_recorded(imap_server, tenant_a):
    configure_imap(tenant_a, imap_server, password="wrong")
    with pytest.raises(ImapError) as failure:
        poll(tenant_a)
    assert failure.value.permanent
    assert str(failure.value) == "The IMAP server refused the username or password."
    with tenant_context(tenant_a.id):
        config = InboxSettings.objects.get()
    assert config.last_poll_status == PollStatus.AUTH_FAILED
    assert config.last_poll_message == "The IMAP server refused the username or password."


def test_refused_login_is_not_retried_and_not_scheduled_again(imap_server, tenant_a, eager_tasks):
    configure_imap(tenant_a, imap_server, password="wrong")
    assert poll_imap.apply(args=[tenant_a.id]).get() == 0  # no exception: not retried
    assert schedule_imap_polls.apply().get() == 0


def test_unreachable_server_is_a_transient_error(tenant_a):
    configure_imap(tenant_a, {"host": "127.0.0.1", "port": free_port(), "user": "u", "password": "p"})
    with pytest.raises(ImapError) as failure:
        poll(tenant_a)
    assert not failure.value.permanent
    assert "unreachable" in str(failure.value)
    with tenant_context(tenant_a.id):
        assert InboxSettings.objects.get().last_poll_status == PollStatus.ERROR


def test_the_dispatcher_queues_only_tenants_with_polling_on(imap_server, tenant_a, tenant_b, eager_tasks):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    configure_imap(tenant_a, imap_server)
    imap_server["append"](mail())
    assert schedule_imap_polls.apply().get() == 1
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.count() == 1
    with tenant_context(tenant_b.id):
        assert not InboundMessage.objects.exists()
