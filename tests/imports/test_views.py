"""The import wizard in the browser: upload, mapping, preview, run, result, report, history; access rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.tenancy.context import tenant_context
from customers.models import Contact
from imports.models import ContactImport
from tests.factories import ContactFactory
from tests.imports.conftest import upload
from tests.imports.factories import ContactImportFactory

pytestmark = pytest.mark.django_db
HTML = {"HTTP_ACCEPT": "text/html"}


def post_file(client, content: bytes, name: str = "contacts.csv", **extra):
    return client.post(reverse("imports:new"), {"file": SimpleUploadedFile(name, content)}, **extra)


def the_import(tenant) -> ContactImport:
    with tenant_context(tenant.id):
        return ContactImport.objects.get()


def test_the_whole_wizard(tenant_a, alice, alice_client, eager_tasks, django_capture_on_commit_callbacks):
    ContactFactory(tenant=tenant_a, email="ann@example.org", first_name="Ann")
    content = (
        b"Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Organization 1 - Name,Notes\n"
        b"Annie,Lee,ann@example.org,+1 202 555 0143,Initech,x\n"
        b"Bo,Chan,bo@@example,,Initech,y\n"
        b"Cy,Diaz,cy@example.org,,Globex,z\n"
    )
    response = post_file(alice_client, content, **HTML)
    contact_import = the_import(tenant_a)
    assert response.status_code == 302 and response["Location"] == reverse("imports:map", args=[contact_import.pk])
    assert contact_import.mapping == ["first_name", "last_name", "email", "phone", "account", ""]

    page = alice_client.get(reverse("imports:map", args=[contact_import.pk])).content.decode()
    assert 'name="col_2"' in page and '<option value="email" selected>' in page

    form = {f"col_{index}": target for index, target in enumerate(contact_import.mapping)}
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("imports:map", args=[contact_import.pk]), {**form, "mode": "upsert"})
    assert response.status_code == 302
    preview = alice_client.get(reverse("imports:detail", args=[contact_import.pk])).content.decode()
    assert 'data-testid="dry-run-totals"' in preview
    assert "Enter a valid email address" in preview  # the error, in its cell
    assert the_import(tenant_a).check_result["create"] == 1 and the_import(tenant_a).check_result["update"] == 1
    with tenant_context(tenant_a.id):
        assert Contact.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:start", args=[contact_import.pk]))
    result = alice_client.get(reverse("imports:detail", args=[contact_import.pk])).content.decode()
    assert (
        'data-testid="import-result"' in result
        and "1 contact created, 1 updated, 0 unchanged, 1 row rejected." in result
    )
    report = b"".join(alice_client.get(reverse("imports:report", args=[contact_import.pk])).streaming_content)
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Value", "Reason"]
    assert rows[1][:3] == ["3", "E-mail 1 - Value", "bo@@example"]
    history = alice_client.get(reverse("imports:list")).content.decode()
    assert "contacts.csv" in history and "Done" in history


def test_the_progress_partial_polls_while_running(tenant_a, alice, alice_client):
    contact_import = ContactImportFactory(
        tenant=tenant_a, status="running", total_rows=10, row_cursor=5, created_count=5
    )
    response = alice_client.get(reverse("imports:detail", args=[contact_import.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body and "50%" in body and "5 of 10 rows" in body


def test_a_file_over_the_cap_is_refused(tenant_a, alice_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    content = b"Email\n" + b"someone@example.org\n" * 20
    api = post_file(alice_client, content)
    assert api.status_code == 413
    assert "files up to 100" in api.content.decode() or "larger than 100" in api.content.decode()
    page = post_file(alice_client, content, **HTML)
    assert page.status_code in (400, 413) and "can be imported. Split it" in page.content.decode()
    with tenant_context(tenant_a.id):
        assert not ContactImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "c.csv", "The file is empty."),
        (b"Email,Name\n", "c.csv", "The file has a header row but no data rows."),
        (b"Email,Name,EMAIL\na,b,c\n", "c.csv", "Columns A and C are both called"),
        (b"not a zip", "c.xlsx", "it is not an Excel workbook"),
    ],
)
def test_a_broken_file_is_refused_with_its_reason(tenant_a, alice_client, content, name, message):
    response = post_file(alice_client, content, name, **HTML)
    assert response.status_code == 400 and message in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not ContactImport.objects.exists()


def test_a_mapping_error_is_shown(tenant_a, alice, alice_client):
    contact_import = upload(tenant_a, alice, b"Email,Notes,Mail\na@example.org,x,b@example.org\n")
    response = alice_client.post(
        reverse("imports:map", args=[contact_import.pk]),
        {"col_0": "email", "col_1": "", "col_2": "email", "mode": "upsert"},
    )
    assert response.status_code == 400
    assert "“Email”, “Mail” are all mapped to Email; map only one of them." in response.content.decode()


def test_another_tenants_import_is_a_404(tenant_a, alice, charlie_client):
    contact_import = ContactImportFactory(tenant=tenant_a, created_by=alice)
    for name in ("detail", "map", "report"):
        assert charlie_client.get(reverse(f"imports:{name}", args=[contact_import.pk])).status_code == 404
    assert charlie_client.post(reverse("imports:start", args=[contact_import.pk])).status_code == 404
    assert "spring-fair.csv" not in charlie_client.get(reverse("imports:list")).content.decode()


def test_a_role_without_customers_edit_gets_403(tenant_a, alice, bob_client):
    contact_import = ContactImportFactory(tenant=tenant_a, created_by=alice)
    assert bob_client.get(reverse("imports:list")).status_code == 403
    assert post_file(bob_client, b"Email\na@example.org\n").status_code == 403
    assert bob_client.get(reverse("imports:detail", args=[contact_import.pk])).status_code == 403
    assert bob_client.get(reverse("imports:report", args=[contact_import.pk])).status_code == 403


def test_the_history_has_an_empty_state(alice_client):
    assert "No imports yet" in alice_client.get(reverse("imports:list")).content.decode()


def test_report_cells_cannot_run_as_formulas(tenant_a, alice, alice_client):
    from imports.models import ImportRejection

    contact_import = ContactImportFactory(tenant=tenant_a, created_by=alice, status="done", rejected_count=1)
    with tenant_context(tenant_a.id):
        ImportRejection.objects.create(
            contact_import=contact_import, row_number=2, column="Email", value="=HYPERLINK(1)", reason="bad"
        )
    report = b"".join(alice_client.get(reverse("imports:report", args=[contact_import.pk])).streaming_content).decode()
    assert "'=HYPERLINK(1)" in report


def test_polling_a_finished_import_reloads_the_page(tenant_a, alice, alice_client):
    contact_import = ContactImportFactory(tenant=tenant_a, status="done", total_rows=3, row_cursor=3, created_count=3)
    response = alice_client.get(reverse("imports:detail", args=[contact_import.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_the_sidebar_and_contact_list_link_to_imports(alice_client, bob_client):
    assert reverse("imports:list") in alice_client.get(reverse("customers:contact-list")).content.decode()
    assert reverse("imports:new") in alice_client.get(reverse("customers:contact-list")).content.decode()
    assert reverse("imports:list") not in bob_client.get(reverse("customers:contact-list")).content.decode()
