"""Writes of the SMS app: the workspace's settings, and ``sms_send``, the one way to send an SMS."""

from __future__ import annotations

import secrets as random_tokens
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from crm.secrets import encrypt_secret
from customers.models import Contact
from interactions.models import Direction, InteractionKind
from interactions.services import interaction_log
from sms.backends import OutgoingSms, SendResult, SmsError, backend_for
from sms.models import SmsCallbackRoute, SmsDirection, SmsMessage, SmsSettings, SmsStatus
from sms.numbers import textable_number
from sms.segments import MAX_SEGMENTS, non_gsm_characters, segment_info

IDEMPOTENCY_KEY_MAX = SmsMessage._meta.get_field("idempotency_key").max_length or 100


# --- Settings -------------------------------------------------------------------------------------


@transaction.atomic
def sms_settings_save(
    *, tenant: Tenant, by: User, backend: str, gateway_url: str, gateway_token: str | None, sender_id: str
) -> tuple[SmsSettings, str | None]:
    """Save the workspace's SMS settings (the form has validated them). ``gateway_token`` None keeps
    the saved one. Returns the settings and, the first time only, the new callback secret to show once."""
    config = SmsSettings.objects.select_for_update().filter(tenant=tenant).first() or SmsSettings(tenant=tenant)
    config.backend = backend
    config.gateway_url = gateway_url
    if gateway_token is not None:
        config.gateway_token_encrypted = encrypt_secret(gateway_token)
    config.sender_id = sender_id
    config.updated_at = timezone.now()
    config.updated_by = by
    new_secret = None
    if not config.callback_secret_encrypted:
        new_secret = _new_callback_secret(config)
    config.save()
    _ensure_callback_route(tenant)
    return config, new_secret


@transaction.atomic
def sms_callback_secret_regenerate(*, tenant: Tenant, by: User) -> str:
    """A new secret for signing callbacks (the old one stops working at once) and new callback URLs.
    Returned once, to be shown once; only its encrypted form is kept."""
    config = SmsSettings.objects.select_for_update().get(tenant=tenant)
    secret = _new_callback_secret(config)
    config.updated_at = timezone.now()
    config.updated_by = by
    config.save(update_fields=["callback_secret_encrypted", "updated_at", "updated_by"])
    SmsCallbackRoute.objects.filter(tenant=tenant).update(token=random_tokens.token_urlsafe(24))
    _ensure_callback_route(tenant)
    return secret


def _new_callback_secret(config: SmsSettings) -> str:
    secret = f"whsec_{random_tokens.token_urlsafe(32)}"
    config.callback_secret_encrypted = encrypt_secret(secret)
    return secret


def _ensure_callback_route(tenant: Tenant) -> SmsCallbackRoute:
    route, _created = SmsCallbackRoute.objects.get_or_create(
        tenant=tenant, defaults={"token": random_tokens.token_urlsafe(24)}
    )
    return route


def sms_test_send(*, tenant: Tenant, to: str) -> SendResult:
    """Send a test message now, through the saved settings, and say what happened.

    Synchronous on purpose: the admin is looking at the page and wants the gateway's answer (bounded
    by SMS_HTTP_TIMEOUT). Nothing is stored or logged. Raises SmsError (or ValidationError for the number).
    """
    config = SmsSettings.objects.select_related("tenant").filter(tenant=tenant).first()
    if config is None:
        raise SmsError(_("Save the SMS settings first."), permanent=True)
    number = textable_number(to, region=tenant.country)
    body = _("Test message from %(workspace)s: SMS sending works.") % {"workspace": tenant.name}
    message = OutgoingSms(to=number, sender=config.sender_id, body=body, client_reference=f"test-{uuid.uuid4()}")
    return backend_for(config).send(message)


# --- Sending --------------------------------------------------------------------------------------


def clean_body(body: str) -> str:
    # Browsers send line breaks as CRLF; CR is a character of its own in an SMS and would cost a part.
    return body.replace("\r\n", "\n").replace("\r", "\n").strip()


def sms_body_problem(body: str) -> str | None:
    """Why ``body`` cannot be sent, or None."""
    if not body:
        return _("Write the message.")
    info = segment_info(body)
    if info.segments > MAX_SEGMENTS:
        hint = ""
        if info.encoding == "ucs2":
            chars = "".join(non_gsm_characters(body)[:5])
            hint = " " + _("Characters such as %(chars)s make it a Unicode message (70 per part).") % {"chars": chars}
        return (
            _("The message is %(length)d characters long; at most %(max)d fit in %(parts)d parts.")
            % {"length": info.length, "max": info.max_length, "parts": MAX_SEGMENTS}
            + hint
        )
    return None


def _contact_for_number(tenant: Tenant, number: str) -> Contact | None:
    # Unscoped (still within the tenant by RLS and the filter): consent must be checked against every
    # contact with this number, not only those the sender's record visibility shows.
    return (
        Contact.unscoped_objects.filter(tenant=tenant, phone=number)
        .select_related("account")
        .order_by("-sms_consent", "-updated_at", "-id")
        .first()
    )


def _same_message(existing: SmsMessage, *, to: str, body: str, region: str) -> SmsMessage:
    """A retried request returns the first message; the same key for another message is a mistake
    (two different campaign texts sharing a key must not silently become one)."""
    try:
        number = textable_number(to, region=region)
    except ValidationError:
        number = to
    if number != existing.to_number or clean_body(body) != existing.body:
        raise ValidationError(
            {"idempotency_key": _("This idempotency key was already used for a different message (to %(number)s).")
             % {"number": existing.to_number}}
        )  # fmt: skip
    return existing


@transaction.atomic
def sms_send(
    *,
    tenant: Tenant,
    to: str,
    body: str,
    contact: Contact | None = None,
    by: User | None = None,
    idempotency_key: str | None = None,
) -> SmsMessage:
    """Queue an SMS to ``to`` and log it on the contact's timeline; a task sends it after commit.

    ``to`` is read as a number of the workspace's country unless it has a country code. Without a
    ``contact``, the contact with that number (if any) is used. Refused with a ValidationError naming
    the field (to, body, contact, or the whole form) when SMS is not set up, the number is not a
    mobile number, the message is empty or too long, or the contact has not consented to SMS. The
    same ``idempotency_key`` returns the first message and sends nothing again.
    """
    key = (idempotency_key or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"idempotency_key": _("The idempotency key can be at most %(n)d characters.") % {"n": IDEMPOTENCY_KEY_MAX}}
        )
    if key:
        # Unscoped: the first message may belong to a contact the sender cannot see; it is still the same send.
        existing = SmsMessage.unscoped_objects.filter(tenant=tenant, idempotency_key=key).first()
        if existing is not None:
            return _same_message(existing, to=to, body=body, region=tenant.country)

    config = SmsSettings.objects.filter(tenant=tenant).first()
    if config is None:
        raise ValidationError(_("SMS is not set up for this workspace. An admin can set it up under Settings → SMS."))
    errors: dict[str, list[str]] = {}
    number = ""
    try:
        number = textable_number(to, region=tenant.country)
    except ValidationError as error:
        errors["to"] = error.messages
    body = clean_body(body)
    problem = sms_body_problem(body)
    if problem:
        errors["body"] = [problem]
    if contact is not None and contact.tenant_id != tenant.id:
        errors["contact"] = [_("This contact is not in this workspace.")]
    if contact is None and number:
        contact = _contact_for_number(tenant, number)
    if contact is not None and "contact" not in errors and not contact.sms_consent:
        errors["contact"] = [
            _("%(name)s has not agreed to receive SMS. Record their SMS consent on the contact before texting them.")
            % {"name": contact.full_name}
        ]
    if errors:
        raise ValidationError(errors)

    info = segment_info(body)
    now = timezone.now()
    message = SmsMessage(
        tenant=tenant, direction=SmsDirection.OUTBOUND, status=SmsStatus.QUEUED, contact=contact, to_number=number,
        from_number=config.sender_id, body=body, encoding=info.encoding, segments=info.segments,
        idempotency_key=key, backend=config.backend, sent_by=by, created_at=now, status_changed_at=now,
        next_attempt_at=now,
    )  # fmt: skip
    try:
        with transaction.atomic():  # a savepoint: a concurrent request with the same key may win the insert
            message.save()
    except IntegrityError:
        if not key:
            raise
        existing = SmsMessage.unscoped_objects.get(tenant=tenant, idempotency_key=key)
        return _same_message(existing, to=to, body=body, region=tenant.country)
    if contact is not None:
        message.interaction = interaction_log(
            tenant=tenant, by=by, kind=InteractionKind.SMS, direction=Direction.OUTBOUND, contact=contact,
            occurred_at=now, subject=_("To %(number)s") % {"number": number}, body=body,
            outcome=str(SmsStatus.QUEUED.label),
        )  # fmt: skip
        message.save(update_fields=["interaction"])

    from sms.tasks import send_message

    tenant_id, message_id = tenant.id, message.id
    transaction.on_commit(lambda: send_message.delay(tenant_id, message_id))
    return message
