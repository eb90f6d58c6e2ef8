"""Undoing an import: what it created goes, what it changed comes back, later work is kept."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Account, Contact
from imports import services
from imports.models import ImportChange
from tests.factories import ContactFactory, OrderFactory
from tests.imports.conftest import import_file

pytestmark = pytest.mark.django_db


def undo(tenant, user, contact_import):
    with tenant_context(tenant.id):
        services.contact_import_undo(tenant=tenant, contact_import=contact_import, by=user)
        services.contact_import_undo_run(import_id=contact_import.pk)
        contact_import.refresh_from_db()
    return contact_import


def contacts(tenant):
    with tenant_context(tenant.id):
        return {c.email: c for c in Contact.objects.all()}


def test_undo_removes_created_contacts_and_accounts_and_restores_updated_ones(tenant_a, alice):
    existing = ContactFactory(tenant=tenant_a, email="bo@example.org", first_name="Bo", title="Buyer", tags=["old"])
    done = import_file(tenant_a, alice, b"First Name,E-mail Address,Job Title,Company,Tags\n"
                                        b"Ann,ann@example.org,CEO,Initech,vip\n"
                                        b"Bo,bo@example.org,Head buyer,,new\n")  # fmt: skip
    assert (done.created_count, done.updated_count) == (1, 1)
    assert contacts(tenant_a)["bo@example.org"].title == "Head buyer"
    with tenant_context(tenant_a.id):
        assert ImportChange.objects.filter(contact_import=done).count() == 3  # contact, account, update

    undone = undo(tenant_a, alice, done)
    assert undone.status == "undone" and undone.undone_by == alice
    assert "1 contact removed" in undone.undo_summary and "1 restored" in undone.undo_summary
    people = contacts(tenant_a)
    assert set(people) == {"bo@example.org"}
    bo = people["bo@example.org"]
    assert (bo.title, bo.tags, bo.version) == ("Buyer", ["old"], existing.version + 2)
    with tenant_context(tenant_a.id):
        assert not Account.objects.filter(name="Initech").exists()


def test_undo_keeps_what_was_edited_or_used_since(tenant_a, alice):
    ContactFactory(tenant=tenant_a, email="bo@example.org", title="Buyer")
    rows = b"ann@example.org,CEO,Ann\ncy@example.org,CTO,Cy\nbo@example.org,Head buyer,Bo\n"
    done = import_file(tenant_a, alice, b"E-mail Address,Job Title,First Name\n" + rows)
    people = contacts(tenant_a)
    with tenant_context(tenant_a.id):
        OrderFactory(tenant=tenant_a, contact=people["ann@example.org"])  # a new contact already bought
        Contact.objects.filter(pk=people["bo@example.org"].pk).update(title="Chief buyer", version=99)  # edited since

    undone = undo(tenant_a, alice, done)
    after = contacts(tenant_a)
    assert set(after) == {"ann@example.org", "bo@example.org"}  # Cy removed; Ann has an order
    assert after["bo@example.org"].title == "Chief buyer"
    assert "1 contact was edited after the import" in undone.undo_summary
    assert "1 new contact already has orders" in undone.undo_summary


def test_an_import_is_undone_once_and_only_when_finished(tenant_a, alice, alice_client, bob_client):
    done = import_file(tenant_a, alice, b"E-mail Address\nann@example.org\n")
    assert bob_client.post(f"/imports/{done.pk}/undo/").status_code == 403
    page = alice_client.get(f"/imports/{done.pk}/").content.decode()
    assert 'data-testid="undo-import"' in page
    undo(tenant_a, alice, done)
    with tenant_context(tenant_a.id), pytest.raises(ValueError, match="only once"):
        services.contact_import_undo(tenant=tenant_a, contact_import=done, by=alice)
    page = alice_client.get(f"/imports/{done.pk}/").content.decode()
    assert "Import undone" in page and 'data-testid="undo-import"' not in page
