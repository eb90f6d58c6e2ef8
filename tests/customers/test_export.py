"""Exporting the contact list as filtered: CSV streamed, XLSX capped, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from customers import exports
from tests.factories import ContactFactory


def exported_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def contacts(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@initech.example",
                   phone="+12025550143", lifecycle_stage="customer")  # fmt: skip
    ContactFactory(tenant=tenant_a, first_name="=HYPERLINK(\"http://evil.example\")", last_name="Zed",
                   lifecycle_stage="lead")  # fmt: skip
    ContactFactory(tenant=tenant_b, first_name="Gus", last_name="Theirs", lifecycle_stage="customer")


@pytest.mark.django_db
def test_the_csv_export_is_the_filtered_view_of_this_tenant_only(alice_client, contacts):
    response = alice_client.get("/customers/contacts/export/", {"stage": "customer", "format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    header, *rows = exported_csv(response)
    assert header[:4] == ["ID", "First name", "Last name", "Email"]
    assert [(row[1], row[2]) for row in rows] == [("Ann", "Lee")]


@pytest.mark.django_db
def test_cells_that_would_run_as_formulas_are_neutralised(alice_client, contacts):
    _, *rows = exported_csv(alice_client.get("/customers/contacts/export/", {"format": "csv"}))
    by_last_name = {row[2]: row for row in rows}
    assert by_last_name["Zed"][1] == '\'=HYPERLINK("http://evil.example")'
    assert by_last_name["Lee"][4] == "'+12025550143"  # a leading + is a formula to Excel too


@pytest.mark.django_db
def test_the_excel_export_reopens_with_the_same_values(alice_client, contacts):
    response = alice_client.get("/customers/contacts/export/", {"q": "ann", "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook["Contacts"].iter_rows(values_only=True))
    assert rows[0][:3] == ("ID", "First name", "Last name")
    assert [(row[1], row[2], row[3]) for row in rows[1:]] == [("Ann", "Lee", "ann@initech.example")]


@pytest.mark.django_db
def test_an_excel_export_over_the_cap_explains_what_to_do(alice_client, contacts, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)
    response = alice_client.get("/customers/contacts/export/", {"format": "xlsx"}, follow=True)
    assert "Excel exports stop at 1 rows" in response.content.decode()


@pytest.mark.django_db
def test_the_analyst_may_export_and_charlie_sees_none_of_tenant_a(bob_client, charlie_client, contacts):
    assert len(exported_csv(bob_client.get("/customers/contacts/export/", {"format": "csv"}))) == 3
    _, *theirs = exported_csv(charlie_client.get("/customers/contacts/export/", {"format": "csv"}))
    assert [row[2] for row in theirs] == ["Theirs"]


@pytest.mark.django_db
def test_the_account_export_follows_the_view_with_a_column_per_custom_field(alice_client, tenant_a, tenant_b):
    from tests.factories import AccountFactory, CustomFieldFactory

    CustomFieldFactory(tenant=tenant_a, entity="account", key="vat", label="VAT number")
    AccountFactory(tenant=tenant_a, name="Big Inc", employees=5000, custom_fields={"vat": "=EVIL()"})
    AccountFactory(tenant=tenant_a, name="Small GmbH", employees=8)
    AccountFactory(tenant=tenant_b, name="Their Corp", employees=9000)
    response = alice_client.get("/customers/accounts/export/", {"employees_min": "100", "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,Name,Industry") and lines[0].endswith(",VAT number")
    assert len(lines) == 2 and "Big Inc" in lines[1] and lines[1].endswith(",'=EVIL()")


@pytest.mark.django_db
def test_read_only_roles_without_export_cannot_export_accounts(tenant_a, client):
    from crm.roles import Role
    from tests.conftest import client_for
    from tests.factories import MembershipFactory, UserFactory

    rep = UserFactory(email="service@acme.example")
    MembershipFactory(user=rep, tenant=tenant_a, role=Role.SERVICE)
    assert client_for(rep).get("/customers/accounts/export/", {"format": "csv"}).status_code == 403
