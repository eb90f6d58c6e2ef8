"""Celery tasks of the SMS app: thin, ids only (tenant first), one service call each."""

from __future__ import annotations

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from crm.celery import app
from crm.models import Tenant
from crm.tenancy.tasks import TenantTask


@app.task(
    base=TenantTask,
    bind=True,
    name="sms.send_message",
    acks_late=True,
    max_retries=None,  # sms.delivery.MAX_ATTEMPTS decides, from the attempts recorded on the message
    soft_time_limit=60,  # the gateway call itself times out after SMS_HTTP_TIMEOUT (10 s)
    time_limit=90,
)
def send_message(self: Task, tenant_id: int, message_id: int) -> object:
    """Send one queued SmsMessage; retried with backoff while the gateway fails transiently."""
    from sms.backends import SmsRetryLater
    from sms.delivery import sms_message_deliver, sms_message_fail

    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        sms_message_deliver(tenant=tenant, message_id=message_id)
    except SmsRetryLater as later:  # transient, recorded; permanent errors were recorded as failed
        if self.request.is_eager:
            # In-process (no Redis): a raised Retry would propagate into the request that queued the
            # message; a returned one makes Celery run the task again at once, countdown ignored.
            return self.retry(countdown=later.delay, throw=False)
        raise self.retry(countdown=later.delay) from later
    except SoftTimeLimitExceeded:
        sms_message_fail(
            tenant=tenant, message_id=message_id, reason="Sending took too long; it may not have been sent."
        )
    return None


@app.task(name="sms.requeue_stuck", soft_time_limit=300, time_limit=330)
def requeue_stuck() -> int:
    """celery beat, every few minutes: in each active tenant, queue again messages whose task was lost.

    Not a TenantTask: it loops over tenants (not tenant-owned) and enters each one's context.
    """
    from crm.tenancy.context import tenant_context
    from sms.delivery import sms_requeue_stuck

    queued = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
        with tenant_context(tenant.id):
            queued += sms_requeue_stuck(tenant=tenant)
    return queued
