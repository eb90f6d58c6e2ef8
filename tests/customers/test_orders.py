"""Orders entered by hand on a contact: the purchase history customer value is learned from."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Order
from tests.factories import AccountFactory, ContactFactory, OrderFactory

ORDER = {
    "ordered_at": "2026-11-02T10:30",
    "amount": "150.00",
    "currency": "usd",
    "status": "paid",
    "external_id": "",
    "source_system": "",
}


def orders_of(tenant):
    with tenant_context(tenant.id):
        return list(Order.objects.order_by("id"))


@pytest.mark.django_db
def test_a_rep_adds_an_order_and_sees_the_totals(alice_client, tenant_a):
    account = AccountFactory(tenant=tenant_a, name="Initech")
    contact = ContactFactory(tenant=tenant_a, account=account, first_name="Ann", last_name="Lee")
    response = alice_client.post(f"/customers/contacts/{contact.pk}/orders/new/", ORDER, follow=True)
    page = response.content.decode()
    assert "Order added." in page
    assert "1 paid order · 150.00 USD" in page
    (order,) = orders_of(tenant_a)
    assert (order.contact_id, order.account_id, order.amount, order.currency) == (
        contact.pk,
        account.pk,
        Decimal("150.00"),
        "USD",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", "Enter an amount above zero"),
        ("amount", "abc", "Enter a number."),
        ("currency", "US", "three-letter ISO currency code"),
        ("ordered_at", "yesterday", "Enter a valid date/time."),
        ("status", "lost", "Select a valid choice"),
    ],
)
def test_a_bad_order_gets_a_field_error_and_nothing_is_saved(alice_client, tenant_a, field, value, message):
    contact = ContactFactory(tenant=tenant_a)
    response = alice_client.post(f"/customers/contacts/{contact.pk}/orders/new/", {**ORDER, field: value})
    assert message in response.content.decode()
    assert orders_of(tenant_a) == []


@pytest.mark.django_db
def test_an_external_id_is_unique_per_source_within_the_tenant_only(alice_client, tenant_a, tenant_b):
    contact = ContactFactory(tenant=tenant_a)
    OrderFactory(tenant=tenant_a, external_id="SO-1", source_system="shop")
    OrderFactory(tenant=tenant_b, external_id="SO-2", source_system="shop")  # another company's numbering
    taken = {**ORDER, "external_id": "SO-1", "source_system": "shop"}
    response = alice_client.post(f"/customers/contacts/{contact.pk}/orders/new/", taken)
    assert "Another order already has this external id" in response.content.decode()
    free_here = {**ORDER, "external_id": "SO-2", "source_system": "shop"}
    alice_client.post(f"/customers/contacts/{contact.pk}/orders/new/", free_here)
    assert [o.external_id for o in orders_of(tenant_a)] == ["SO-1", "SO-2"]


@pytest.mark.django_db
def test_an_order_is_edited_then_deleted_after_confirmation(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    order = OrderFactory(tenant=tenant_a, contact=contact, amount=Decimal("10"))
    alice_client.post(f"/customers/orders/{order.pk}/edit/", {**ORDER, "amount": "12.50", "status": "refunded"})
    (saved,) = orders_of(tenant_a)
    assert (saved.amount, saved.status) == (Decimal("12.50"), "refunded")
    confirm = alice_client.get(f"/customers/orders/{order.pk}/delete/").content.decode()
    assert "Revenue figures will no longer count it." in confirm
    response = alice_client.post(f"/customers/orders/{order.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"/customers/contacts/{contact.pk}/"
    assert orders_of(tenant_a) == []


@pytest.mark.django_db
def test_the_analyst_cannot_add_edit_or_delete_orders(bob_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    order = OrderFactory(tenant=tenant_a, contact=contact, amount=Decimal("10"))
    assert bob_client.post(f"/customers/contacts/{contact.pk}/orders/new/", ORDER).status_code == 403
    assert bob_client.post(f"/customers/orders/{order.pk}/edit/", ORDER).status_code == 403
    assert bob_client.post(f"/customers/orders/{order.pk}/delete/").status_code == 403
    assert [o.amount for o in orders_of(tenant_a)] == [Decimal("10")]
    assert "Add order" not in bob_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
