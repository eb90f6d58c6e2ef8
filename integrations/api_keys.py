"""API keys: made by admins, shown once, stored as a hash, checked on every API request.

A key reads ``crm_<prefix>_<secret>``. The prefix is public (it finds the workspace and the key row);
only the SHA-256 of the whole key is stored, so a database leak does not leak usable keys. SHA-256
without a slow KDF is right here because the secret is 256 random bits, not a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from crm.tenancy.context import tenant_context
from integrations.models import ApiKey, ApiKeyRoute, ScopeLevel

KEY_PREFIX = "crm"
# last_used_at is written at most this often per key, so busy clients do not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    plaintext: str  # shown to the admin once, never stored


def api_resources() -> dict[str, str]:
    """The API's resources a key can be scoped to: router basename -> label."""
    from crm.api_urls import router

    labels = {}
    for _prefix, viewset, basename in router.registry:
        labels[basename] = str(getattr(viewset, "resource_label", basename.replace("-", " ").capitalize()))
    return dict(sorted(labels.items()))


def _clean_scopes(scopes: dict[str, str]) -> dict[str, str]:
    known = api_resources()
    cleaned = {}
    for resource, level in scopes.items():
        if resource not in known:
            raise ValidationError({"scopes": _("Unknown API resource “%(name)s”.") % {"name": resource}})
        if level not in ScopeLevel.values:
            raise ValidationError({"scopes": _("Scope must be read, write or empty.")})
        if level:
            cleaned[resource] = level
    if not cleaned:
        raise ValidationError({"scopes": _("Give the key access to at least one resource.")})
    return cleaned


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, name: str, user: User, scopes: dict[str, str], expires_at: datetime | None, by: User
) -> NewApiKey:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Name the key after the system that will use it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists():
        raise ValidationError({"user": _("The key's user is not an active member of this workspace.")})
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    ApiKeyRoute.objects.create(prefix=prefix, tenant=tenant)
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name[:100],
        prefix=prefix,
        secret_hash=_hash(plaintext),
        user=user,
        scopes=_clean_scopes(scopes),
        expires_at=expires_at,
    )
    return NewApiKey(key=key, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, key: ApiKey, by: User) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    ApiKeyRoute.objects.filter(prefix=key.prefix).delete()  # later requests stop at the route lookup
    return key


class ApiKeyRejected(Exception):
    """The presented key is not valid; the message is safe to show to the client."""


@dataclass(frozen=True)
class AuthenticatedKey:
    key: ApiKey
    tenant_id: int


def api_key_authenticate(presented: str, *, ip: str | None) -> AuthenticatedKey:
    """Find and check a presented key. Runs before any tenant is current (middleware)."""
    parts = presented.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise ApiKeyRejected(_("The API key is malformed."))
    route = ApiKeyRoute.objects.filter(prefix=parts[1]).first()
    if route is None:
        raise ApiKeyRejected(_("The API key is not valid or has been revoked."))
    with tenant_context(route.tenant_id):
        key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.secret_hash, _hash(presented)):
            raise ApiKeyRejected(_("The API key is not valid or has been revoked."))
        now = timezone.now()
        if key.revoked_at is not None:
            raise ApiKeyRejected(_("The API key is not valid or has been revoked."))
        if key.expires_at is not None and key.expires_at <= now:
            raise ApiKeyRejected(_("The API key expired on %(date)s.") % {"date": key.expires_at.date().isoformat()})
        if (
            not key.user.is_active
            or not Membership.objects.filter(tenant_id=route.tenant_id, user=key.user, is_active=True).exists()
        ):
            raise ApiKeyRejected(_("The API key's user no longer belongs to this workspace."))
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
    return AuthenticatedKey(key=key, tenant_id=route.tenant_id)
