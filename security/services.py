"""Writes of the security app: sessions, two-factor devices, the workspace policy and unlocking members."""

from __future__ import annotations

import base64
from datetime import timedelta
from importlib import import_module

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction
from audit.services import audit_record
from crm.models import Tenant, User
from security.ip import client_ip
from security.models import TenantSecurity, UserSession

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
_DB_SESSIONS = "django.contrib.sessions.backends.db"


# --- Sessions -------------------------------------------------------------------------------------


def session_track(*, request: HttpRequest, user: User) -> UserSession | None:
    """Remember a new sign-in (called on ``user_logged_in``), so it can be listed and ended later."""
    key = request.session.session_key
    if not key:
        return None
    session, _ = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": client_ip(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
        },
    )
    return session


def session_forget(*, session_key: str | None) -> None:
    """A session signed out by itself: nothing left to end."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_touch(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key).update(last_seen_at=timezone.now())


def _delete_sessions(keys: list[str]) -> None:
    if not keys:
        return
    if settings.SESSION_ENGINE == _DB_SESSIONS:
        Session.objects.filter(session_key__in=keys).delete()
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:  # cache-backed engines have no bulk delete; a user has a handful of sessions
        store(session_key=key).delete()


@transaction.atomic
def session_end(*, user: User, session: UserSession) -> None:
    """End one of the user's sessions: that browser is signed out at its next request."""
    if session.user_id != user.pk:
        raise ValueError("a user can only end their own sessions")
    _delete_sessions([session.session_key])
    session.delete()


@transaction.atomic
def sessions_end_others(*, user: User, keep_session_key: str | None) -> int:
    """Log out everywhere else: every session of the user except the one making the request."""
    others = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "")
    keys = list(others.values_list("session_key", flat=True))
    _delete_sessions(keys)
    others.delete()
    return len(keys)


def sessions_prune(*, user: User) -> None:
    """Drop rows of sessions that expired without a sign-out (the cookie age has passed)."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    UserSession.objects.filter(user=user, last_seen_at__lt=cutoff).delete()


# --- Two-factor -----------------------------------------------------------------------------------


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the enrolment page shows (reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The base32 key people type into an app that cannot scan the QR code."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Switch two-factor on once the app shows a matching code; older authenticators are replaced."""
    if device.user_id != user.pk or not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """A fresh set of single-use backup codes; the previous set stops working. Shown once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- Workspace policy and lockouts ------------------------------------------------------------------


@transaction.atomic
def tenant_security_update(*, tenant: Tenant, require_two_factor: bool, by: User) -> TenantSecurity:
    policy, _ = TenantSecurity.objects.get_or_create(tenant=tenant)
    before = policy.require_two_factor
    policy.require_two_factor = require_two_factor
    policy.updated_by = by
    policy.save()
    if before != require_two_factor:
        audit_record(
            tenant=tenant,
            action=AuditAction.SETTING_CHANGE,
            actor=by,
            obj=policy,
            object_repr="Security policy",
            changes={"require_two_factor": [before, require_two_factor]},
        )
    return policy


@transaction.atomic
def member_unlock(*, tenant: Tenant, username: str, by: User) -> int:
    """Clear a member's failed sign-ins (every IP), so they can try again at once."""
    count, _ = AccessAttempt.objects.filter(username=username).delete()
    audit_record(
        tenant=tenant,
        action=AuditAction.SETTING_CHANGE,
        actor=by,
        object_type="axes.accessattempt",
        object_id=username[:64],
        object_repr=f"Sign-in lockout of {username}",
        changes={"locked_out": [True, False]},
    )
    return count
