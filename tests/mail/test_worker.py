"""mail.send_outbound on a real Celery worker on real Redis, sending to a real SMTP server."""

from __future__ import annotations

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout

from crm.tenancy.context import tenant_context
from mail.models import OutboundEmail, OutboundStatus
from mail.services import outbound_email_compose
from mail.tasks import send_outbound
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401  (the worker fixture)
from tests.factories import ContactFactory
from tests.mail.conftest import configure_mail


@pytest.mark.worker
def test_the_worker_sends_a_queued_email_once(celery_worker_process, tenant_a, alice, smtp_server):  # noqa: F811
    configure_mail(tenant_a, smtp_server)
    ann = ContactFactory(tenant=tenant_a, first_name="Ann", email="ann@customer.example")
    with tenant_context(tenant_a.id):
        # Committed, so its on_commit hook queues it for the worker too: two deliveries, one email.
        email = outbound_email_compose(
            tenant=tenant_a, by=alice, contact=ann, to=[ann.email], subject="From the worker", body="Hello"
        )
    try:
        send_outbound.apply_async(args=[tenant_a.id, email.pk], queue=celery_worker_process).get(timeout=60)
    except CeleryTimeout:
        pytest.fail("the worker did not answer within 60 s")

    with tenant_context(tenant_a.id):
        email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundStatus.SENT, 1)
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == email.message_id and message["Subject"] == "From the worker"
    with tenant_context(tenant_a.id):
        assert OutboundEmail.objects.count() == 1
