"""Row-level security: the database's own wall between tenants."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from crm.tenancy.context import TenantNotSetError, tenant_context
from crm.tenancy.models import TenantModel
from customers.models import Contact
from tests.factories import ContactFactory, OrderFactory


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    )


def test_there_are_tenant_tables_to_check():
    assert {"customers_contact", "customers_account", "customers_order", "interactions_interaction"} <= set(
        tenant_tables()
    )


@pytest.mark.django_db
def test_every_tenant_table_forces_row_level_security_with_the_tenant_policy():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   p.polname IS NOT NULL, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
            FROM pg_class c
            LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = 'tenant_isolation'
            WHERE c.relname = ANY(%s)
            """,
            [tenant_tables()],
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    missing = [table for table in tenant_tables() if table not in rows]
    assert not missing, f"tables not in the database: {missing}"
    for table, (enabled, forced, has_policy, using, check) in rows.items():
        assert enabled and forced, f"{table}: row-level security must be ENABLEd and FORCEd"
        assert has_policy, f"{table}: no tenant_isolation policy (use crm.db.rls.EnableTenantRowLevelSecurity)"
        assert "current_setting('app.tenant_id'" in using and "current_setting('app.tenant_id'" in check


def index_first_columns() -> list[tuple[str, str, str, str, bool]]:
    """(table, index, access method, first column, first column is a foreign key) per index."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, am.amname, a.attname,
                   EXISTS (SELECT 1 FROM pg_constraint k
                           WHERE k.conrelid = t.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum])
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_am am ON am.oid = i.relam
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE t.relname = ANY(%s) AND NOT x.indisprimary
            """,
            [tenant_tables()],
        )
        return cursor.fetchall()


@pytest.mark.django_db
def test_every_index_on_a_tenant_table_leads_with_tenant_id():
    """One documented exception: indexes leading with a foreign key, which PostgreSQL's key checks
    on delete query by the key alone, without RLS. RLS and the tenant filter apply on top."""
    offenders = [
        f"{table}.{index} ({first_column})"
        for table, index, method, first_column, is_foreign_key in index_first_columns()
        if first_column != "tenant_id"
        and not (is_foreign_key and first_column != "tenant_id" and index.endswith("_fk_idx"))
    ]
    assert not offenders, f"indexes that do not lead with tenant_id: {offenders}"


@pytest.mark.django_db
def test_every_tenant_table_has_an_index_leading_with_tenant_id():
    leading = {table for table, _, _, first_column, _ in index_first_columns() if first_column == "tenant_id"}
    assert set(tenant_tables()) <= leading


@pytest.mark.django_db
def test_raw_sql_under_tenant_a_sees_no_rows_of_tenant_b(tenant_a, tenant_b):
    ContactFactory.create_batch(3, tenant=tenant_a)
    ContactFactory.create_batch(2, tenant=tenant_b)
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT tenant_id FROM customers_contact")
        seen = [row[0] for row in cursor.fetchall()]
    assert seen == [tenant_a.id] * 3


@pytest.mark.django_db
def test_bypassing_the_manager_filter_still_sees_only_the_current_tenant(tenant_a, tenant_b):
    OrderFactory(tenant=tenant_a)
    OrderFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        tenants_seen = set(Contact.unscoped_objects.values_list("tenant_id", flat=True))
    assert tenants_seen == {tenant_a.id}


@pytest.mark.django_db
def test_no_tenant_setting_sees_no_rows_at_all(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a)
    ContactFactory(tenant=tenant_b)
    with tenant_context(None):
        assert Contact.unscoped_objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_contact")
            assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_the_scoped_manager_refuses_to_query_without_a_tenant():
    with pytest.raises(TenantNotSetError, match="No current tenant"):
        Contact.objects.count()


@pytest.mark.django_db
def test_writing_a_row_for_another_tenant_is_refused(tenant_a, tenant_b):
    with (
        tenant_context(tenant_a.id),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO customers_contact (tenant_id, first_name, last_name, email, phone, title, lifecycle_stage,"
            " source, city, country, email_consent, sms_consent, external_id, source_system, custom_fields,"
            " created_at, updated_at) VALUES (%s, 'Eve', 'Intruder', '', '', '', 'lead', '', '', '', false, false,"
            " '', '', '{}', now(), now())",
            [tenant_b.id],
        )


@pytest.mark.django_db
def test_an_unfiltered_update_touches_only_the_current_tenant(tenant_a, tenant_b):
    theirs = ContactFactory(tenant=tenant_b, first_name="Untouched")
    ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("UPDATE customers_contact SET first_name = 'Changed'")
        assert cursor.rowcount == 1
    with tenant_context(tenant_b.id):
        assert Contact.objects.get(pk=theirs.pk).first_name == "Untouched"


@pytest.mark.django_db
def test_the_runtime_role_cannot_switch_row_level_security_off():
    with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE customers_contact DISABLE ROW LEVEL SECURITY")


@pytest.mark.django_db
def test_the_runtime_role_is_neither_superuser_nor_rls_bypassing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


@pytest.mark.django_db
def test_every_key_between_tenant_tables_has_an_index_leading_with_it():
    """Deleting a contact makes PostgreSQL look up its orders by contact_id alone; without an
    index leading with the key that check scans every tenant's rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, a.attname
            FROM pg_constraint k
            JOIN pg_class t ON t.oid = k.conrelid
            JOIN pg_class r ON r.oid = k.confrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.conkey[1]
            WHERE k.contype = 'f' AND t.relname = ANY(%s) AND r.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = t.oid AND x.indkey[0] = a.attnum)
            """,
            [tenant_tables(), tenant_tables()],
        )
        unindexed = [f"{table}.{column}" for table, column in cursor.fetchall()]
    assert not unindexed, f"foreign keys without an index leading with them: {unindexed}"
