"""Creating, editing and deleting contacts and accounts, as a sales rep would in the browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact, Order
from customers.services import contact_update
from tests.conftest import client_for
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, OrderFactory, UserFactory

NEW_CONTACT = {
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "  Ann.Lee@Example.COM ",
    "phone": "(202) 555-0143",
    "lifecycle_stage": "lead",
    "tags": "VIP, trade show 2026, vip",
    "version": "1",
}


def contact_in(tenant, **fields) -> Contact:
    with tenant_context(tenant.id):
        return Contact.objects.get(**fields)


@pytest.fixture
def sam(tenant_a):
    """A second sales rep in tenant A."""
    user = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


@pytest.mark.django_db
def test_a_rep_creates_a_contact_and_sees_it_normalised(alice, alice_client, tenant_a):
    response = alice_client.post("/customers/contacts/new/", NEW_CONTACT, follow=True)
    assert b"Contact created." in response.content
    contact = contact_in(tenant_a, last_name="Lee")
    assert (contact.email, contact.phone, contact.tags) == (
        "ann.lee@example.com",
        "+12025550143",
        ["vip", "trade show 2026"],
    )
    assert contact.updated_by == alice and contact.version == 1
    assert b"ann.lee@example.com" in response.content  # the detail page it landed on


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ann@", "Enter a valid email address"),
        ("phone", "12345", "Enter a valid phone number"),
        ("lifecycle_stage", "vip", "Select a valid choice"),
        ("birthday", "31/02/1990", "Enter a valid date"),
    ],
)
def test_bad_values_get_a_field_error_and_nothing_is_saved(alice_client, tenant_a, field, value, message):
    response = alice_client.post("/customers/contacts/new/", {**NEW_CONTACT, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert f'id="id_{field}"' in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not Contact.objects.exists()


@pytest.mark.django_db
def test_consent_needs_to_say_how_it_was_given_and_is_stamped(alice_client, tenant_a):
    response = alice_client.post("/customers/contacts/new/", {**NEW_CONTACT, "email_consent": "on"})
    assert "Say how the contact gave consent." in response.content.decode()
    alice_client.post(
        "/customers/contacts/new/", {**NEW_CONTACT, "email_consent": "on", "email_consent_source": "form"}
    )
    contact = contact_in(tenant_a, last_name="Lee")
    assert contact.email_consent and contact.email_consent_source == "form" and contact.email_consent_at is not None


@pytest.mark.django_db
def test_another_tenants_account_cannot_be_linked(alice_client, tenant_a, tenant_b):
    theirs = AccountFactory(tenant=tenant_b, name="Globex Holdings")
    response = alice_client.post("/customers/contacts/new/", {**NEW_CONTACT, "account": theirs.pk})
    assert "Select a valid choice" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_concurrent_edit_is_refused_with_who_changed_it(alice_client, sam, tenant_a):
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@example.com")
    form_page = alice_client.get(f"/customers/contacts/{contact.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in form_page
    with tenant_context(tenant_a.id):  # Sam saves first
        contact_update(tenant=tenant_a, contact=contact, data={"title": "CFO"}, expected_version=1, by=sam)

    edit = {**NEW_CONTACT, "title": "Buyer", "version": "1"}
    response = alice_client.post(f"/customers/contacts/{contact.pk}/edit/", edit)
    body = response.content.decode()
    assert "Sam Sales changed this record at" in body
    assert contact_in(tenant_a, pk=contact.pk).title == "CFO"
    # Having reviewed, saving again from the re-rendered form (which now carries version 2) wins.
    assert 'name="version" value="2"' in body
    alice_client.post(f"/customers/contacts/{contact.pk}/edit/", {**edit, "version": "2"})
    saved = contact_in(tenant_a, pk=contact.pk)
    assert (saved.title, saved.version) == ("Buyer", 3)


@pytest.mark.django_db
def test_deleting_a_contact_says_what_goes_with_it_then_does_it(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee")
    OrderFactory.create_batch(2, tenant=tenant_a, contact=contact, amount=Decimal("10"))
    confirm = alice_client.get(f"/customers/contacts/{contact.pk}/delete/").content.decode()
    assert "Delete Ann Lee?" in confirm and "2 orders are deleted with it." in confirm
    response = alice_client.post(f"/customers/contacts/{contact.pk}/delete/", follow=True)
    assert b"Ann Lee was deleted." in response.content
    with tenant_context(tenant_a.id):
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_read_only_analyst_can_neither_create_edit_nor_delete(bob_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, title="CFO")
    assert bob_client.get("/customers/contacts/new/").status_code == 403
    assert bob_client.post(f"/customers/contacts/{contact.pk}/edit/", {**NEW_CONTACT}).status_code == 403
    assert bob_client.post(f"/customers/contacts/{contact.pk}/delete/").status_code == 403
    assert contact_in(tenant_a, pk=contact.pk).title == "CFO"
    assert b"New contact" not in bob_client.get("/customers/contacts/").content


@pytest.mark.django_db
def test_an_account_cannot_become_its_own_grandparent(alice_client, tenant_a):
    holding = AccountFactory(tenant=tenant_a, name="Holding")
    subsidiary = AccountFactory(tenant=tenant_a, name="Subsidiary", parent=holding)
    response = alice_client.post(
        f"/customers/accounts/{holding.pk}/edit/", {"name": "Holding", "parent": subsidiary.pk, "version": "1"}
    )
    assert "cannot be its own parent" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert Account.objects.get(pk=holding.pk).parent_id is None


@pytest.mark.django_db
def test_an_account_is_created_with_a_normalised_phone_and_https_website(alice_client, tenant_a):
    response = alice_client.post(
        "/customers/accounts/new/",
        {"name": "Initech", "phone": "202 555 0199", "website": "initech.example", "version": "1"},
        follow=True,
    )
    assert b"Account created." in response.content
    with tenant_context(tenant_a.id):
        account = Account.objects.get(name="Initech")
    assert (account.phone, account.website) == ("+12025550199", "https://initech.example")


@pytest.mark.django_db
def test_the_account_lookup_offers_only_this_tenants_accounts(alice_client, tenant_a, tenant_b):
    AccountFactory(tenant=tenant_a, name="Initech Labs")
    AccountFactory(tenant=tenant_b, name="Initech Shanghai")
    options = alice_client.get("/customers/accounts/options/", {"lookup": "initech"}).content.decode()
    assert "Initech Labs" in options and "Shanghai" not in options


@pytest.mark.django_db
def test_the_contact_list_costs_the_same_queries_for_10_and_50_rows(tenant_a, alice, django_assert_num_queries):
    client = client_for(alice)
    account = AccountFactory(tenant=tenant_a)
    ContactFactory.create_batch(10, tenant=tenant_a, owner=alice, account=account)
    client.get("/customers/contacts/")  # warm the session
    with CaptureQueriesContext(connection) as ten:
        client.get("/customers/contacts/")
    ContactFactory.create_batch(40, tenant=tenant_a, owner=alice, account=account)
    with django_assert_num_queries(len(ten.captured_queries)):
        page = client.get("/customers/contacts/")
    assert page.content.count(b'href="/customers/contacts/') >= 50


@pytest.mark.django_db
def test_consent_given_on_an_edit_is_stamped_and_withdrawing_clears_it(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee")
    edit = {**NEW_CONTACT, "email_consent": "on", "email_consent_source": "verbal", "version": "1"}
    alice_client.post(f"/customers/contacts/{contact.pk}/edit/", edit)
    saved = contact_in(tenant_a, pk=contact.pk)
    assert saved.email_consent and saved.email_consent_source == "verbal" and saved.email_consent_at is not None
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert "told a team member" in page

    withdrawn = {**NEW_CONTACT, "version": str(saved.version)}
    alice_client.post(f"/customers/contacts/{contact.pk}/edit/", withdrawn)
    saved = contact_in(tenant_a, pk=contact.pk)
    assert not saved.email_consent and saved.email_consent_at is None and saved.email_consent_source == ""


@pytest.mark.django_db
def test_deleting_an_account_keeps_its_contacts(alice_client, tenant_a):
    account = AccountFactory(tenant=tenant_a, name="Initech")
    contact = ContactFactory(tenant=tenant_a, account=account)
    confirm = alice_client.get(f"/customers/accounts/{account.pk}/delete/").content.decode()
    assert "1 contact stays, without this account." in confirm
    assert "subsidiar" not in confirm  # nothing to say about zero subsidiaries
    alice_client.post(f"/customers/accounts/{account.pk}/delete/")
    assert contact_in(tenant_a, pk=contact.pk).account_id is None
