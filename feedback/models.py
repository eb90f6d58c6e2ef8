"""Product feedback: what customers ask for, report as broken or praise, per product area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class ProductArea(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="productarea_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name


class FeedbackKind(models.TextChoices):
    FEATURE_REQUEST = "feature_request", _("Feature request")
    BUG = "bug", _("Bug")
    PRAISE = "praise", _("Praise")


class FeedbackItem(TenantModel):
    """One piece of feedback, taken from a ticket or an interaction; ``contact`` is the customer asking."""

    area = models.ForeignKey(
        ProductArea, on_delete=models.PROTECT, db_index=False, related_name="items", verbose_name=_("product area")
    )
    kind = models.CharField(_("type"), max_length=20, choices=FeedbackKind.choices)
    note = models.TextField(_("note"), blank=True)
    ticket = models.ForeignKey(
        "service_desk.Ticket", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(interaction__isnull=False), name="feedbackitem_has_source"
            ),
        ]
        indexes = [
            # The report: counts by area and kind, and the trend by month.
            models.Index(fields=["tenant", "created_at"], name="feedbackitem_created_idx"),
            models.Index(fields=["area", "kind"], name="feedbackitem_area_fk_idx"),
            models.Index(fields=["ticket"], name="feedbackitem_ticket_fk_idx", condition=Q(ticket__isnull=False)),
            models.Index(
                fields=["interaction"], name="feedbackitem_inter_fk_idx", condition=Q(interaction__isnull=False)
            ),
            models.Index(fields=["contact"], name="feedbackitem_contact_fk_idx", condition=Q(contact__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.area_id}"
