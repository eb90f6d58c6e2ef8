"""Celery tasks: poll one tenant's IMAP mailbox, and the beat dispatcher that fans out per tenant."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


class TransientImapError(Exception):
    """Raised by the task for failures worth retrying (server down, timeout, dropped connection)."""


@app.task(
    base=TenantTask,
    name="inbox.poll_imap",
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(TransientImapError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def poll_imap(tenant_id: int) -> int:
    """Idempotent: the UID bookmark and Message-ID uniqueness make a second run log nothing twice.
    A refused login is recorded on the settings page and not retried."""
    from crm.models import Tenant
    from inbox.imap import ImapError, imap_poll

    try:
        return imap_poll(tenant=Tenant.objects.get(pk=tenant_id))
    except ImapError as error:
        if error.permanent:
            return 0
        raise TransientImapError(str(error)) from error


@app.task(name="inbox.schedule_imap_polls")
def schedule_imap_polls() -> int:
    """Queue a poll for every active tenant with an enabled mailbox, except those whose login was
    refused (they wait for their admin to fix the settings)."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from inbox.models import InboxSettings, PollStatus

    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            wanted = (
                InboxSettings.objects.filter(imap_enabled=True)
                .exclude(last_poll_status=PollStatus.AUTH_FAILED)
                .exists()
            )
        if wanted:
            poll_imap.delay(tenant_id)
            queued += 1
    return queued
