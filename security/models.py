"""Workspace security policy and the signed-in sessions of each user."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class TenantSecurity(TenantModel):
    """One row per workspace (1:1 with the tenant): the policy its admins set."""

    require_two_factor = models.BooleanField(
        _("require two-factor for everyone"),
        default=False,
        help_text=_("Members without an authenticator app are asked to set one up when they next sign in."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            # One policy row per workspace; also serves the per-request lookup by tenant.
            models.UniqueConstraint(fields=["tenant"], name="tenantsecurity_tenant_uniq"),
        ]
        indexes = [
            # Deleting a user sets their policy edits to NULL; PostgreSQL finds those rows by this key.
            models.Index(fields=["updated_by"], name="tenantsecurity_updby_fk_idx"),
        ]

    def __str__(self) -> str:
        return f"security policy of tenant {self.tenant_id}"


class UserSession(models.Model):
    """A signed-in browser session of a user (users span workspaces, so this is not tenant-owned).

    Written on sign-in, removed on sign-out. Ending a session deletes the Django session it names,
    so "log out everywhere" works with any session engine. ``public_id`` is what URLs carry: the
    session key itself is a credential and never leaves the server.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_sessions", db_index=False
    )  # the (user, last seen) index below serves lookups by user
    session_key = models.CharField(max_length=64, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The security page lists a user's sessions, most recently used first.
            models.Index(fields=["user", "-last_seen_at"], name="usersession_user_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"session of user {self.user_id} from {self.ip_address or '?'}"
