"""The audit trail: one append-only row per recorded action, and each tenant's retention setting.

The runtime database role may INSERT and SELECT ``audit_auditevent`` but never UPDATE or DELETE it
(REVOKE in migration 0001, and ``crm.apps.APPEND_ONLY_TABLES`` so the post-migrate grant does not
give it back). Only the owner connection deletes rows (the retention sweep) or redacts them (a
privacy erasure): see ``audit.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel

MIN_RETENTION_MONTHS = 18


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    MERGE = "merge", _("Merged")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    BULK = "bulk", _("Bulk action")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    PERMISSION_CHANGE = "permission_change", _("Permission change")
    SETTING_CHANGE = "setting_change", _("Setting change")
    ERASE = "erase", _("Personal data erased")
    PRIVACY_EXPORT = "privacy_export", _("Personal data exported")
    RETENTION = "retention", _("Retention rule run")
    IMPERSONATE = "impersonate", _("Platform operator acted as an admin")


class AuditEvent(TenantModel):
    # Audit rows outlive what they describe: deleting a tenant or a user must neither cascade into
    # the trail (the runtime role may not delete it) nor be blocked by it, so both keys are plain
    # columns without a database constraint; ``actor_label`` keeps the name once the user is gone.
    tenant = models.ForeignKey(
        "crm.Tenant", on_delete=models.DO_NOTHING, db_constraint=False, editable=False, related_name="+",
        db_index=False,
    )  # fmt: skip
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+", db_index=False, verbose_name=_("actor"),
    )  # fmt: skip
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)  # app_label.model
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [before, after]}
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        indexes = [
            # The audit log page: newest first within a tenant (also the keyset page's order).
            models.Index("tenant", models.F("at").desc(), models.F("id").desc(), name="audit_event_tenant_at_idx"),
            # A record's field history: /audit/history/<type>/<id>/.
            models.Index(fields=["tenant", "object_type", "object_id", "at"], name="audit_event_object_idx"),
            # The actor filter.
            models.Index(fields=["tenant", "actor", "at"], name="audit_event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}".strip()


class AuditSettings(TenantModel):
    """How long a tenant keeps its audit trail (at least 18 months, issue 9)."""

    retention_months = models.PositiveIntegerField(
        _("keep audit events for (months)"),
        default=MIN_RETENTION_MONTHS,
        validators=[MinValueValidator(MIN_RETENTION_MONTHS)],
    )
    last_swept_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_swept_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="audit_settings_tenant_uniq")]
