"""The whole path on a real Celery worker over Redis: sms_send queues on commit, the worker (another
process) posts to the real HTTP gateway inside the tenant and records the result."""

from __future__ import annotations

import time

import pytest

from crm.tenancy.context import tenant_context
from sms.models import SmsMessage
from sms.services import sms_send
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401  (the worker fixture)
from tests.sms.conftest import GATEWAY_TOKEN


def wait_until_settled(tenant, message_id: int) -> SmsMessage:
    deadline = time.monotonic() + 60  # how long to wait for the worker, not a limit on how fast it is
    while time.monotonic() < deadline:
        with tenant_context(tenant.id):
            message = SmsMessage.objects.get(pk=message_id)
        if message.status not in ("queued", "sending"):
            return message
        time.sleep(0.2)
    pytest.fail("the worker did not send the message within 60 s")


@pytest.mark.worker
def test_a_real_worker_sends_the_message_through_the_gateway(
    celery_worker_process,  # noqa: F811
    tenant_a,
    alice,
    ann,
    sms_http,
    gateway,
):
    gateway.expect_request(
        "/v1/messages", method="POST", headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    ).respond_with_json({"id": "gw-worker-1", "status": "accepted"})

    with tenant_context(tenant_a.id):
        queued = sms_send(tenant=tenant_a, to=ann.phone, body="Sent by the worker", contact=ann, by=alice)

    message = wait_until_settled(tenant_a, queued.pk)
    assert (message.status, message.provider_id, message.attempts) == ("sent", "gw-worker-1", 1)
    [(request, _response)] = gateway.log
    assert request.json["body"] == "Sent by the worker"
    assert request.json["client_reference"] == str(queued.reference)
