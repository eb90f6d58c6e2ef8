"""Fuzzing the CSV path with Hypothesis: never an unhandled exception, every row imported or rejected."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.reader import ImportFileError, inspect_file, iter_data_rows
from imports.rows import RowCleaner
from tests.imports.conftest import check, run, upload

HEADERS = ["Email", "First Name", "Phone", "Company", "Tags", "Birthday", "Email Consent"]
MAPPING = ["email", "first_name", "phone", "account", "tags", "birthday", "email_consent"]
cell = st.one_of(
    st.text(max_size=30),
    st.emails().map(str),
    st.sampled_from(["", "yes", "no", "2024-02-30", "1990-05-17", "+1 202 555 0143", "=1+1", '"', ",", "\n"]),
)
rows = st.lists(st.lists(cell, min_size=0, max_size=len(HEADERS) + 2), min_size=1, max_size=12)


def as_csv(data: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADERS)
    writer.writerows(data)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None)
@given(data=rows, delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-16", "gb18030"]))
def test_the_reader_and_cleaner_either_refuse_the_file_or_judge_every_row(data, delimiter, encoding):
    text = as_csv(data, delimiter)
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8")
    stream = io.BytesIO(content)
    try:
        layout = inspect_file(stream, "fuzz.csv")
        mapping = (MAPPING + [""] * len(layout.headers))[: len(layout.headers)]
        cleaner = RowCleaner(
            headers=layout.headers, mapping=mapping, region="US", custom_fields=[], source_system="", strict_width=True
        )
        for number, cells in iter_data_rows(stream, layout):
            row = cleaner.clean(number, cells)
            assert row.rejected == bool(row.errors)
            assert all(error.reason for error in row.errors)
    except ImportFileError as error:
        assert str(error)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_anything_but_a_file_error(content):
    stream = io.BytesIO(content)
    try:
        layout = inspect_file(stream, "fuzz.csv")
        for _ in iter_data_rows(stream, layout):
            pass
    except ImportFileError as error:
        assert str(error)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows)
def test_every_row_is_imported_or_rejected_with_a_reason(tenant_a, alice, data):
    from crm.tenancy.context import tenant_context
    from imports.models import ImportRejection

    content = as_csv(data, ",").encode()
    try:
        contact_import = upload(tenant_a, alice, content, "fuzz.csv")
    except ImportFileError:
        return
    mapping = (MAPPING + [""] * len(contact_import.headers))[: len(contact_import.headers)]
    checked = check(tenant_a, alice, contact_import, mapping=mapping)
    if checked.status == "failed":
        assert checked.message
        return
    done = run(tenant_a, alice, checked)
    assert done.status == "done", done.message
    assert done.processed == done.total_rows == checked.check_result["rows"]
    assert (done.created_count, done.rejected_count) == (checked.check_result["create"], checked.check_result["reject"])
    with tenant_context(tenant_a.id):
        rejected_rows = set(ImportRejection.objects.filter(contact_import=done).values_list("row_number", flat=True))
        assert len(rejected_rows) == done.rejected_count
        assert all(ImportRejection.objects.filter(contact_import=done).values_list("reason", flat=True))
