"""Segments: named rules over contacts (and their accounts, orders, scores ...), evaluated as one SQL query."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Segment(TenantModel):
    """A dynamic audience: ``rules`` is a nested AND/OR tree compiled to SQL each time it is used."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", Lower("name"), name="segment_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name
