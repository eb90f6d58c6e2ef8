"""Idempotency keys of API writes (imported by crm/models.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.tenancy.models import TenantModel


class IdempotencyKey(TenantModel):
    """A POST's ``Idempotency-Key`` with what it answered, so a retried request gets the same answer and
    writes nothing twice. Written in the request's own transaction, with the records it created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # sha256 of method, path and body
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # One answer per key and user; a concurrent duplicate waits on this index, then replays.
            models.UniqueConstraint(fields=["tenant", "user", "key"], name="idempotencykey_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotencykey_sweep_idx")]
