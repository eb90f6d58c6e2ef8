"""What the gateway tells us: delivery reports and inbound messages (docs/sms-gateway.md).

Each callback is signed: ``X-Sms-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``
with the workspace's callback secret, and ``X-Sms-Timestamp: <unix seconds>`` within
SIGNATURE_TOLERANCE of our clock, so a captured callback cannot be replayed later. Within that
window a replay is harmless: applying a status twice, or storing an inbound message whose id we
already have, changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.models import Tenant
from crm.secrets import SecretUnreadable, decrypt_secret
from customers.models import Contact
from customers.normalize import normalize_phone
from interactions.models import Direction, InteractionKind
from interactions.services import interaction_log
from sms.delivery import REASON_MAX, record_status
from sms.models import FINAL_STATUSES, SmsDirection, SmsMessage, SmsSettings, SmsStatus

SIGNATURE_TOLERANCE = 300  # seconds
BODY_MAX = 1600


class CallbackRefused(Exception):
    """The callback is not acceptable; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(*, config: SmsSettings, timestamp: str, signature: str, body: bytes) -> None:
    """CallbackRefused (401) unless ``signature`` is ours for this body and the timestamp is recent."""
    if not timestamp or not signature:
        raise CallbackRefused("Missing X-Sms-Timestamp or X-Sms-Signature header.", status=401)
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise CallbackRefused("X-Sms-Timestamp must be a Unix time in seconds.", status=401) from None
    if abs(time.time() - sent_at) > SIGNATURE_TOLERANCE:
        raise CallbackRefused(
            f"X-Sms-Timestamp is more than {SIGNATURE_TOLERANCE} seconds from our clock (replay?).", status=401
        )
    try:
        secret = decrypt_secret(config.callback_secret_encrypted)
    except SecretUnreadable:
        raise CallbackRefused("The callback secret could not be read; regenerate it.", status=401) from None
    if not secret or not hmac.compare_digest(signature_for(secret, timestamp, body), signature.strip()):
        raise CallbackRefused("The signature does not match.", status=401)


def _text(payload: dict[str, Any], key: str, *, required: bool = True, limit: int = 100) -> str:
    value = payload.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        raise CallbackRefused(f"“{key}” must be a string.")
    value = str(value).strip()
    if required and not value:
        raise CallbackRefused(f"“{key}” is required.")
    if len(value) > limit:
        raise CallbackRefused(f"“{key}” is longer than {limit} characters.")
    return value


STATUS_MAP = {"delivered": SmsStatus.DELIVERED, "failed": SmsStatus.FAILED, "undeliverable": SmsStatus.FAILED,
              "rejected": SmsStatus.FAILED, "expired": SmsStatus.FAILED, "sent": SmsStatus.SENT}  # fmt: skip


@dataclass(frozen=True)
class StatusOutcome:
    message: SmsMessage
    changed: bool


def sms_status_apply(*, tenant: Tenant, payload: dict[str, Any]) -> StatusOutcome:
    """Apply a delivery report ``{id, client_reference?, status, error?}``. A message already
    delivered or failed keeps its first final status, so repeated or late reports change nothing."""
    provider_id = _text(payload, "id", required=False)
    reference = _text(payload, "client_reference", required=False)
    if not provider_id and not reference:
        raise CallbackRefused("Name the message by “id” (the gateway's id) or “client_reference” (ours).")
    raw_status = _text(payload, "status").lower()
    status = STATUS_MAP.get(raw_status)
    if status is None:
        raise CallbackRefused(f"Unknown status “{raw_status}”; use one of {', '.join(sorted(STATUS_MAP))}.")
    messages = SmsMessage.objects.filter(direction=SmsDirection.OUTBOUND)
    message = messages.filter(provider_id=provider_id).first() if provider_id else None
    if message is None and reference:
        try:
            message = messages.filter(reference=reference).first()
        except ValidationError:
            message = None  # not a UUID: not one of ours
    if message is None:
        raise CallbackRefused("No message with this id or client_reference.", status=404)
    if message.status in FINAL_STATUSES or message.status == status:
        return StatusOutcome(message, changed=False)
    changes: dict[str, object] = {"status": status}
    if provider_id and not message.provider_id:
        changes["provider_id"] = provider_id
    if status == SmsStatus.FAILED:
        changes["failure_reason"] = (_text(payload, "error", required=False, limit=REASON_MAX)
                                     or _("The gateway reported it undeliverable."))  # fmt: skip
    # Not final yet: a report may also overtake our own record of the gateway's answer (sending).
    changed = record_status(message.pk, expect={SmsStatus.QUEUED, SmsStatus.SENDING, SmsStatus.SENT}, **changes)
    message.refresh_from_db()
    return StatusOutcome(message, changed=bool(changed))


@dataclass(frozen=True)
class InboundOutcome:
    message: SmsMessage
    created: bool
    opted_out: bool = False


@transaction.atomic
def sms_inbound_receive(*, tenant: Tenant, payload: dict[str, Any]) -> InboundOutcome:
    """Store an inbound message ``{id, from, to, body, received_at?}`` once, log it on the contact with
    that number (as an inbound SMS interaction) and tell the contact's owner. A STOP reply withdraws
    the SMS consent of every contact with that number."""
    provider_id = _text(payload, "id")
    body = payload.get("body")
    if not isinstance(body, str):
        raise CallbackRefused("“body” must be a string.")
    if len(body) > BODY_MAX:
        raise CallbackRefused(f"“body” is longer than {BODY_MAX} characters.")
    try:
        sender = normalize_phone(_text(payload, "from", limit=32), region=tenant.country)
    except ValidationError as error:
        raise CallbackRefused(f"“from” is not a valid phone number: {' '.join(error.messages)}") from None
    recipient = _text(payload, "to", required=False, limit=32)
    received_at = timezone.now()
    if payload.get("received_at"):
        parsed = parse_datetime(str(payload["received_at"]))
        if parsed is None or timezone.is_naive(parsed):
            raise CallbackRefused("“received_at” must be an ISO 8601 time with a time zone.")
        received_at = min(parsed, received_at)

    existing = SmsMessage.objects.filter(direction=SmsDirection.INBOUND, provider_id=provider_id).first()
    if existing is not None:
        return InboundOutcome(existing, created=False)
    contact = _contact_for_reply(tenant, sender)
    message = SmsMessage(
        tenant=tenant, direction=SmsDirection.INBOUND, status=SmsStatus.RECEIVED, contact=contact,
        from_number=sender, to_number=recipient, body=body, provider_id=provider_id, created_at=received_at,
        sent_at=received_at, status_changed_at=received_at,
    )  # fmt: skip
    try:
        with transaction.atomic():  # the same report arriving twice at once: one row
            message.save()
    except IntegrityError:
        return InboundOutcome(
            SmsMessage.objects.get(direction=SmsDirection.INBOUND, provider_id=provider_id), created=False
        )
    opted_out = is_opt_out(body)
    if opted_out:
        _withdraw_sms_consent(tenant, sender)
    if contact is not None:
        outcome = _("Received: opted out of SMS") if opted_out else str(SmsStatus.RECEIVED.label)
        message.interaction = interaction_log(
            tenant=tenant, by=None, kind=InteractionKind.SMS, direction=Direction.INBOUND, contact=contact,
            occurred_at=received_at, subject=_("From %(number)s") % {"number": sender}, body=body, outcome=outcome,
        )  # fmt: skip
        message.save(update_fields=["interaction"])
        _notify_owner(tenant, contact, body, opted_out=opted_out)
    return InboundOutcome(message, created=True, opted_out=opted_out)


OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT"})


def is_opt_out(body: str) -> bool:
    """The reply is one of the usual opt-out keywords (STOP, UNSUBSCRIBE …), alone."""
    return body.strip().strip(".!").upper() in OPT_OUT_WORDS


def _withdraw_sms_consent(tenant: Tenant, number: str) -> int:
    """Everyone at this number stops getting SMS (as withdrawing consent on the contact form does:
    when and how consent was given are cleared), and their record's version moves on."""
    return Contact.unscoped_objects.filter(tenant=tenant, phone=number, sms_consent=True).update(
        sms_consent=False, sms_consent_at=None, sms_consent_source="", version=F("version") + 1,
        updated_at=timezone.now(), updated_by=None,
    )  # fmt: skip


def _contact_for_reply(tenant: Tenant, sender: str) -> Contact | None:
    """The contact an inbound message is from. Several contacts may share a number (a family, a
    switchboard): a reply most likely answers the one we texted last at it; else the latest updated."""
    last_texted = (
        SmsMessage.objects.filter(direction=SmsDirection.OUTBOUND, to_number=sender, contact__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("contact_id", flat=True)
        .first()
    )
    contacts = Contact.unscoped_objects.filter(tenant=tenant, phone=sender).select_related("account", "owner")
    if last_texted is not None:
        contact = contacts.filter(pk=last_texted).first()
        if contact is not None:
            return contact
    return contacts.order_by("-updated_at", "-id").first()


def _notify_owner(tenant: Tenant, contact: Contact, body: str, *, opted_out: bool) -> None:
    from notifications.services import notify

    owner = contact.owner
    if owner is None:
        return
    title = _("%(name)s opted out of SMS") if opted_out else _("SMS from %(name)s")
    # ValueError: the owner left the workspace; the message is on the timeline all the same.
    with contextlib.suppress(ValueError):
        notify(
            tenant=tenant, user=owner, title=title % {"name": contact.full_name},
            body=body[:300], url=reverse("customers:contact-detail", args=[contact.pk]), kind="sms",
        )  # fmt: skip
