"""Exporting the contact list as the user filtered it: CSV streamed at any size, XLSX up to a cap.

Every cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) is prefixed with an apostrophe, the OWASP mitigation against CSV injection; an import of
our own files strips it again.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from audit.services import audit_record
from crm.tenancy.context import tenant_context
from customers.custom_fields.values import export_value
from customers.models import CustomField

XLSX_MAX_ROWS = 100_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ACCOUNT_COLUMNS = [
    ("id", "ID"), ("name", "Name"), ("industry", "Industry"), ("employees", "Employees"), ("website", "Website"),
    ("phone", "Phone"), ("city", "City"), ("country", "Country"), ("owner__email", "Owner"),
    ("parent__name", "Parent account"), ("external_id", "External id"), ("created_at", "Added"),
]  # fmt: skip
CONTACT_COLUMNS = [
    ("id", "ID"), ("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"),
    ("phone", "Phone"), ("title", "Job title"), ("account__name", "Account"), ("lifecycle_stage", "Lifecycle stage"),
    ("owner__email", "Owner"), ("source", "Source"), ("city", "City"), ("country", "Country"),
    ("email_consent", "Email consent"), ("sms_consent", "SMS consent"), ("created_at", "Added"),
    # The current scores (analytics.ContactScore); empty for a contact no run has scored yet.
    ("score__churn_probability", "Churn probability"), ("score__risk_band", "Churn risk"),
    ("score__predicted_value", "Predicted value"), ("score__rfm_segment", "RFM segment"),
    ("score__scored_at", "Scored at"),
]  # fmt: skip


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet will execute; numbers and dates keep their type."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def with_custom_fields(rows: Iterable[tuple[Any, ...]], fields: list[CustomField]) -> Iterator[tuple[Any, ...]]:
    """Rows whose last value is the ``custom_fields`` JSON, with that JSON spread into one value per field."""
    for row in rows:
        values = row[-1] or {}
        yield (*row[:-1], *(export_value(field, values.get(field.key)) for field in fields))


def contact_header(fields: list[CustomField]) -> list[str]:
    return [label for _, label in CONTACT_COLUMNS] + [field.label for field in fields]


def csv_chunks(rows: Iterable[tuple[Any, ...]], header: list[str]) -> Iterator[str]:
    """The header and rows as CSV text, a few hundred rows per chunk (UTF-8 BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(neutralise(value)) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(
    rows: Iterable[tuple[Any, ...]], header: list[str], *, title: str = "Contacts"
) -> tempfile.SpooledTemporaryFile[bytes]:
    """A write-only workbook of the rows, in a temporary file ready to be streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    output = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    workbook.save(output)
    output.seek(0)
    return output


def export_response(
    request: HttpRequest,
    *,
    rows: QuerySet[Any],
    header: list[str],
    custom: list[CustomField],
    name: str,
    list_url: str,
) -> HttpResponseBase:
    """``rows`` (values_list ending with ``custom_fields``) as the file the user asked for: CSV streamed at
    any size, or XLSX up to XLSX_MAX_ROWS (beyond that, back to the list with a message)."""
    stamp = timezone.localdate().isoformat()
    audit_record(  # one summary event per export (audit/registry.py)
        tenant=request.tenant,  # type: ignore[attr-defined]
        action="export",
        object_type=f"customers.{name[:-1]}",
        object_repr=request.GET.urlencode(),
    )
    if request.GET.get("format") == "xlsx":
        if rows.count() > XLSX_MAX_ROWS:
            message = _("Excel exports stop at %(max)s rows; narrow the filter or export CSV, which has no limit.")
            messages.error(request, message % {"max": f"{XLSX_MAX_ROWS:,}"})
            return redirect(f"{list_url}?{request.GET.urlencode()}")
        workbook = xlsx_file(with_custom_fields(rows.iterator(), custom), header, title=name.capitalize())
        return FileResponse(workbook, as_attachment=True, filename=f"{name}-{stamp}.xlsx")
    tenant_id = request.tenant.id  # type: ignore[attr-defined]

    def stream() -> Iterator[str]:
        # Streaming runs after the view has returned, outside the middleware's tenant context.
        with tenant_context(tenant_id):
            yield from csv_chunks(with_custom_fields(rows.iterator(chunk_size=2000), custom), header)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
