"""Preparing and sending a campaign, exactly once from the recipient's point of view.

Preparing: one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` creates a delivery row per audience
contact (unique per campaign and contact), already marked ``skipped`` with its reason when the contact
has no address, no consent for the channel, or an address on the suppression list; a second run adds
nobody. Repeated addresses are skipped after the first. With an A/B test a random sample is split
between variants A and B and the rest is ``held`` until the winner is known.

Sending: sender runs claim batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside a short
transaction that marks them ``sending`` with the run's claim token, and commit before talking to
any server: a duplicate task or a second worker finds other rows or nothing to claim. Consent and
suppressions are checked again on the claimed rows (a contact may have unsubscribed since the start).
Emails go through the tenant's SMTP server with ONE connection per batch (Django's SMTP backend via
mail.smtp.connection_for), SMS through the tenant's SMS backend.

Emails are handed over in groups of HANDOVER_GROUP: ``handing_at`` is written (committed) for the
group before its first message goes to the server, and the accepted ones are marked ``sent`` with
one statement after the group (two commits per 20 messages instead of two per message). The
guarantee after a crash (a worker killed, a lost broker message), resolved by ``deliveries_sweep``
once a claim is older than STALE_CLAIM:

- rows claimed but never handed over (``handing_at`` empty) go back to the queue and are sent
  later: nobody is dropped;
- rows of the group in progress (``handing_at`` set, not marked sent) are NOT sent again: they are
  marked failed as "uncertain" (each may or may not have arrived).

So no recipient ever gets a campaign twice from us; the price is that at most HANDOVER_GROUP
recipients per crashed worker may miss it (shown as "uncertain" on the results page). A smaller
group narrows that window and costs throughput (1 is the per-message extreme). The Message-ID is
deterministic per delivery, so even a resend by hand of such a row lets receivers de-duplicate.

Failures: transient ones (server unreachable, 4xx, gateway timeouts) put the row back in the queue
with exponential backoff, up to MAX_ATTEMPTS; permanent ones (5xx, refused recipient) fail the row
with the server's reason, and a refused recipient (hard bounce) is added to the suppression list.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time as clock
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, Max, Min, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import content
from campaigns.audience import AudienceError, campaign_audience
from campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignSettings,
    CampaignStatus,
    Channel,
    DeliveryStatus,
    Suppression,
    SuppressionReason,
)
from crm.models import Tenant

log = logging.getLogger(__name__)

BATCH_SIZE = 100
SENDERS = 2  # sender tasks started per campaign; more workers simply find less to claim
RUN_SECONDS = 45  # a sender run hands over to a fresh task after this (well inside its time limit)
STALE_CLAIM = timedelta(minutes=10)  # past the sender task's hard time limit: its worker is gone
MAX_ATTEMPTS = 5
HANDOVER_GROUP = 20  # rows marked "being handed over" per commit: the most one crash can leave uncertain
REASON_MAX = 500
UNCERTAIN = "uncertain"


def retry_delay(attempts: int) -> int:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, capped at an hour."""
    return int(min(60 * 2 ** max(attempts - 1, 0), 3600))


# --- Preparing --------------------------------------------------------------------------------------


def _address_sql(channel: str) -> tuple[str, str]:
    """(address expression, consent column) of a contact row ``c`` for the channel."""
    if channel == Channel.SMS:
        return "btrim(c.phone)", "c.sms_consent"
    return "lower(btrim(c.email))", "c.email_consent"


def campaign_prepare(*, tenant: Tenant, campaign_id: int) -> bool:
    """Create the campaign's deliveries once. Returns True when this call prepared it."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.prepared_at is not None or campaign.status != CampaignStatus.SENDING:
            return False
        try:
            audience = campaign_audience(campaign)
        except AudienceError as error:
            campaign.status, campaign.finished_at = CampaignStatus.CANCELLED, timezone.now()
            campaign.skipped_counts = {"error": str(error)}
            campaign.save(update_fields=["status", "finished_at", "skipped_counts"])
            return False
        audience_sql, audience_params = audience.values("pk").query.sql_with_params()
        address, consent = _address_sql(campaign.channel)
        with connection.cursor() as cursor:
            # The audience is materialised first and joined by primary key: its own plan (segments, lists)
            # stays separate from the contact lookups, whatever the planner guesses about their sizes.
            cursor.execute(
                f"WITH audience AS MATERIALIZED ({audience_sql}) "
                "INSERT INTO campaigns_campaigndelivery "
                "(tenant_id, campaign_id, contact_id, address, variant, in_ab_sample, status, reason, attempts, "
                "message_id) "
                f"SELECT %s, %s, c.id, {address}, '', false, "
                f"CASE WHEN {address} = '' OR NOT {consent} OR s.id IS NOT NULL THEN 'skipped' ELSE 'queued' END, "
                f"CASE WHEN {address} = '' THEN 'no_address' WHEN NOT {consent} THEN 'no_consent' "
                "WHEN s.id IS NOT NULL THEN 'suppressed' ELSE '' END, 0, '' "
                "FROM audience a JOIN customers_contact c ON c.id = a.pk AND c.tenant_id = %s "
                "LEFT JOIN campaigns_suppression s "
                f"ON s.tenant_id = %s AND s.channel = %s AND s.address = {address} "
                "ON CONFLICT (tenant_id, campaign_id, contact_id) DO NOTHING",
                [*audience_params, tenant.pk, campaign.pk, tenant.pk, tenant.pk, campaign.channel],
            )
            # Two contacts sharing an address get one message: the first row keeps it.
            cursor.execute(
                "UPDATE campaigns_campaigndelivery d SET status = 'skipped', reason = 'duplicate' "
                "FROM (SELECT id, row_number() OVER (PARTITION BY address ORDER BY contact_id) AS n "
                "      FROM campaigns_campaigndelivery "
                "      WHERE tenant_id = %s AND campaign_id = %s AND status = 'queued') x "
                "WHERE d.id = x.id AND x.n > 1",
                [tenant.pk, campaign.pk],
            )
            if campaign.ab_enabled:
                _split_ab_sample(cursor, tenant_id=tenant.pk, campaign=campaign)
        counts = dict(
            CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.SKIPPED)
            .values_list("reason")
            .annotate(n=Count("id"))
            .values_list("reason", "n")
        )
        campaign.audience_count = CampaignDelivery.objects.filter(campaign=campaign).count()
        campaign.skipped_counts = counts
        campaign.prepared_at = timezone.now()
        campaign.save(update_fields=["audience_count", "skipped_counts", "prepared_at"])
    return True


def _split_ab_sample(cursor: object, *, tenant_id: int, campaign: Campaign) -> None:
    """A random sample of the sendable rows alternates A and B; everyone else waits for the winner."""
    queued = CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.QUEUED).count()
    sample = min(queued, max(2, math.ceil(queued * campaign.ab_sample_percent / 100)))
    cursor.execute(  # type: ignore[attr-defined]
        "UPDATE campaigns_campaigndelivery d SET variant = CASE WHEN x.n %% 2 = 1 THEN 'a' ELSE 'b' END, "
        "in_ab_sample = true "
        "FROM (SELECT id, row_number() OVER (ORDER BY random()) AS n FROM campaigns_campaigndelivery "
        "      WHERE tenant_id = %s AND campaign_id = %s AND status = 'queued') x "
        "WHERE d.id = x.id AND x.n <= %s",
        [tenant_id, campaign.pk, sample],
    )
    CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.QUEUED, variant="").update(
        status=DeliveryStatus.HELD
    )


# --- Claiming ---------------------------------------------------------------------------------------


def claim_batch(*, tenant_id: int, campaign: Campaign, limit: int) -> uuid.UUID | None:
    """Mark up to ``limit`` due queued rows as ours (committed); None when there was nothing to claim."""
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_campaigndelivery d SET status = 'sending', claim_token = %s, claimed_at = %s, "
            "handing_at = NULL, attempts = d.attempts + 1 "
            "WHERE d.id IN (SELECT id FROM campaigns_campaigndelivery WHERE tenant_id = %s AND campaign_id = %s "
            "  AND status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
            "  ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)",
            [token, now, tenant_id, campaign.pk, now, limit],
        )
        if not cursor.rowcount:
            return None
        # Consent or the suppression list may have changed since the campaign started.
        consent = "sms_consent" if campaign.channel == Channel.SMS else "email_consent"
        cursor.execute(
            "UPDATE campaigns_campaigndelivery d SET status = 'skipped', claim_token = NULL, "
            f"reason = CASE WHEN NOT c.{consent} THEN 'no_consent' ELSE 'suppressed' END "
            "FROM customers_contact c WHERE d.claim_token = %s AND d.tenant_id = %s AND c.id = d.contact_id "
            f"AND (NOT c.{consent} OR EXISTS (SELECT 1 FROM campaigns_suppression s WHERE s.tenant_id = d.tenant_id "
            "  AND s.channel = %s AND s.address = d.address))",
            [token, tenant_id, campaign.channel],
        )
    return token


def _claimed(token: uuid.UUID) -> list[CampaignDelivery]:
    return list(
        CampaignDelivery.objects.filter(claim_token=token, status=DeliveryStatus.SENDING)
        .select_related("contact", "contact__account", "contact__score")
        .order_by("id")
    )


def _mark(delivery_id: int, token: uuid.UUID, **changes: object) -> int:
    return CampaignDelivery.objects.filter(pk=delivery_id, claim_token=token, status=DeliveryStatus.SENDING).update(
        **changes
    )


def _mark_sent(ids: list[int], token: uuid.UUID, campaign: Campaign, domain: str) -> int:
    """Accepted by the server: sent, with the deterministic Message-ID (content.message_id_for) built in SQL."""
    if not ids:
        return 0
    message_id = Concat(
        Value(f"<campaign-{campaign.pk}-"), Cast("id", CharField()), Value(f".{campaign.tenant_id}@{domain}>"),
        output_field=CharField(),
    )  # fmt: skip
    return CampaignDelivery.objects.filter(pk__in=ids, claim_token=token, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), message_id=message_id, reason="", claim_token=None
    )


def _retry_or_fail(delivery: CampaignDelivery, token: uuid.UUID, reason: str) -> None:
    if delivery.attempts >= MAX_ATTEMPTS:
        text = _("Gave up after %(n)d attempts: %(error)s") % {"n": delivery.attempts, "error": reason}
        _mark(delivery.pk, token, status=DeliveryStatus.FAILED, reason=text[:REASON_MAX], claim_token=None)
        return
    due = timezone.now() + timedelta(seconds=retry_delay(delivery.attempts))
    _mark(delivery.pk, token, status=DeliveryStatus.QUEUED, reason=reason[:REASON_MAX], next_attempt_at=due,
          claim_token=None, handing_at=None)  # fmt: skip


def _release(rows: list[CampaignDelivery], token: uuid.UUID, reason: str) -> None:
    """Rows of the batch never handed over (the connection failed first): back in the queue, with backoff."""
    for row in rows:
        _retry_or_fail(row, token, reason)


# --- Sending a batch ---------------------------------------------------------------------------------


def _suppress_bounce(tenant_id: int, channel: str, address: str, reason: str) -> None:
    Suppression.objects.get_or_create(
        tenant_id=tenant_id,
        channel=channel,
        address=address,
        defaults={"reason": SuppressionReason.BOUNCED, "source": reason[:200]},
    )


def _send_email_batch(*, tenant: Tenant, campaign: Campaign, token: uuid.UUID, rows: list[CampaignDelivery]) -> int:
    import smtplib

    from mail.selectors import mail_settings_for
    from mail.smtp import MailFailure, classify, connection_for

    config = mail_settings_for(tenant)
    if config is None:
        _release(rows, token, _("Outgoing mail is not set up for this workspace."))
        return 0
    from_header = config.from_header
    if campaign.from_email:
        from email.utils import formataddr

        from_header = (
            formataddr((campaign.from_name, campaign.from_email)) if campaign.from_name else campaign.from_email
        )
    domain = (campaign.from_email or config.from_email).rpartition("@")[2] or "localhost"
    fields = content.custom_fields()
    sent = 0
    try:
        smtp = connection_for(config)
        smtp.open()
    except Exception as error:  # unreachable or refused: nobody in the batch was handed over
        failure = classify(error, config)
        _release(rows, token, failure.reason)
        return 0
    try:
        for first in range(0, len(rows), HANDOVER_GROUP):
            group = rows[first : first + HANDOVER_GROUP]
            # Committed before any of them reaches the server: after a crash these rows count as handed over.
            CampaignDelivery.objects.filter(
                pk__in=[row.pk for row in group], claim_token=token, status=DeliveryStatus.SENDING
            ).update(handing_at=timezone.now())
            accepted: list[int] = []
            stopped = False
            for index, row in enumerate(group):
                message = content.build_email(
                    campaign=campaign, delivery=row, from_header=from_header, reply_to=config.reply_to,
                    message_id=content.message_id_for(campaign, row.pk, domain), custom_fields=fields,
                )  # fmt: skip
                message.connection = smtp
                try:
                    smtp.send_messages([message])
                except Exception as error:
                    failure = classify(error, config)
                    refused = isinstance(error, smtplib.SMTPRecipientsRefused)
                    if failure.permanent:
                        _mark(row.pk, token, status=DeliveryStatus.FAILED, reason=failure.reason[:REASON_MAX],
                              claim_token=None)  # fmt: skip
                        if refused:
                            _suppress_bounce(tenant.pk, Channel.EMAIL, row.address, failure.reason)
                        if refused or isinstance(error, smtplib.SMTPDataError):
                            continue  # that message was refused; the connection is still good
                    else:
                        _retry_or_fail(row, token, failure.reason)
                        if refused:
                            continue
                    # The connection is gone: nobody after this one was handed over.
                    _release(group[index + 1 :] + rows[first + HANDOVER_GROUP :], token, failure.reason)
                    stopped = True
                    break
                accepted.append(row.pk)
            sent += _mark_sent(accepted, token, campaign, domain)
            if stopped:
                break
    except MailFailure as failure:  # pragma: no cover - connection_for raises before the loop
        log.warning("campaign %s: %s", campaign.pk, failure)
    finally:
        with contextlib.suppress(Exception):  # a broken connection has nothing left to close
            smtp.close()
    return sent


def _send_sms_batch(*, tenant: Tenant, campaign: Campaign, token: uuid.UUID, rows: list[CampaignDelivery]) -> int:
    from sms.backends import OutgoingSms, SmsError, backend_for
    from sms.models import SmsSettings

    config = SmsSettings.objects.select_related("tenant").filter(tenant=tenant).first()
    try:
        if config is None:
            raise SmsError(_("SMS is not set up for this workspace."), permanent=False)
        backend = backend_for(config)
    except SmsError as error:
        _release(rows, token, error.message)
        return 0
    fields = content.custom_fields()
    sent = 0
    for index, row in enumerate(rows):
        body = content.render_sms(campaign=campaign, contact=row.contact, variant=row.variant, custom_fields=fields)
        if not _mark(row.pk, token, handing_at=timezone.now()):
            continue
        try:
            result = backend.send(
                OutgoingSms(to=row.address, sender=config.sender_id, body=body, client_reference=f"campaign-{row.pk}")
            )
        except SmsError as error:
            if error.permanent:
                _mark(row.pk, token, status=DeliveryStatus.FAILED, reason=error.message[:REASON_MAX], claim_token=None)
                continue
            _retry_or_fail(row, token, error.message)
            _release(rows[index + 1 :], token, error.message)
            break
        _mark(row.pk, token, status=DeliveryStatus.SENT, sent_at=timezone.now(), message_id=result.provider_id[:255],
              reason="", claim_token=None)  # fmt: skip
        sent += 1
    return sent


# --- Quiet hours and throttle -----------------------------------------------------------------------


def quiet_until(tenant: Tenant, now: datetime | None = None) -> datetime | None:
    """When the SMS quiet hours (in the workspace's time zone) end, if ``now`` is inside them."""
    config = CampaignSettings.objects.filter(tenant=tenant).first() or CampaignSettings(tenant=tenant)
    start, end = config.sms_quiet_start, config.sms_quiet_end
    if start == end:
        return None
    zone = ZoneInfo(tenant.time_zone or "UTC")
    local = timezone.localtime(now or timezone.now(), zone)
    at = local.time()
    inside = (start <= at < end) if start < end else (at >= start or at < end)
    if not inside:
        return None
    day = local.date() if at < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def _allowance(campaign: Campaign) -> tuple[int, float]:
    """How many rows this run may claim now under the per-minute limit, and how long to wait if none."""
    if not campaign.throttle_per_minute:
        return BATCH_SIZE, 0.0
    since = timezone.now() - timedelta(minutes=1)
    window = CampaignDelivery.objects.filter(campaign=campaign).filter(
        Q(sent_at__gte=since) | Q(status=DeliveryStatus.SENDING)
    )
    stats = window.aggregate(n=Count("id"), oldest=Min("sent_at"))
    left = campaign.throttle_per_minute - stats["n"]
    if left > 0:
        return min(BATCH_SIZE, left), 0.0
    oldest = stats["oldest"] or timezone.now()
    return 0, max(1.0, (oldest + timedelta(minutes=1) - timezone.now()).total_seconds())


# --- A sender run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    sent: int
    next_run_in: float | None  # seconds until another run should start; None: nothing left for now


def campaign_send_run(*, tenant: Tenant, campaign_id: int, budget_seconds: float = RUN_SECONDS) -> RunResult:
    """Claim and send batches until the campaign is done, paused, or the time budget is used up."""
    deadline = clock.monotonic() + budget_seconds
    sent = 0
    while clock.monotonic() < deadline:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.SENDING or campaign.prepared_at is None:
            return RunResult(sent, None)
        if campaign.channel == Channel.SMS:
            until = quiet_until(tenant)
            if until is not None:
                return RunResult(sent, max(1.0, (until - timezone.now()).total_seconds()))
        limit, wait = _allowance(campaign)
        if not limit:
            return RunResult(sent, wait)
        token = claim_batch(tenant_id=tenant.pk, campaign=campaign, limit=limit)
        if token is None:
            campaign_finish_if_done(campaign_id=campaign_id)
            due = (
                CampaignDelivery.objects.filter(campaign_id=campaign_id, status=DeliveryStatus.QUEUED)
                .aggregate(due=Min("next_attempt_at"))
                .get("due")
            )
            if due is None:
                return RunResult(sent, None)
            return RunResult(sent, max(1.0, (due - timezone.now()).total_seconds()))
        rows = _claimed(token)
        if campaign.channel == Channel.SMS:
            sent += _send_sms_batch(tenant=tenant, campaign=campaign, token=token, rows=rows)
        else:
            sent += _send_email_batch(tenant=tenant, campaign=campaign, token=token, rows=rows)
    return RunResult(sent, 0.0)


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Sending → sent once no row is waiting, queued or being sent (exactly once: a conditional update)."""
    open_rows = CampaignDelivery.objects.filter(
        campaign_id=OuterRef("pk"),
        status__in=[DeliveryStatus.HELD, DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
    )
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING, prepared_at__isnull=False)
        .exclude(Exists(open_rows))
        .update(status=CampaignStatus.SENT, finished_at=timezone.now())
    )


# --- Sweeping crashed claims ------------------------------------------------------------------------


def deliveries_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Resolve rows whose claim is older than STALE_CLAIM (their worker died). Returns (requeued, uncertain)."""
    limit = (now or timezone.now()) - STALE_CLAIM
    stale = CampaignDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=limit)
    requeued = stale.filter(handing_at__isnull=True).update(
        status=DeliveryStatus.QUEUED, claim_token=None, next_attempt_at=None
    )
    uncertain = stale.filter(handing_at__isnull=False).update(
        status=DeliveryStatus.FAILED,
        claim_token=None,
        reason=UNCERTAIN,
    )
    return requeued, uncertain


def stalled_campaign_ids(*, now: datetime | None = None) -> list[int]:
    """Sending campaigns with due rows and no claim for two minutes: their sender tasks were lost."""
    moment = now or timezone.now()
    recent = CampaignDelivery.objects.filter(campaign_id=OuterRef("pk"), claimed_at__gte=moment - timedelta(minutes=2))
    due = CampaignDelivery.objects.filter(campaign_id=OuterRef("pk"), status=DeliveryStatus.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment)
    )
    return list(
        Campaign.objects.filter(status=CampaignStatus.SENDING, prepared_at__isnull=False)
        .filter(Exists(due))
        .exclude(Exists(recent))
        .values_list("id", flat=True)
    )


def last_sent_at(campaign: Campaign) -> datetime | None:
    return CampaignDelivery.objects.filter(campaign=campaign).aggregate(at=Max("sent_at"))["at"]
