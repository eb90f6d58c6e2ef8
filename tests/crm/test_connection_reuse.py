"""The tenant setting never leaks from one request or block to the next on a reused connection."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DataError

from crm.tenancy.context import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def session_tenant_setting() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0]


def visible_contact_tenants() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM customers_contact")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_consecutive_requests_of_two_tenants_on_one_persistent_connection(settings, alice, charlie, tenant_a, tenant_b):
    assert connection.settings_dict["CONN_MAX_AGE"] > 0, "this test is about persistent connections"
    ContactFactory(tenant=tenant_a, last_name="Acmeson")
    ContactFactory(tenant=tenant_b, last_name="Globexer")
    alice_client, charlie_client = client_for(alice), client_for(charlie)

    pid = backend_pid()
    first = alice_client.get("/customers/contacts/").content
    second = charlie_client.get("/customers/contacts/").content
    third = alice_client.get("/customers/contacts/").content

    assert backend_pid() == pid, "the same database session served every request"
    assert b"Acmeson" in first and b"Globexer" not in first
    assert b"Globexer" in second and b"Acmeson" not in second
    assert b"Acmeson" in third and b"Globexer" not in third
    # Between requests the session carries no tenant, so stray raw SQL sees nothing.
    assert session_tenant_setting() in ("", None)
    assert visible_contact_tenants() == set()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_does_not_leave_a_stale_tenant(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    ContactFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        assert visible_contact_tenants() == {tenant_a.id}
    with tenant_context(tenant_b.id):
        with transaction.atomic():
            assert visible_contact_tenants() == {tenant_b.id}
            transaction.set_rollback(True)
        # PostgreSQL undid the SET made inside the rolled-back transaction (back to A);
        # the backend must notice rather than trust what it last sent.
        assert visible_contact_tenants() == {tenant_b.id}
    assert visible_contact_tenants() == set()


@pytest.mark.django_db
def test_a_savepoint_rollback_does_not_leave_a_stale_tenant(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    ContactFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        assert visible_contact_tenants() == {tenant_a.id}
        savepoint = transaction.savepoint()  # taken while the session says A
        with tenant_context(tenant_b.id):
            assert visible_contact_tenants() == {tenant_b.id}  # B is set inside the savepoint
            transaction.savepoint_rollback(savepoint)  # PostgreSQL reverts the session to A
            assert visible_contact_tenants() == {tenant_b.id}
    assert visible_contact_tenants() == set()


@pytest.mark.django_db
def test_nested_contexts_restore_the_outer_tenant(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    ContactFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        with tenant_context(tenant_b.id):
            assert visible_contact_tenants() == {tenant_b.id}
        assert visible_contact_tenants() == {tenant_a.id}


@pytest.mark.django_db
def test_a_failed_statement_under_another_tenant_still_rolls_back_cleanly(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        assert visible_contact_tenants() == {tenant_a.id}
    with pytest.raises(DataError), transaction.atomic(), tenant_context(tenant_b.id), connection.cursor() as cursor:
        cursor.execute("SELECT 1/0")
    # The savepoint was rolled back and the outer transaction still works.
    with tenant_context(tenant_a.id):
        assert visible_contact_tenants() == {tenant_a.id}
