"""The audit trail: append-only for the app's role, diffs with before and after, secrets masked,
sign-ins recorded without passwords, the admin pages and their tenant walls, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.context import AuditActor, audit_actor_context
from audit.models import AuditEvent, AuditSettings
from audit.services import audit_record, audit_retention_sweep, audit_settings_save
from crm.secrets import encrypt_secret
from crm.tenancy.context import tenant_context
from customers.models import Contact
from customers.services import contact_update
from mail.models import MailSettings
from tests.conftest import PASSWORD
from tests.factories import ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def events(tenant, **filters):
    with tenant_context(tenant.id):
        return list(AuditEvent.objects.filter(**filters).order_by("id"))


# --- The database wall -------------------------------------------------------------------------------


def test_the_runtime_role_can_insert_and_read_audit_rows_but_not_change_or_delete_them(tenant_a):
    audit_record(tenant=tenant_a, action="export", object_type="customers.contact", object_repr="all contacts")
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, count(*) FROM audit_auditevent GROUP BY 1")
        user, count = cursor.fetchone()
    assert user == connection.settings_dict["USER"] != connections["owner"].settings_dict["USER"]
    assert count >= 1
    for statement in (
        "UPDATE audit_auditevent SET object_repr = 'tampered'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
    ):
        with (
            tenant_context(tenant_a.id),
            pytest.raises(ProgrammingError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with tenant_context(tenant_a.id):
        assert not AuditEvent.objects.filter(object_repr="tampered").exists()
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.all().delete()


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_append_only_grant_survives_migrate_regranting_privileges():
    """The post-migrate grant (crm/apps.py) gives every table DML; it must leave the audit table alone."""
    from crm.apps import grant_runtime_role_privileges

    grant_runtime_role_privileges(using="owner")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE table_name = 'audit_auditevent' AND grantee = current_user ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"]


# --- Capture ---------------------------------------------------------------------------------------


def test_an_edit_records_the_changed_fields_with_before_and_after(tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", city="Oslo")
    with (
        tenant_context(tenant_a.id),
        audit_actor_context(AuditActor(user_id=alice.pk, label=alice.email, ip="10.0.0.7")),
    ):
        loaded = Contact.objects.get(pk=contact.pk)
        loaded.city = "Bergen"
        contact_update(
            tenant=tenant_a,
            contact=loaded,
            data={"city": "Bergen", "title": "CTO", "email_consent": False, "sms_consent": False},
            expected_version=loaded.version,
            by=alice,
        )
    created, updated = events(tenant_a, object_type="customers.contact", object_id=str(contact.pk))
    assert created.action == "create" and created.changes["first_name"] == [None, "Ann"]
    assert updated.action == "update"
    assert updated.changes == {"city": ["Oslo", "Bergen"], "title": ["", "CTO"]}
    assert (updated.actor_id, updated.actor_label, updated.ip) == (alice.pk, alice.email, "10.0.0.7")


def test_a_save_that_changes_nothing_records_nothing_and_a_delete_is_recorded(tenant_a):
    deal = DealFactory(tenant=tenant_a, name="Big one")
    with tenant_context(tenant_a.id):
        deal.save()
        deal.delete()
    actions = [event.action for event in events(tenant_a, object_type="customers.deal")]
    assert actions == ["create", "delete"]


def test_secrets_are_never_written_only_that_they_changed(tenant_a):
    with tenant_context(tenant_a.id):
        settings = MailSettings.objects.create(
            tenant=tenant_a, host="smtp.example.org", port=587, from_email="a@acme.example",
            password_encrypted=encrypt_secret("hunter2-original"),
        )  # fmt: skip
        stored_before = settings.password_encrypted
        settings.password_encrypted = encrypt_secret("hunter2-changed")
        settings.host = "mail.example.org"
        settings.save()
    created, updated = events(tenant_a, object_type="mail.mailsettings")
    assert {created.action, updated.action} == {"setting_change"}
    assert updated.changes["host"] == ["smtp.example.org", "mail.example.org"]
    assert updated.changes["password_encrypted"] == ["••••••", "••••••"]
    text = str(created.changes) + str(updated.changes)
    assert "hunter2" not in text and stored_before not in text and settings.password_encrypted not in text


def test_a_role_change_is_a_permission_change(tenant_a, bob):
    membership = bob.memberships.get()
    membership.role = "sales"
    membership.save()
    (event,) = events(tenant_a, object_type="crm.membership", action="permission_change", object_id=str(membership.pk))[
        -1:
    ]
    assert event.changes == {"role": ["analyst", "sales"]}


def test_a_failed_sign_in_is_recorded_with_the_username_and_never_the_password(tenant_a, alice):
    response = Client(REMOTE_ADDR="192.0.2.9").post(
        reverse("login"), {"username": alice.email, "password": "Wrong-Pa55word-xyz"}
    )
    assert response.status_code == 200  # the form again, with its error
    (event,) = events(tenant_a, action="login_failed")
    assert event.object_repr == alice.email and event.ip == "192.0.2.9"
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM audit_auditevent e")
        assert not any("Wrong-Pa55word" in row[0] for row in cursor.fetchall())


def test_sign_in_and_sign_out_are_recorded_with_the_ip(tenant_a, alice):
    client = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Test browser")
    client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    client.post(reverse("logout"))
    login, logout = events(tenant_a, action__in=["login", "logout"])
    assert (login.action, login.actor_id, login.ip) == ("login", alice.pk, "198.51.100.4")
    assert logout.action == "logout"


def test_a_contact_export_leaves_one_summary_event(tenant_a, alice_client):
    ContactFactory.create_batch(3, tenant=tenant_a)
    response = alice_client.get(reverse("customers:contact-export"), {"q": "x"})
    b"".join(response.streaming_content)
    (event,) = events(tenant_a, action="export")
    assert event.object_type == "customers.contact" and event.object_repr == "q=x"


# --- Pages ------------------------------------------------------------------------------------------


def test_admins_see_and_filter_the_log_other_roles_get_403(tenant_a, alice_client, bob_client):
    ContactFactory(tenant=tenant_a, first_name="Filtered", last_name="Person")
    DealFactory(tenant=tenant_a, name="Another record")
    assert bob_client.get(reverse("audit:list")).status_code == 403
    page = alice_client.get(reverse("audit:list"))
    assert page.status_code == 200 and "Filtered Person" in page.content.decode()
    filtered = alice_client.get(reverse("audit:list"), {"object_type": "customers.deal"}).content.decode()
    assert "Another record" in filtered and "Filtered Person" not in filtered
    by_text = alice_client.get(reverse("audit:list"), {"q": "filtered"}).content.decode()
    assert "Filtered Person" in by_text and "Another record" not in by_text
    today = timezone.localdate()
    future = alice_client.get(reverse("audit:list"), {"date_from": (today + timedelta(days=1)).isoformat()})
    assert "No events match these filters" in future.content.decode()


def test_the_log_pages_with_keyset_cursors_in_a_bounded_number_of_queries(
    tenant_a, alice_client, django_assert_max_num_queries
):
    for index in range(60):
        audit_record(tenant=tenant_a, action="export", object_repr=f"export {index:02d}")
    with django_assert_max_num_queries(12):
        first = alice_client.get(reverse("audit:list"), {"action": "export"})
    body = first.content.decode()
    assert "export 59" in body and "export 10" in body and "export 09" not in body
    cursor = first.context["page"].next_cursor
    second = alice_client.get(reverse("audit:list"), {"action": "export", "after": cursor}).content.decode()
    assert "export 09" in second and "export 10" not in second


def test_the_csv_export_lists_the_events(tenant_a, alice_client):
    audit_record(tenant=tenant_a, action="export", object_repr="=HYPERLINK(evil)")
    response = alice_client.get(reverse("audit:export"))
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("when,actor,action")
    assert "'=HYPERLINK(evil)" in text


def test_field_history_of_a_record_and_404_for_another_tenant(tenant_a, alice_client, charlie_client):
    contact = ContactFactory(tenant=tenant_a, first_name="Histo", last_name="Ry")
    with tenant_context(tenant_a.id):
        contact.title = "Buyer"
        contact.save()
    url = reverse("audit:history", args=["customers.contact", contact.pk])
    page = alice_client.get(url).content.decode()
    assert "Buyer" in page and "Histo" in page
    assert charlie_client.get(url).status_code == 404
    assert alice_client.get(reverse("audit:history", args=["customers.contact", 99_999_999])).status_code == 404
    detail = alice_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert url in detail  # the History button on the contact page


def test_retention_cannot_go_below_18_months(tenant_a, alice, alice_client):
    response = alice_client.post(reverse("audit:settings"), {"retention_months": "6"})
    assert response.status_code == 200 and "18" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not AuditSettings.objects.exists()
        with pytest.raises(ValueError):
            audit_settings_save(tenant=tenant_a, retention_months=3, by=alice)
    alice_client.post(reverse("audit:settings"), {"retention_months": "24"})
    with tenant_context(tenant_a.id):
        assert AuditSettings.objects.get().retention_months == 24


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_the_retention_sweep_deletes_only_old_events_through_the_owner(tenant_a, tenant_b):
    old = timezone.now() - timedelta(days=19 * 31)
    audit_record(tenant=tenant_a, action="export", object_repr="recent")
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            AuditEvent.objects.create(tenant=tenant, action="export", object_repr="ancient", at=old)
    assert audit_retention_sweep(tenant_id=tenant_a.id) == 1
    assert [e.object_repr for e in events(tenant_a, action="export")] == ["recent"]
    assert [e.object_repr for e in events(tenant_b, action="export")] == ["ancient"]  # another tenant's rule
    assert audit_retention_sweep(tenant_id=tenant_a.id) == 0  # idempotent


def test_a_merge_and_a_bulk_action_each_leave_one_summary_event(tenant_a, alice):
    from crm.lists.bulk import Selection, bulk_job_create, bulk_job_run
    from crm.lists.registry import list_spec
    from customers.duplicates.merge import contact_merge

    survivor = ContactFactory(tenant=tenant_a, first_name="Kim", last_name="Survivor")
    merged = ContactFactory(tenant=tenant_a, first_name="Kim", last_name="Duplicate")
    tagged = ContactFactory.create_batch(3, tenant=tenant_a)
    with tenant_context(tenant_a.id):
        contact_merge(tenant=tenant_a, survivor=survivor, merged=merged, choices={}, by=alice)
        spec = list_spec("contacts")
        job = bulk_job_create(
            tenant=tenant_a, spec=spec, action=spec.actions["add_tag"],
            selection=Selection(ids=[c.pk for c in tagged], query=""), values={"tag": "vip"}, total=3, by=alice,
        )  # fmt: skip
        bulk_job_run(job_id=job.pk)
    (merge,) = events(tenant_a, action="merge")
    assert merge.object_id == str(survivor.pk) and merge.changes == {"merged": ["Kim Duplicate", None]}
    (bulk,) = events(tenant_a, action="bulk")
    assert bulk.actor_id == alice.pk and bulk.object_repr.startswith("add_tag: 3 records")


def test_a_task_names_its_user_as_the_actor(tenant_a, alice):
    from audit.registry import _on_task_postrun, _on_task_prerun

    _on_task_prerun(task_id="t-1", kwargs={"tenant_id": tenant_a.id, "user_id": alice.pk})
    try:
        audit_record(tenant=tenant_a, action="export", object_repr="from a task")
    finally:
        _on_task_postrun(task_id="t-1")
    audit_record(tenant=tenant_a, action="export", object_repr="after the task")
    with tenant_context(tenant_a.id):
        rows = dict(AuditEvent.objects.filter(action="export").values_list("object_repr", "actor_id"))
    assert rows == {"from a task": alice.pk, "after the task": None}
