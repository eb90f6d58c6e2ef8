"""Imports through the REST API: many contacts in one request (up to 10,000), created or updated by
the same pipeline as file imports (staging with COPY, set-wise merge, a report of every rejected
record), and the status of any import.

``POST /api/v1/imports/`` answers 202 at once with the import's URL; the work runs in Celery and the
``import.finished`` webhook (or polling the URL) tells when it is done. Records match existing contacts
by ``external_id`` + ``source_system``, else by email, else by phone, so sending the same batch twice
changes nothing the second time.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.roles import Capability
from customers.custom_fields.selectors import active_custom_fields
from customers.models import CustomFieldEntity
from imports import selectors, services
from imports.mapping import CUSTOM_PREFIX, STANDARD_TARGETS
from imports.models import ContactImport, ImportMode

MAX_RECORDS = 10_000
REJECTIONS_SHOWN = 1_000
CUSTOM_FIELDS_KEY = "custom_fields"


class ImportSerializer(serializers.ModelSerializer):
    rejections = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ContactImport
        fields = ["id", "url", "status", "original_name", "mode", "source_system", "total_rows", "created_count",
                  "updated_count", "unchanged_count", "rejected_count", "message", "created_at", "started_at",
                  "finished_at", "rejections"]  # fmt: skip
        read_only_fields = fields

    def get_url(self, contact_import: ContactImport) -> str:
        return reverse("api:import-detail", args=[contact_import.pk])

    def get_rejections(self, contact_import: ContactImport) -> list[dict[str, Any]]:
        """The first rejected records: ``record`` counts from 1 in the order they were sent."""
        if not self.context.get("with_rejections"):
            return []
        rows = selectors.import_rejections(contact_import)[:REJECTIONS_SHOWN]
        from_api = contact_import.file_format == "json"
        return [
            {
                "record" if from_api else "row": row.row_number,
                "field": row.column,
                "value": row.value,
                "reason": row.reason,
            }
            for row in rows
        ]


class BulkContactsSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.UPSERT)
    source_system = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    records = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_RECORDS)


class ImportPagination(CursorPagination):
    ordering = "-created_at"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


def _columns(records: list[dict[str, Any]], custom_keys: set[str]) -> list[str]:
    """The columns of the batch (every key used, in first-seen order); unknown fields are refused by name."""
    standard = {key for key, _label in STANDARD_TARGETS}
    columns: dict[str, None] = {}
    problems: list[str] = []
    for index, record in enumerate(records, start=1):
        for key, value in record.items():
            if key == CUSTOM_FIELDS_KEY:
                if not isinstance(value, dict):
                    problems.append(f"record {index}: custom_fields must be an object")
                    continue
                for custom in value:
                    if custom not in custom_keys:
                        problems.append(f"record {index}: unknown custom field '{custom}'")
                    columns.setdefault(f"{CUSTOM_FIELDS_KEY}.{custom}", None)
            elif key not in standard:
                problems.append(f"record {index}: unknown field '{key}'")
            else:
                columns.setdefault(key, None)
        if len(problems) >= 20:
            break
    if problems:
        raise ValidationError({"records": problems})
    return list(columns)


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    """One line per record, numbered 1..n: rejections then name the record by its position."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Contact imports: file imports made on the Import pages and batches sent here."""

    selector = staticmethod(selectors.imports_for_list)
    capability = Capability.CUSTOMERS_EDIT
    write_capability = Capability.CUSTOMERS_EDIT
    serializer_class = ImportSerializer
    pagination_class = ImportPagination
    http_method_names = ["get", "post", "head", "options"]
    resource_label = "Import"

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "with_rejections": self.action == "retrieve"}

    @extend_schema(request=BulkContactsSerializer, responses={202: ImportSerializer, 400: OpenApiResponse()})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create or update up to 10,000 contacts. Each record takes the contact fields of the import
        (first_name, last_name, full_name, email, phone, title, account (by name), lifecycle_stage, source,
        preferred_channel, tags (list or comma-separated), street, city, region, postal_code, country, birthday,
        email_consent, sms_consent, external_id) and ``custom_fields`` as an object by key."""
        payload = BulkContactsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tenant = request._request.tenant  # type: ignore[attr-defined]
        records = payload.validated_data["records"]
        custom_keys = {field.key for field in active_custom_fields(CustomFieldEntity.CONTACT)}
        columns = _columns(records, custom_keys)
        mapping = [CUSTOM_PREFIX + column.split(".", 1)[1] if column.startswith(f"{CUSTOM_FIELDS_KEY}.") else column
                   for column in columns]  # fmt: skip
        name = f"api-{timezone.now():%Y%m%d-%H%M%S}.jsonl"
        with transaction.atomic():
            contact_import = services.contact_import_create(
                tenant=tenant, upload=SimpleUploadedFile(name, _jsonl(records)), by=acting_user(request._request)
            )
            contact_import = services.contact_import_submit(
                tenant=tenant, contact_import=contact_import, mapping=_ordered(mapping, columns, contact_import),
                mode=payload.validated_data["mode"], source_system=payload.validated_data["source_system"],
                by=acting_user(request._request),
            )  # fmt: skip
        body = self.get_serializer(contact_import).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def _ordered(mapping: list[str], columns: list[str], contact_import: ContactImport) -> list[str]:
    """The mapping in the order of the stored file's headers (the reader lists keys as first seen)."""
    by_column = dict(zip(columns, mapping, strict=True))
    return [by_column.get(header, "") for header in contact_import.headers]
