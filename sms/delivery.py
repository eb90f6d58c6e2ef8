"""Handing queued messages to the gateway (run by the sms.send_message task) and recording the outcome.

No transaction is held while the gateway is called: the message is claimed with one conditional
UPDATE (queued → sending), the gateway is called, and the result is written with another. A second
delivery of the same task finds nothing to claim and returns. A claim older than STALE_CLAIM
(a worker that died mid-send) may be taken again.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant
from interactions.models import Interaction
from sms.backends import OutgoingSms, SmsError, SmsRetryLater, backend_for
from sms.models import FINAL_STATUSES, SmsDirection, SmsMessage, SmsSettings, SmsStatus

MAX_ATTEMPTS = 6
STALE_CLAIM = timedelta(minutes=5)  # well past the task's hard time limit
REASON_MAX = SmsMessage._meta.get_field("failure_reason").max_length or 500
OUTCOME_MAX = 100


def retry_delay(retries: int) -> int:
    """Seconds before the next attempt: 30 s, 1, 2, 4, 8 min … capped at an hour, with jitter."""
    base = min(30 * 2**retries, 3600)
    return base + random.randint(0, base // 4)  # noqa: S311  (jitter, not security)


def _outcome(message_status: str, reason: str = "") -> str:
    label = str(SmsStatus(message_status).label)
    return f"{label}: {reason}"[:OUTCOME_MAX] if reason else label


@transaction.atomic
def record_status(message_id: int, *, expect: set[str], **changes: object) -> int:
    """Write ``changes`` if the message is still in one of the ``expect`` statuses; mirror the status
    on its timeline entry (the interaction's outcome)."""
    now = timezone.now()
    updated = SmsMessage.objects.filter(pk=message_id, status__in=expect).update(status_changed_at=now, **changes)
    if updated and "status" in changes:
        status = str(changes["status"])
        interaction_id = SmsMessage.objects.filter(pk=message_id).values_list("interaction_id", flat=True).first()
        if interaction_id:
            # The interaction was created by sms_send for this message; its outcome is the delivery status.
            reason = str(changes.get("failure_reason", "")) if status == SmsStatus.FAILED else ""
            Interaction.objects.filter(pk=interaction_id).update(outcome=_outcome(status, reason))
    return updated


def sms_message_deliver(*, tenant: Tenant, message_id: int) -> SmsMessage | None:
    """Send one queued message. Returns it (sent, delivered or failed), None if there was nothing to
    claim, and raises SmsRetryLater for a transient failure: the message is queued again by then, due
    after the backoff that the exception carries."""
    now = timezone.now()
    claimed = (
        SmsMessage.objects.filter(pk=message_id, direction=SmsDirection.OUTBOUND)
        .filter(Q(status=SmsStatus.QUEUED) | Q(status=SmsStatus.SENDING, claimed_at__lt=now - STALE_CLAIM))
        .update(status=SmsStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, status_changed_at=now)
    )
    if not claimed:
        return None
    message = SmsMessage.objects.select_related("contact").get(pk=message_id)
    config = SmsSettings.objects.select_related("tenant").filter(tenant=tenant).first()
    try:
        if config is None:
            raise SmsError(_("SMS is no longer set up for this workspace."), permanent=True)
        if message.contact is not None and not message.contact.sms_consent:
            # Consent is checked when the message is queued and again now: it may have been withdrawn
            # (a STOP reply, an edit) while the message waited for a retry.
            raise SmsError(_("Not sent: the contact withdrew SMS consent before it went out."), permanent=True)
        backend = backend_for(config)
        result = backend.send(
            OutgoingSms(to=message.to_number, sender=message.from_number or config.sender_id, body=message.body,
                        client_reference=str(message.reference))
        )  # fmt: skip
    except SmsError as error:
        if error.permanent:
            record_status(
                message_id,
                expect={SmsStatus.SENDING},
                status=SmsStatus.FAILED,
                failure_reason=error.message[:REASON_MAX],
            )
        elif message.attempts >= MAX_ATTEMPTS:
            reason = _("Gave up after %(n)d attempts: %(error)s") % {"n": message.attempts, "error": error.message}
            record_status(
                message_id, expect={SmsStatus.SENDING}, status=SmsStatus.FAILED, failure_reason=reason[:REASON_MAX]
            )
        else:
            reason = _("Attempt %(n)d failed, will retry: %(error)s") % {"n": message.attempts, "error": error.message}
            delay = retry_delay(message.attempts - 1)
            due = timezone.now() + timedelta(seconds=delay)
            record_status(message_id, expect={SmsStatus.SENDING}, status=SmsStatus.QUEUED,
                          failure_reason=reason[:REASON_MAX], next_attempt_at=due)  # fmt: skip
            raise SmsRetryLater(error.message, delay=delay) from error
        return SmsMessage.objects.get(pk=message_id)
    sent = record_status(
        message_id, expect={SmsStatus.SENDING}, status=result.status, provider_id=result.provider_id,
        sent_at=timezone.now(), failure_reason="", backend=config.backend,
    )  # fmt: skip
    if not sent:
        # A status callback naming our client_reference arrived before the gateway's answer did and
        # already settled the status; keep it, add what only the answer knows.
        SmsMessage.objects.filter(pk=message_id).update(
            provider_id=result.provider_id, sent_at=timezone.now(), backend=config.backend
        )
    return SmsMessage.objects.get(pk=message_id)


def sms_message_fail(*, tenant: Tenant, message_id: int, reason: str) -> None:
    """Give up on a message that is not final yet (e.g. the task ran out of time)."""
    record_status(
        message_id,
        expect={SmsStatus.QUEUED, SmsStatus.SENDING},
        status=SmsStatus.FAILED,
        failure_reason=reason[:REASON_MAX],
    )


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


LOST_AFTER = timedelta(minutes=10)  # a due message still queued this long after: its task was lost


def sms_requeue_stuck(*, tenant: Tenant) -> int:
    """Queue the task again for messages whose task was lost (a broker restart, a worker killed without
    redelivery): queued and overdue, or claimed longer ago than STALE_CLAIM. The claim keeps a message
    that is in fact still on its way from being sent twice."""
    from sms.tasks import send_message

    now = timezone.now()
    stuck = list(
        SmsMessage.objects.filter(direction=SmsDirection.OUTBOUND)
        .filter(
            Q(status=SmsStatus.QUEUED, next_attempt_at__lt=now - LOST_AFTER)
            | Q(status=SmsStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
        )
        .values_list("id", flat=True)[:1000]
    )
    for message_id in stuck:
        send_message.delay(tenant.id, message_id)
    return len(stuck)
