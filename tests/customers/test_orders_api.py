"""Orders through the API, and the ERP sync: all-or-nothing batches, idempotent by external id."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Contact, Order
from tests.factories import AccountFactory, ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db


def sync(client, body):
    return client.post("/api/v1/orders/sync/", body, content_type="application/json")


def orders(tenant):
    with tenant_context(tenant.id):
        return {o.external_id: o for o in Order.objects.all()}


def test_an_erp_batch_is_upserted_and_a_repeat_changes_nothing(alice_client, tenant_a):
    account = AccountFactory(tenant=tenant_a)
    ann = ContactFactory(tenant=tenant_a, external_id="K-1", source_system="sap", account=account)
    bo = ContactFactory(tenant=tenant_a, email="bo@example.org")
    batch = {"source_system": "sap", "orders": [
        {"external_id": "SO-1", "ordered_at": "2026-11-01T10:00:00Z", "amount": "120.50", "currency": "eur",
         "contact_external_id": "K-1"},
        {"external_id": "SO-2", "ordered_at": "2026-11-02T10:00:00+08:00", "amount": 80, "status": "pending",
         "contact_email": "BO@example.org"},
    ]}  # fmt: skip
    first = sync(alice_client, batch)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "contacts_created": 0}
    stored = orders(tenant_a)
    assert (stored["SO-1"].contact_id, stored["SO-1"].account_id, stored["SO-1"].currency) == (
        ann.pk,
        account.pk,
        "EUR",
    )
    assert (stored["SO-2"].contact_id, stored["SO-2"].status, str(stored["SO-2"].amount)) == (bo.pk, "pending", "80.00")

    assert sync(alice_client, batch).json() == {"created": 0, "updated": 0, "unchanged": 2, "contacts_created": 0}
    batch["orders"][1]["status"] = "paid"
    assert sync(alice_client, batch).json()["updated"] == 1
    assert orders(tenant_a)["SO-2"].status == "paid"


def test_a_batch_with_any_wrong_record_is_refused_whole(alice_client, tenant_a):
    ContactFactory(tenant=tenant_a, external_id="K-1", source_system="sap")
    response = sync(alice_client, {"source_system": "sap", "orders": [
        {"external_id": "SO-1", "ordered_at": "2026-11-01T10:00:00Z", "amount": "10", "contact_external_id": "K-1"},
        {"external_id": "SO-1", "ordered_at": "yesterday", "amount": "-5", "currency": "euro",
         "contact_external_id": "K-1", "colour": "red"},
        {"external_id": "SO-3", "ordered_at": "2026-11-01T10:00:00Z", "amount": "5", "contact_external_id": "K-404"},
    ]})  # fmt: skip
    assert response.status_code == 400
    problems = {(p["record"], p["field"]) for p in response.json()["problems"]}
    assert {(2, "colour"), (2, "external_id"), (2, "ordered_at"), (2, "amount"), (2, "currency")} <= problems
    assert orders(tenant_a) == {}
    missing = sync(alice_client, {"source_system": "sap", "orders": [
        {"external_id": "SO-3", "ordered_at": "2026-11-01T10:00:00Z", "amount": "5", "contact_external_id": "K-404"},
    ]})  # fmt: skip
    assert missing.status_code == 400 and "create_missing_contacts" in missing.json()["problems"][0]["reason"]


def test_missing_customers_can_be_created_on_the_way(alice_client, tenant_a):
    body = {"source_system": "shop", "create_missing_contacts": True, "orders": [
        {"external_id": "W-1", "ordered_at": "2026-11-01T10:00:00Z", "amount": "5", "contact_external_id": "U-9",
         "contact_email": "new@example.org", "contact_first_name": "Nia"},
        {"external_id": "W-2", "ordered_at": "2026-11-03T10:00:00Z", "amount": "7", "contact_external_id": "U-9",
         "contact_email": "new@example.org"},
    ]}  # fmt: skip
    assert sync(alice_client, body).json()["contacts_created"] == 1
    with tenant_context(tenant_a.id):
        (contact,) = Contact.objects.all()
    assert (contact.first_name, contact.email, contact.external_id, contact.source_system) == (
        "Nia",
        "new@example.org",
        "U-9",
        "shop",
    )
    assert {o.contact_id for o in orders(tenant_a).values()} == {contact.pk}


def test_one_order_is_created_and_corrected_through_the_api(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    created = alice_client.post("/api/v1/orders/", {"contact": contact.pk, "ordered_at": "2026-11-01T10:00:00Z",
                                                    "amount": "99.90", "currency": "USD", "status": "paid"},
                                content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    patched = alice_client.patch(f"/api/v1/orders/{order_id}/", {"status": "refunded"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["status"] == "refunded"
    bad = alice_client.post("/api/v1/orders/", {"contact": contact.pk, "ordered_at": "2026-11-01T10:00:00Z",
                                                "amount": "0", "currency": "USD", "status": "paid"},
                            content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "above zero" in bad.json()["amount"][0]
    listed = alice_client.get(f"/api/v1/orders/?contact={contact.pk}").json()["results"]
    assert [row["id"] for row in listed] == [order_id]


def test_other_tenants_orders_and_contacts_stay_out_of_reach(alice_client, tenant_b):
    theirs = OrderFactory(tenant=tenant_b)
    assert alice_client.get(f"/api/v1/orders/{theirs.pk}/").status_code == 404
    foreign_contact = ContactFactory(tenant=tenant_b, external_id="K-1", source_system="sap")
    body = {"contact": foreign_contact.pk, "ordered_at": "2026-11-01T10:00:00Z", "amount": "5", "currency": "USD",
            "status": "paid"}  # fmt: skip
    response = alice_client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400
    order = {"external_id": "SO-1", "ordered_at": "2026-11-01T10:00:00Z", "amount": "5", "contact_external_id": "K-1"}
    refused = sync(alice_client, {"source_system": "sap", "orders": [order]})
    assert refused.status_code == 400  # their contact with that external id does not exist here


def test_only_editors_sync_orders(bob_client):
    assert sync(bob_client, {"source_system": "sap", "orders": [{"external_id": "x"}]}).status_code == 403
