"""SCM shipments: the sync contract, the contact timeline and the order's status badge."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from shipments.models import Shipment
from tests.factories import ContactFactory, OrderFactory
from tests.shipments.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def sync(client, body):
    return client.post("/api/v1/shipments/sync/", body, content_type="application/json")


def shipments(tenant):
    with tenant_context(tenant.id):
        return {s.external_id: s for s in Shipment.objects.all()}


def test_shipments_are_upserted_against_orders_of_another_system(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    order = OrderFactory(tenant=tenant_a, contact=contact, external_id="SO-1", source_system="sap")
    batch = {"source_system": "wms", "shipments": [
        {"external_id": "SH-1", "order_external_id": "SO-1", "order_source_system": "sap", "carrier": "UPS",
         "tracking_number": "1Z999", "status": "in_transit", "shipped_at": "2026-11-20T08:00:00Z"},
    ]}  # fmt: skip
    assert sync(alice_client, batch).json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert sync(alice_client, batch).json() == {"created": 0, "updated": 0, "unchanged": 1}
    batch["shipments"][0].update(status="delivered", delivered_at="2026-11-22T15:00:00Z")
    assert sync(alice_client, batch).json()["updated"] == 1
    shipment = shipments(tenant_a)["SH-1"]
    assert (shipment.order_id, shipment.contact_id, shipment.status) == (order.pk, contact.pk, "delivered")
    assert shipment.tracking_url == "https://www.ups.com/track?tracknum=1Z999"


def test_a_wrong_record_refuses_the_batch_with_every_problem_named(alice_client, tenant_a, tenant_b):
    OrderFactory(tenant=tenant_b, external_id="SO-9", source_system="wms")  # another workspace's order
    response = sync(alice_client, {"source_system": "wms", "shipments": [
        {"external_id": "SH-1", "order_external_id": "SO-9", "status": "in_transit"},
        {"external_id": "SH-2", "order_external_id": "", "status": "lost", "shipped_at": "soon", "weight": 3},
    ]})  # fmt: skip
    assert response.status_code == 400
    problems = {(p["record"], p["field"]) for p in response.json()["problems"]}
    assert problems == {(1, "order_external_id"), (2, "order_external_id"), (2, "status"), (2, "shipped_at"),
                        (2, "weight")}  # fmt: skip
    assert shipments(tenant_a) == {}


def test_the_contact_page_shows_shipments_on_orders_and_the_timeline(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    order = OrderFactory(tenant=tenant_a, contact=contact, external_id="SO-7")
    ShipmentFactory(tenant=tenant_a, order=order, carrier="DHL", tracking_number="JD1", status="out_for_delivery")
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert "Out for delivery" in page and "tracking-id=JD1" in page
    assert "Shipment of order #SO-7: Out for delivery" in page


def test_order_lists_do_not_query_per_shipment(alice_client, tenant_a, django_assert_max_num_queries):
    contact = ContactFactory(tenant=tenant_a)
    for _ in range(5):
        ShipmentFactory(tenant=tenant_a, order=OrderFactory(tenant=tenant_a, contact=contact))
    from customers.selectors import recent_orders

    with tenant_context(tenant_a.id), django_assert_max_num_queries(2):
        orders = recent_orders(contact=contact)
        assert all(order.shipments.all()[0].status == "in_transit" for order in orders)


def test_only_editors_sync_and_other_tenants_shipments_are_hidden(bob_client, alice_client, tenant_b):
    assert sync(bob_client, {"source_system": "wms", "shipments": [{"external_id": "x"}]}).status_code == 403
    theirs = ShipmentFactory(tenant=tenant_b)
    assert alice_client.get(f"/api/v1/shipments/{theirs.pk}/").status_code == 404
