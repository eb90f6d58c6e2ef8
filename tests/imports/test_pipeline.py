"""Importing contacts end to end through the services: staging, matching, writing, rejecting."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Account, Contact
from imports.models import ImportRejection
from tests.factories import AccountFactory, ContactFactory
from tests.imports.conftest import check, import_file, run, upload

pytestmark = pytest.mark.django_db


def contacts(tenant):
    with tenant_context(tenant.id):
        return {c.email: c for c in Contact.objects.select_related("account")}


def reasons(contact_import):
    with tenant_context(contact_import.tenant_id):
        return [
            (r.row_number, r.column, r.value, r.reason)
            for r in ImportRejection.objects.filter(contact_import=contact_import).order_by("row_number", "id")
        ]


def test_a_csv_creates_contacts_with_normalised_values(tenant_a, alice):
    content = (
        b"First Name,Last Name,E-mail Address,Mobile Phone,Company,Tags\n"
        b'Ann,Lee, Ann.Lee@Example.ORG ,(202) 555-0143,Initech,"VIP, fair"\n'
        b"Bo,Chan,bo@example.org,,initech,\n"
    )
    done = import_file(tenant_a, alice, content)
    assert done.status == "done", done.message
    assert (done.created_count, done.updated_count, done.rejected_count) == (2, 0, 0)
    people = contacts(tenant_a)
    ann = people["ann.lee@example.org"]
    assert (ann.first_name, ann.last_name, ann.phone, ann.tags) == ("Ann", "Lee", "+12025550143", ["vip", "fair"])
    assert ann.account.name == "Initech" and people["bo@example.org"].account_id == ann.account_id
    assert ann.owner_id == alice.id and ann.updated_by_id == alice.id and ann.version == 1


def test_upsert_updates_matches_bumps_version_and_leaves_empty_cells_alone(tenant_a, alice):
    existing = ContactFactory(tenant=tenant_a, email="ann@example.org", first_name="Ann", title="CEO", version=3)
    same = ContactFactory(tenant=tenant_a, email="bo@example.org", first_name="Bo")
    content = b"Email,First Name,Title\nANN@example.org,Annie,\nbo@example.org,Bo,\nnew@example.org,Cy,CTO\n"
    done = import_file(tenant_a, alice, content)
    assert (done.created_count, done.updated_count, done.unchanged_count) == (1, 1, 1)
    with tenant_context(tenant_a.id):
        existing.refresh_from_db()
        same.refresh_from_db()
    assert (existing.first_name, existing.title, existing.version, existing.updated_by_id) == (
        "Annie",
        "CEO",
        4,
        alice.id,
    )
    assert same.version == 1


def test_the_dry_run_totals_match_the_real_run(tenant_a, alice):
    ContactFactory(tenant=tenant_a, email="ann@example.org", first_name="Ann")
    content = b"Email,First Name\nann@example.org,Annie\nann@example.org,Twice\nnot-an-email,X\nnew@example.org,New\n"
    checked = check(tenant_a, alice, upload(tenant_a, alice, content))
    totals = {key: checked.check_result[key] for key in ("create", "update", "unchanged", "reject")}
    assert totals == {"create": 1, "update": 1, "unchanged": 0, "reject": 2}
    with tenant_context(tenant_a.id):
        assert Contact.objects.count() == 1  # the dry run wrote nothing
    done = run(tenant_a, alice, checked)
    assert (done.created_count, done.updated_count, done.unchanged_count, done.rejected_count) == (1, 1, 0, 2)


def test_same_email_twice_in_the_file_keeps_the_first(tenant_a, alice):
    done = import_file(tenant_a, alice, b"Email,First Name\nann@example.org,Ann\nAnn@Example.org,Other\n")
    assert contacts(tenant_a)["ann@example.org"].first_name == "Ann"
    assert reasons(done) == [(3, "Email", "ann@example.org", "The same email as row 2; only the first is imported.")]


def test_an_invalid_email_or_phone_rejects_that_row_only(tenant_a, alice):
    content = b"Email,Phone\nann@example.org,+1 202 555 0143\nbad@@example,\nbo@example.org,12\n"
    done = import_file(tenant_a, alice, content)
    assert done.created_count == 1 and done.rejected_count == 2
    rows = reasons(done)
    assert rows[0][:3] == (3, "Email", "bad@@example") and "valid email" in rows[0][3]
    assert rows[1][:3] == (4, "Phone", "12") and "valid phone number" in rows[1][3]


def test_ragged_rows_are_rejected_with_their_width(tenant_a, alice):
    done = import_file(tenant_a, alice, b"Email,First Name,Last Name\nann@example.org,Ann,Lee\nbo@example.org,Bo\n")
    assert done.created_count == 1
    assert reasons(done) == [(3, "", "", "This row has 2 columns; the header has 3.")]


def test_update_only_and_create_only_modes(tenant_a, alice):
    ContactFactory(tenant=tenant_a, email="ann@example.org", first_name="Ann")
    content = b"Email,First Name\nann@example.org,Annie\nnew@example.org,New\n"
    updated = import_file(tenant_a, alice, content, mode="update")
    assert (updated.created_count, updated.updated_count, updated.rejected_count) == (0, 1, 1)
    assert "only updates" in reasons(updated)[0][3]
    created = import_file(tenant_a, alice, content, mode="create")
    assert (created.created_count, created.rejected_count) == (1, 1)
    assert reasons(created)[0][:3] == (2, "Email", "ann@example.org")


def test_matching_by_external_id_and_source_before_email(tenant_a, alice):
    by_id = ContactFactory(tenant=tenant_a, email="old@example.org", external_id="003A", source_system="salesforce")
    content = b"Id,Email,FirstName\n003A,new@example.org,Ann\n"
    done = import_file(tenant_a, alice, content, source_system="salesforce")
    assert done.updated_count == 1
    with tenant_context(tenant_a.id):
        by_id.refresh_from_db()
    assert (by_id.email, by_id.first_name) == ("new@example.org", "Ann")


def test_a_resumed_run_writes_nothing_twice(tenant_a, alice, monkeypatch):
    from imports import services

    monkeypatch.setattr(services, "CHUNK_SIZE", 3)
    lines = ["Email,First Name"] + [f"p{n}@example.org,P{n}" for n in range(10)] + ["bad,X"]
    checked = check(tenant_a, alice, upload(tenant_a, alice, "\n".join(lines).encode()))
    stopped = run(tenant_a, alice, checked, max_chunks=2)  # the worker "dies" after two chunks
    assert stopped.status == "running" and stopped.row_cursor == 7 and stopped.created_count == 6
    assert run(tenant_a, alice, stopped).status == "running"  # a second delivery while it runs does nothing
    with tenant_context(tenant_a.id):
        from imports.services import contact_import_resume

        assert contact_import_resume(tenant=tenant_a, contact_import=stopped, by=None)
    done = run(tenant_a, alice, stopped)
    assert (done.status, done.created_count, done.rejected_count) == ("done", 10, 1)
    with tenant_context(tenant_a.id):
        assert Contact.objects.count() == 10
    assert len(reasons(done)) == 1


def test_an_import_never_touches_another_tenants_contacts(tenant_a, tenant_b, alice):
    theirs = ContactFactory(tenant=tenant_b, email="ann@example.org", first_name="Theirs")
    AccountFactory(tenant=tenant_b, name="Initech")
    done = import_file(tenant_a, alice, b"Email,First Name,Company\nann@example.org,Ours,Initech\n")
    assert done.created_count == 1
    with tenant_context(tenant_b.id):
        theirs.refresh_from_db()
        assert theirs.first_name == "Theirs" and theirs.version == 1
        assert Account.objects.count() == 1
    with tenant_context(tenant_a.id):
        assert Account.objects.get().name == "Initech"


def test_chinese_headers_and_full_names(tenant_a, alice):
    content = "姓名,手机,邮箱,公司,职位\n王小明,+86 138 0013 8000,wang@example.cn,华为,经理\n".encode()
    done = import_file(tenant_a, alice, content)
    assert done.created_count == 1, reasons(done)
    wang = contacts(tenant_a)["wang@example.cn"]
    assert (wang.last_name, wang.first_name, wang.phone, wang.title, wang.account.name) == (
        "王",
        "小明",
        "+8613800138000",
        "经理",
        "华为",
    )


def test_the_sweeper_requeues_a_run_whose_worker_died(tenant_a, alice, monkeypatch, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from imports import services
    from imports.models import ContactImport

    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    content = b"Email\n" + b"".join(f"s{n}@example.org\n".encode() for n in range(5))
    stopped = run(tenant_a, alice, check(tenant_a, alice, upload(tenant_a, alice, content)), max_chunks=1)
    with tenant_context(tenant_a.id):
        assert services.contact_imports_requeue_stale(tenant=tenant_a) == 0  # still beating
        later = timezone.now() + timedelta(minutes=11)
        with django_capture_on_commit_callbacks() as queued:
            assert services.contact_imports_requeue_stale(tenant=tenant_a, now=later) == 1
        assert len(queued) == 1 and ContactImport.objects.get(pk=stopped.pk).status == "queued"
    done = run(tenant_a, alice, stopped)
    assert (done.status, done.created_count) == ("done", 5)


def test_custom_fields_consent_and_xlsx(tenant_a, alice):
    import io

    from openpyxl import Workbook

    from customers.models import CustomFieldType
    from tests.factories import CustomFieldFactory

    CustomFieldFactory(tenant=tenant_a, key="budget", label="Budget", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(tenant=tenant_a, key="region_code", label="Region code", required=True)
    workbook = Workbook()
    workbook.active.append(["Email", "Budget", "Region code", "Email consent", "Tags"])
    workbook.active.append(["ann@example.org", 1500, "EU", "yes", "vip"])
    workbook.active.append(["bo@example.org", "lots", "EU", "no", ""])
    workbook.active.append(["cy@example.org", 10, None, "maybe", ""])
    workbook.active.append(["dee@example.org", 10, None, None, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    done = import_file(tenant_a, alice, buffer.getvalue(), "fair.xlsx")
    assert done.created_count == 1
    ann = contacts(tenant_a)["ann@example.org"]
    assert ann.custom_fields == {"budget": 1500, "region_code": "EU"}
    assert ann.email_consent and ann.email_consent_source == "import" and ann.email_consent_at is not None
    assert [(row, column) for row, column, _, _ in reasons(done)] == [
        (3, "Budget"),
        (4, "Email consent"),
        (5, "Region code"),
    ]
    assert reasons(done)[2][3] == "Region code is required for new contacts."


def test_contacts_hidden_by_record_visibility_are_never_matched(tenant_a, alice):
    from crm.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    tenant_a.record_visibility = {Role.SALES: "own"}
    tenant_a.save(update_fields=["record_visibility"])
    sam = UserFactory(email="sam@acme.example")
    MembershipFactory(user=sam, tenant=tenant_a, role=Role.SALES)
    hidden = ContactFactory(tenant=tenant_a, email="ann@example.org", first_name="Ann", owner=alice)
    done = import_file(tenant_a, sam, b"Email,First Name\nann@example.org,Changed\n")
    assert (done.created_count, done.updated_count) == (1, 0)
    with tenant_context(tenant_a.id):
        hidden.refresh_from_db()
    assert hidden.first_name == "Ann" and hidden.version == 1
