"""Field-level permissions: a field hidden or read-only for a role stays so on pages, lists, exports,
imports and the API alike; admins set the rules, and a rule cannot hide a required field."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact
from tests.conftest import _persona, client_for
from tests.factories import AccountFactory, ContactFactory
from tests.imports.factories import ContactImportFactory
from workspace.models import FieldPermission

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "hidden.person@private.example"


@pytest.fixture
def sam(tenant_a: Any) -> Any:
    return _persona("sam@acme.example", "Sam Sales", tenant_a, Role.SALES)


@pytest.fixture
def rules(alice_client: Client, alice: Any) -> None:
    """Sales: contact email hidden, contact phone read-only, account website hidden (set through the page)."""
    response = alice_client.post(
        reverse("workspace:permissions"),
        {"rule:sales:contact:email": "hidden", "rule:sales:contact:phone": "read_only",
         "rule:sales:contact:birthday": "hidden", "rule:sales:account:website": "hidden",
         "rule:service:contact:email": ""},
    )  # fmt: skip
    assert response.status_code == 302


@pytest.fixture
def contact(tenant_a: Any, sam: Any) -> Contact:
    return ContactFactory(
        tenant=tenant_a, owner=sam, email=SECRET_EMAIL, phone="+442071838750", title="Buyer", first_name="Hedy"
    )


def test_rules_are_stored_per_role(rules, tenant_a):
    with tenant_context(tenant_a.id):
        stored = set(FieldPermission.objects.values_list("role", "entity", "field", "access"))
    assert stored == {
        ("sales", "contact", "email", "hidden"),
        ("sales", "contact", "phone", "read_only"),
        ("sales", "contact", "birthday", "hidden"),
        ("sales", "account", "website", "hidden"),
    }


def test_pages_and_lists_hide_the_field(rules, sam, contact, alice_client):
    sam_client = client_for(sam)
    detail = sam_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert SECRET_EMAIL not in detail and "+442071838750" in detail
    listing = sam_client.get(reverse("customers:contact-list")).content.decode()
    assert "Hedy" in listing and SECRET_EMAIL not in listing
    form = sam_client.get(reverse("customers:contact-edit", args=[contact.pk])).content.decode()
    assert SECRET_EMAIL not in form and "Hidden for your role" in form
    # Admins see everything.
    assert SECRET_EMAIL in alice_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()


def test_the_form_changes_neither_hidden_nor_read_only_fields(rules, sam, contact, tenant_a):
    response = client_for(sam).post(
        reverse("customers:contact-edit", args=[contact.pk]),
        {"first_name": "Hedy", "last_name": contact.last_name, "email": "leak@evil.example", "phone": "+442071838751",
         "title": "Head buyer", "lifecycle_stage": "lead", "owner": sam.pk, "version": contact.version},
    )  # fmt: skip
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "invalid" in line or "alert" in line
    ]
    with tenant_context(tenant_a.id):
        saved = Contact.objects.get(pk=contact.pk)
    assert (saved.email, saved.phone, saved.title) == (SECRET_EMAIL, "+442071838750", "Head buyer")


def test_exports_leave_the_column_out(rules, sam, contact, alice_client):
    export = client_for(sam).get(reverse("customers:contact-export"))
    content = b"".join(export.streaming_content).decode()
    assert "Hedy" in content and SECRET_EMAIL not in content
    assert "Email" not in content.splitlines()[0].split(",")
    admin_export = b"".join(alice_client.get(reverse("customers:contact-export")).streaming_content).decode()
    assert SECRET_EMAIL in admin_export


def test_the_api_leaves_the_field_out_and_refuses_writes(rules, sam, contact, tenant_a):
    sam_client = client_for(sam)
    detail = sam_client.get(reverse("api:contact-detail", args=[contact.pk])).json()
    assert "email" not in detail and detail["phone"] == "+442071838750"
    listing = sam_client.get(reverse("api:contact-list")).content.decode()
    assert SECRET_EMAIL not in listing
    for payload in ({"email": "leak@evil.example"}, {"phone": "+442071838751"}):
        response = sam_client.patch(
            reverse("api:contact-detail", args=[contact.pk]), payload, content_type="application/json"
        )
        assert response.status_code == 400 and set(response.json()) == set(payload)
    with tenant_context(tenant_a.id):
        assert Contact.objects.get(pk=contact.pk).email == SECRET_EMAIL


def test_imports_cannot_map_a_locked_field(rules, sam, tenant_a):
    contact_import = ContactImportFactory(tenant=tenant_a, created_by=sam)
    page = client_for(sam).get(reverse("imports:map", args=[contact_import.pk])).content.decode()
    assert 'value="email"' not in page and 'value="phone"' not in page and 'value="first_name"' in page
    response = client_for(sam).post(
        reverse("imports:map", args=[contact_import.pk]), {"mode": "create", "col_0": "email", "col_1": "first_name"}
    )
    assert response.status_code == 400  # the mapping form again, with the column's choice refused
    with tenant_context(tenant_a.id):
        contact_import.refresh_from_db()
    assert "email" in contact_import.mapping  # unchanged: the factory's mapping, not one set by sam
    assert contact_import.status == "uploaded"


def test_account_fields_follow_the_account_rules(rules, sam, tenant_a):
    account = AccountFactory(tenant=tenant_a, owner=sam, website="https://secret.example")
    page = client_for(sam).get(reverse("customers:account-detail", args=[account.pk])).content.decode()
    assert "secret.example" not in page
    api = client_for(sam).get(reverse("api:account-detail", args=[account.pk])).json()
    assert "website" not in api
    with tenant_context(tenant_a.id):
        assert Account.objects.get(pk=account.pk).website == "https://secret.example"


@pytest.mark.parametrize(
    ("name", "message"),
    [("rule:sales:contact:first_name", "required"), ("rule:admin:contact:email", "Admins always see")],
)
def test_a_rule_on_a_required_field_or_for_admins_is_refused(alice_client, tenant_a, name, message):
    response = alice_client.post(
        reverse("workspace:permissions"), {name: "hidden", "rule:sales:contact:phone": "hidden"}
    )
    assert response.status_code == 422 and message in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not FieldPermission.objects.exists()


def test_non_admins_cannot_change_rules(bob_client, tenant_a):
    response = bob_client.post(reverse("workspace:permissions"), {"rule:analyst:contact:email": "hidden"})
    assert response.status_code == 403
    with tenant_context(tenant_a.id):
        assert not FieldPermission.objects.exists()
