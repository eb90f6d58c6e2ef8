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

from django.utils import timezone
from openpyxl import Workbook

XLSX_MAX_ROWS = 100_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTACT_COLUMNS = [
    ("id", "ID"), ("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"),
    ("phone", "Phone"), ("title", "Job title"), ("account__name", "Account"), ("lifecycle_stage", "Lifecycle stage"),
    ("owner__email", "Owner"), ("source", "Source"), ("city", "City"), ("country", "Country"),
    ("email_consent", "Email consent"), ("sms_consent", "SMS consent"), ("created_at", "Added"),
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


def csv_chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """The header and rows as CSV text, a few hundred rows per chunk (UTF-8 BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([label for _, label in CONTACT_COLUMNS])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(neutralise(value)) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(rows: Iterable[tuple[Any, ...]]) -> tempfile.SpooledTemporaryFile[bytes]:
    """A write-only workbook of the rows, in a temporary file ready to be streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contacts")
    sheet.append([label for _, label in CONTACT_COLUMNS])
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    output = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    workbook.save(output)
    output.seek(0)
    return output
