"""Shipments of orders, as an SCM or warehouse system reports them (docs/erp-oa-scm-sync.md)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class ShipmentStatus(models.TextChoices):
    CREATED = "created", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Delivery problem")
    RETURNED = "returned", _("Returned")


class Shipment(TenantModel):
    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the customer it goes to

    order = models.ForeignKey("customers.Order", on_delete=models.CASCADE, db_index=False, related_name="shipments")
    # The order's customer, kept here so the contact timeline finds shipments without a join.
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+"
    )
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100)
    source_system = models.CharField(_("source system"), max_length=50)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The sync upserts on it (INSERT ... ON CONFLICT): one row per shipment of a source system.
            models.UniqueConstraint(
                fields=["tenant", "source_system", "external_id"], condition=~Q(external_id=""),
                name="shipment_external_uniq",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["order", "created_at"], name="shipment_order_fk_idx"),
            models.Index(fields=["contact", "created_at"], name="shipment_contact_fk_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip() or self.external_id

    @property
    def tracking_url(self) -> str:
        template = TRACKING_URLS.get(self.carrier.strip().lower())
        return template.format(number=self.tracking_number) if template and self.tracking_number else ""


# Public tracking pages of common carriers, by the carrier name a system sends (lower-case).
TRACKING_URLS = {
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "sf express": "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
    "顺丰": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
}
