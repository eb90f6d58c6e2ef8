"""vCard and JSON lines imports: what each card or line becomes, and what a broken one is told."""

from __future__ import annotations

import io

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Contact
from imports.models import ImportRejection
from imports.reader import ImportFileError, inspect_file, iter_data_rows
from tests.imports.conftest import check, import_file, upload

pytestmark = pytest.mark.django_db

VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\nEMAIL;TYPE=INTERNET:ann@example.org\r\n"
    "TEL;TYPE=CELL:(202) 555-0143\r\nORG:Initech;Sales\r\nTITLE:Buyer\r\n"
    "ADR;TYPE=WORK:;;1 Main St;Springfield;IL;62701;US\r\nBDAY:1985-04-12\r\nCATEGORIES:vip,fair\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bo Chan\r\nN:Chan;Bo;;;\r\nEMAIL;TYPE=home:bo@home.example\r\n"
    "EMAIL;PREF=1:bo@work.example\r\nBDAY:19900102\r\nNOTE:met at the fair\\, booth 4\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:王芳\r\nN:王;芳;;;\r\nTEL;VALUE=uri;TYPE=cell:tel:+86-138-0013-8000\r\n"
    "EMAIL:wang.fang@example.cn\r\nEND:VCARD\r\n"
)


def contacts(tenant):
    with tenant_context(tenant.id):
        return {c.email: c for c in Contact.objects.select_related("account")}


def test_a_vcard_file_imports_every_card(tenant_a, alice):
    done = import_file(tenant_a, alice, VCARDS.encode(), name="phone-export.vcf")
    assert done.status == "done", done.message
    assert (done.created_count, done.rejected_count) == (3, 0)
    people = contacts(tenant_a)
    ann = people["ann@example.org"]
    assert (ann.first_name, ann.last_name, ann.phone, ann.title) == ("Ann", "Lee", "+12025550143", "Buyer")
    assert (ann.account.name, ann.city, ann.postal_code, str(ann.birthday)) == (
        "Initech",
        "Springfield",
        "62701",
        "1985-04-12",
    )
    assert ann.tags == ["vip", "fair"]
    bo = people["bo@work.example"]  # the preferred address wins
    assert str(bo.birthday) == "1990-01-02"
    wang = people["wang.fang@example.cn"]
    assert (wang.first_name, wang.last_name) == ("芳", "王") and wang.phone == "+8613800138000"


def test_a_broken_vcard_names_the_card_and_line_and_nothing_is_stored(tenant_a, alice):
    broken = VCARDS.replace("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bo Chan", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN Bo Chan", 1)
    checked = check(tenant_a, alice, upload(tenant_a, alice, broken.encode(), name="broken.vcf"))
    assert checked.status == "failed" and "vCard 2 (line 13) cannot be read" in checked.message
    unterminated = VCARDS.rsplit("END:VCARD", 1)[0]
    checked = check(tenant_a, alice, upload(tenant_a, alice, unterminated.encode(), name="cut.vcf"))
    assert checked.status == "failed" and "vCard starting at line 22 has no END:VCARD" in checked.message
    assert contacts(tenant_a) == {}


def test_vcard_rows_are_numbered_by_card():
    layout = inspect_file(io.BytesIO(VCARDS.encode()), "cards.vcf")
    assert layout.headers[:4] == ["First Name", "Last Name", "Name", "E-mail Address"]
    assert [number for number, _cells in iter_data_rows(io.BytesIO(VCARDS.encode()), layout)] == [2, 3, 4]


JSONL = (
    '{"email": "ann@example.org", "first_name": "Ann", "company": "Initech", "tags": ["vip", "fair"],'
    ' "address": {"city": "Springfield", "country": "US"}}\n'
    "\n"
    '{"email": "bo@example.org", "first_name": "Bo", "phone": "+44 20 7946 0958", "extra": {"nested": [1, 2]}}\n'
    '{"email": "not an email", "first_name": "Cy"}\n'
)


def test_json_lines_import_with_keys_as_columns(tenant_a, alice):
    layout = inspect_file(io.BytesIO(JSONL.encode()), "contacts.jsonl")
    assert layout.headers == ["email", "first_name", "company", "tags", "address.city", "address.country", "phone",
                              "extra.nested"]  # fmt: skip
    done = import_file(tenant_a, alice, JSONL.encode(), name="contacts.jsonl")
    assert (done.created_count, done.rejected_count) == (2, 1), done.message
    people = contacts(tenant_a)
    ann = people["ann@example.org"]
    assert (ann.account.name, ann.city, ann.tags) == ("Initech", "Springfield", ["vip", "fair"])
    assert people["bo@example.org"].phone == "+442079460958"
    with tenant_context(tenant_a.id):
        (rejected,) = ImportRejection.objects.filter(contact_import=done)
    assert rejected.row_number == 4  # the line number: line 2 is blank


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"email": "a@example.org"}\n{"email": \n', "Line 2 is not valid JSON"),
        ('{"email": "a@example.org"}\n["a", "b"]\n', "Line 2 holds a JSON array"),
    ],
)
def test_a_bad_json_line_is_named(tenant_a, alice, content, message):
    with pytest.raises(ImportFileError, match=message):
        upload(tenant_a, alice, content.encode(), name="contacts.jsonl")


def test_other_file_types_are_refused_with_the_accepted_ones_named(tenant_a, alice):
    with pytest.raises(ImportFileError, match=r"\.vcf \(vCard\) or \.jsonl"):
        upload(tenant_a, alice, b"hello", name="contacts.pdf")
