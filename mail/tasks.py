"""Celery tasks of the mail app: sending one email, and checking the SMTP settings."""

from __future__ import annotations

from typing import Any

from crm.celery import app
from crm.tenancy.tasks import TenantTask

MAX_RETRIES = 5
RETRY_BASE_SECONDS = 60  # then 2, 4, 8 and 16 minutes: about half an hour in all before giving up


@app.task(
    base=TenantTask,
    bind=True,
    name="mail.send_outbound",
    acks_late=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=180,
    time_limit=240,  # mail.services.SEND_TIME_LIMIT_SECONDS
)
def send_outbound(self: Any, tenant_id: int, email_id: int) -> Any:
    """Send one queued email. Safe to run twice: the email is claimed by a conditional update."""
    from mail.services import outbound_email_deliver, outbound_email_give_up
    from mail.smtp import MailFailure

    try:
        return outbound_email_deliver(email_id=email_id)
    except MailFailure as failure:
        if failure.permanent:
            return False  # recorded on the email, with its reason; retrying would not help
        if self.request.retries >= self.max_retries:
            outbound_email_give_up(email_id=email_id, attempts=self.request.retries + 1)
            return False
        countdown = RETRY_BASE_SECONDS * 2**self.request.retries
        if self.request.is_eager:
            # In-process (no broker, the embedded default): hand the retry back to apply(), which runs it
            # at once, instead of raising it through the request that queued the email.
            return self.retry(countdown=countdown, throw=False)
        raise self.retry(countdown=countdown) from failure


@app.task(base=TenantTask, name="mail.check_settings", soft_time_limit=150, time_limit=180)
def check_settings(tenant_id: int, settings_id: int) -> str:
    from mail.services import mail_settings_check_run

    return mail_settings_check_run(settings_id=settings_id)
