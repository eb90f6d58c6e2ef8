"""The tenancy core: tenants, users and their memberships.

These three tables are global (not tenant-owned): the authentication layer reads
them before a tenant is known. They are only read through selectors scoped to
the signed-in user or the current tenant (crm/selectors.py).
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.roles import Role, role_can

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    # A validator, not field choices: the zone list changes with tzdata and must not churn migrations.
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Tenant(models.Model):
    name = models.CharField(_("company name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    default_currency = models.CharField(_("default currency"), max_length=3, default="USD")
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone], default="UTC")
    country = models.CharField(_("country (phone region)"), max_length=2, default="US")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    # Role -> "all" | "own" (crm.roles.Visibility); missing roles see all records.
    record_visibility = models.JSONField(_("record visibility per role"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email: str | None) -> User:
        # Sign-in is case-insensitive; addresses are stored lower-case.
        return self.get(email__iexact=email)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; belongs to tenants through memberships."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone], blank=True)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # Django reads it as a plain class attribute

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Membership(models.Model):
    """A user's role in one tenant. An inactive membership grants nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # One role per person per tenant; also serves the tenant's member list.
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user_uniq"),
        ]
        indexes = [
            # The tenant switcher: a user's active memberships.
            models.Index(fields=["user", "is_active"], name="membership_user_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    def can(self, capability: str) -> bool:
        return self.is_active and role_can(self.role, capability)


# Tenant tables of the crm app live in their own modules; importing them here registers them.
from crm.idempotency.models import IdempotencyKey  # noqa: E402
from crm.lists.models import BulkJob, BulkJobStatus, SavedView  # noqa: E402
from crm.teams.models import Team, TeamMember  # noqa: E402

__all__ = [
    "BulkJob", "BulkJobStatus", "IdempotencyKey", "Membership", "SavedView", "Team", "TeamMember", "Tenant", "User",
]  # fmt: skip
