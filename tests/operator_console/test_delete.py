"""Deleting a tenant: type the short name, a task removes its rows (not others'), the audit trail stays."""

from __future__ import annotations

import pytest
from django.db import connections
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from crm.models import Membership, Tenant, User
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact, Deal
from operator_console.models import TenantDeletion
from tests.conftest import client_for
from tests.factories import AccountFactory, ContactFactory, DealFactory, InteractionFactory
from tests.service_desk.factories import TicketMessageFactory

pytestmark = pytest.mark.django_db


def _fill(tenant):
    account = AccountFactory(tenant=tenant)
    contacts = ContactFactory.create_batch(3, tenant=tenant, account=account)
    InteractionFactory(tenant=tenant, contact=contacts[0])
    DealFactory(tenant=tenant, account=account)
    TicketMessageFactory(tenant)
    audit_record(tenant=tenant, action="create", object_type="test.thing", object_id="1")


def _rows_of(tenant_id: int) -> int:
    """Every tenant-table row of this tenant (RLS admits exactly that tenant's rows)."""
    from customers.demo.seed import tenant_tables

    with tenant_context(tenant_id), connections["default"].cursor() as cursor:
        return sum(
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [tenant_id]).fetchone()[0]
            for table in tenant_tables()
        )


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_delete_removes_the_tenants_rows_but_not_others(eager_tasks, alice, charlie, tenant_a, tenant_b):
    _fill(tenant_a)
    _fill(tenant_b)
    operator = User.objects.create_superuser("ops@platform.example", "pw-123456789")
    client = client_for(operator)
    before_b = _rows_of(tenant_b.pk)
    assert _rows_of(tenant_a.pk) > 10 and before_b > 10

    response = client.post(reverse("operator_console:tenant-delete", args=[tenant_a.pk]), {"confirm_slug": "acme"})
    deletion = TenantDeletion.objects.get()
    assert response.status_code == 302 and response.url == reverse("operator_console:deletion", args=[deletion.pk])
    deletion.refresh_from_db()
    assert deletion.status == "done" and deletion.tables_done == deletion.tables_total and deletion.rows_deleted > 10

    assert not Tenant.objects.filter(pk=tenant_a.pk).exists()
    assert _rows_of(tenant_a.pk) == 0
    assert not Membership.objects.filter(tenant_id=tenant_a.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()  # people keep their accounts
    # The other tenant is untouched.
    assert _rows_of(tenant_b.pk) == before_b
    with tenant_context(tenant_b.pk):
        assert (Contact.objects.count(), Account.objects.count(), Deal.objects.count()) == (3, 1, 1)
    # The append-only audit trail keeps the deleted tenant's history, including the deletion itself.
    with tenant_context(tenant_a.pk):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"create", "delete"} <= actions

    page = client.get(reverse("operator_console:deletion", args=[deletion.pk]))
    assert "The workspace and its data are gone" in page.content.decode()


def test_a_wrong_short_name_deletes_nothing(operator_client, tenant_a, alice):
    response = operator_client.post(
        reverse("operator_console:tenant-delete", args=[tenant_a.pk]), {"confirm_slug": "acme-typo"}
    )
    assert response.status_code == 400
    assert response.context["delete_form"].errors["confirm_slug"]
    tenant_a.refresh_from_db()
    assert tenant_a.is_active and not TenantDeletion.objects.exists()


def test_the_delete_task_runs_once(tenant_a, operator):
    from operator_console.services import tenant_delete_run

    deletion = TenantDeletion.objects.create(
        tenant_id=tenant_a.pk, tenant_name=tenant_a.name, tenant_slug=tenant_a.slug, status="running"
    )
    # Already claimed by another worker: this run does nothing.
    assert tenant_delete_run(deletion_id=deletion.pk) is False
    assert Tenant.objects.filter(pk=tenant_a.pk).exists()
