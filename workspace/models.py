"""Workspace administration: the company profile and branding, and invitations to join."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.roles import Role
from crm.tenancy.models import TenantModel


class TenantProfile(TenantModel):
    """What the tenant row does not hold: legal details and branding. One per tenant."""

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    support_email = models.EmailField(_("support email"), blank=True)
    brand_color = models.CharField(_("brand colour"), max_length=7, blank=True)
    # The logo lives in the database: small (capped on upload), served by every web node alike.
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=20, blank=True, editable=False)
    logo_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # One profile per tenant; also serves the lookup by tenant on every branded page.
            models.UniqueConstraint(fields=["tenant"], name="tenantprofile_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return self.legal_name or str(_("Company profile"))


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Invitation(TenantModel):
    """An emailed, signed, expiring, single-use offer to join the workspace with a role.

    The link carries a signed (invitation id, nonce); only the nonce's hash is stored, and resending
    replaces it, so an older link stops working.
    """

    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Teams to join on acceptance (crm.Team ids of this tenant; a deleted team is skipped then).
    team_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    nonce_hash = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            # The users page: invitations newest first.
            models.Index(fields=["tenant", "created_at"], name="invitation_tenant_created_idx"),
        ]
        constraints = [
            # At most one open invitation per address: inviting again resends it.
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_tenant_email_open_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return str(InvitationStatus(self.status).label)


class FieldAccess(models.TextChoices):
    HIDDEN = "hidden", _("Hidden")
    READ_ONLY = "read_only", _("Read-only")


class FieldPermission(TenantModel):
    """A sensitive contact or account field restricted for one role (workspace/field_access.py enforces it).
    No row: the role may see and edit the field as its capabilities allow."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    entity = models.CharField(_("record type"), max_length=20)
    field = models.CharField(_("field"), max_length=40)
    access = models.CharField(_("access"), max_length=20, choices=FieldAccess.choices)

    class Meta:
        constraints = [
            # One rule per role and field; also serves the per-request lookup by role.
            models.UniqueConstraint(fields=["tenant", "role", "entity", "field"], name="fieldperm_tenant_role_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.entity}.{self.field} {self.access}"
