"""Reads of the security app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.models import Membership, Tenant, User
from crm.tenancy.context import tenant_context
from security.models import TenantSecurity, UserSession


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    confirmed_at_device: str
    backup_codes_left: int


def two_factor_status(user: User) -> TwoFactorStatus:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).only("name").first()
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return TwoFactorStatus(enabled=device is not None, confirmed_at_device=device.name if device else "",
                           backup_codes_left=left)  # fmt: skip


def user_has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def tenant_policy(tenant: Tenant) -> TenantSecurity:
    """The workspace's policy (unsaved defaults when its admins never changed it)."""
    with tenant_context(tenant.pk):
        return TenantSecurity.objects.filter(tenant=tenant).first() or TenantSecurity(tenant=tenant)


def two_factor_required_for(user: User) -> bool:
    """Whether any workspace the user belongs to demands two-factor.

    Each workspace's policy row is behind row-level security, so each is read as that workspace;
    this runs once per sign-in over the user's few memberships, never per request.
    """
    tenant_ids = list(
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True).values_list("tenant_id", flat=True)
    )
    for tenant_id in tenant_ids:
        with tenant_context(tenant_id):
            if TenantSecurity.objects.filter(require_two_factor=True).exists():
                return True
    return False


def user_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still exist, most recently used first."""
    sessions = list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-id"))
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" and sessions:
        alive = set(
            Session.objects.filter(
                session_key__in=[s.session_key for s in sessions], expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
        sessions = [s for s in sessions if s.session_key in alive]
    return sessions


def member_usernames(tenant: Tenant) -> QuerySet[Any]:
    """The sign-in names (lower-cased emails) of the workspace's members, as a subquery."""
    return Membership.objects.filter(tenant=tenant).annotate(username=Lower("user__email")).values("username")


@dataclass(frozen=True)
class Lockout:
    username: str
    ip_address: str
    failures: int
    last_failure: datetime
    ends_at: datetime


def locked_out_members(tenant: Tenant) -> list[Lockout]:
    """The workspace's members who are locked out right now (any IP), latest first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(
        username__in=member_usernames(tenant),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gt=since,
    ).order_by("-attempt_time")
    return [
        Lockout(
            username=attempt.username or "",
            ip_address=attempt.ip_address or "",
            failures=attempt.failures_since_start,
            last_failure=attempt.attempt_time,
            ends_at=attempt.attempt_time + settings.AXES_COOLOFF_TIME,
        )
        for attempt in attempts[:200]
    ]


def is_member_username(tenant: Tenant, username: str) -> bool:
    return Membership.objects.filter(tenant=tenant, user__email__iexact=username.strip()).exists()
