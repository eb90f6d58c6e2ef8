"""Creating and editing contacts through the API: the contact form's rules, field-named errors, partial
updates with an optimistic version check, tenancy and roles."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from customers.models import Contact
from tests.factories import AccountFactory, ContactFactory, CustomFieldFactory


def post(client, payload):
    return client.post("/api/v1/contacts/", payload, content_type="application/json")


def patch(client, contact, payload):
    return client.patch(f"/api/v1/contacts/{contact.pk}/", payload, content_type="application/json")


@pytest.mark.django_db
def test_a_contact_is_created_normalised_like_the_form_does_it(alice_client, tenant_a, alice):
    account = AccountFactory(tenant=tenant_a, name="Initech")
    CustomFieldFactory(tenant=tenant_a, entity="contact", key="tier", label="Tier", field_type="choice",
                       choices=["gold", "silver"])  # fmt: skip
    response = post(alice_client, {
        "first_name": "Ann", "last_name": "Lee", "email": " Ann@Initech.EXAMPLE ", "phone": "(202) 555-0143",
        "account": account.pk, "owner": alice.pk, "tags": ["VIP", "trade show"], "email_consent": True,
        "email_consent_source": "api", "custom_fields": {"tier": "gold"},
    })  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["email"], body["phone"], body["lifecycle_stage"]) == ("ann@initech.example", "+12025550143", "lead")
    assert body["custom_fields"] == {"tier": "gold"} and body["scores"] is None
    with tenant_context(tenant_a.id):
        contact = Contact.objects.get(pk=body["id"])
    assert contact.tags == ["vip", "trade show"] and contact.email_consent_at is not None
    # Consent without saying how is refused, as on the form.
    refused = post(alice_client, {"first_name": "Cy", "email_consent": True}).json()
    assert refused == {"email_consent_source": ["Say how the contact gave consent."]}
    assert contact.updated_by == alice


@pytest.mark.django_db
def test_bad_input_names_each_field_and_writes_nothing(alice_client, tenant_a, tenant_b):
    CustomFieldFactory(tenant=tenant_a, entity="contact", key="tier", label="Tier", field_type="choice",
                       choices=["gold", "silver"])  # fmt: skip
    foreign_account = AccountFactory(tenant=tenant_b)
    response = post(alice_client, {
        "first_name": "Bo", "email": "bo@@example", "phone": "12", "account": foreign_account.pk,
        "custom_fields": {"tier": "platinum"}, "favourite_colour": "green",
    })  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()) == {"favourite_colour"}  # unknown fields are refused before anything else
    known_only = {"first_name": "Bo", "email": "bo@@example", "phone": "12", "account": foreign_account.pk,
                   "custom_fields": {"tier": "platinum"}}  # fmt: skip
    errors = post(alice_client, known_only).json()
    assert {"email", "phone", "account", "custom_fields.tier"} <= set(errors), errors
    assert "platinum" in errors["custom_fields.tier"][0]
    assert post(alice_client, ["not", "an", "object"]).status_code == 400
    assert post(alice_client, {"first_name": "X", "tags": "vip"}).json() == {"tags": ["Send a list of tag names."]}
    with tenant_context(tenant_a.id):
        assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_patch_changes_only_what_it_sends_and_refuses_a_stale_version(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@initech.example",
                             tags=["vip"])  # fmt: skip
    response = patch(alice_client, contact, {"title": "CFO", "version": 1})
    assert response.status_code == 200, response.json()
    with tenant_context(tenant_a.id):
        contact.refresh_from_db()
    assert (contact.title, contact.email, contact.tags, contact.version) == ("CFO", "ann@initech.example", ["vip"], 2)
    stale = patch(alice_client, contact, {"title": "CEO", "version": 1})
    assert stale.status_code == 409 and "after you opened it" in stale.json()["detail"]
    assert patch(alice_client, contact, {"email": "not-an-email"}).status_code == 400
    with tenant_context(tenant_a.id):
        contact.refresh_from_db()
    assert (contact.title, contact.email) == ("CFO", "ann@initech.example")


@pytest.mark.django_db
def test_roles_and_tenants(bob_client, charlie_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    assert post(bob_client, {"first_name": "Nope"}).status_code == 403  # an analyst reads, never writes
    assert patch(bob_client, contact, {"title": "x"}).status_code == 403
    assert patch(charlie_client, contact, {"title": "x"}).status_code == 404  # another tenant's id
    assert charlie_client.delete(f"/api/v1/contacts/{contact.pk}/").status_code in (404, 405)


@pytest.mark.django_db
def test_an_idempotency_key_creates_once_and_replays_the_answer(alice_client, bob_client, tenant_a):
    payload = {"first_name": "Ann", "last_name": "Once", "email": "ann@once.example"}
    first = alice_client.post("/api/v1/contacts/", payload, content_type="application/json",
                              headers={"Idempotency-Key": "import-42"})  # fmt: skip
    again = alice_client.post("/api/v1/contacts/", payload, content_type="application/json",
                              headers={"Idempotency-Key": "import-42"})  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = alice_client.post("/api/v1/contacts/", {**payload, "first_name": "Bea"}, content_type="application/json",
                              headers={"Idempotency-Key": "import-42"})  # fmt: skip
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    with tenant_context(tenant_a.id):
        assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ann"]


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(alice_client, tenant_a):
    headers = {"Idempotency-Key": "retry-me"}
    bad = alice_client.post("/api/v1/contacts/", {"first_name": "Cy", "email": "nope"},
                            content_type="application/json", headers=headers)  # fmt: skip
    assert bad.status_code == 400
    fixed = alice_client.post("/api/v1/contacts/", {"first_name": "Cy", "email": "cy@example.com"},
                              content_type="application/json", headers=headers)  # fmt: skip
    assert fixed.status_code == 201 and fixed.json()["email"] == "cy@example.com"


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day_in_every_tenant(tenant_a, tenant_b, alice, charlie):
    from datetime import timedelta

    from django.utils import timezone

    from crm.idempotency.models import IdempotencyKey
    from crm.idempotency.services import idempotency_keys_sweep

    old = timezone.now() - timedelta(hours=25)
    for tenant, user in ((tenant_a, alice), (tenant_b, charlie)):
        with tenant_context(tenant.id):
            IdempotencyKey.objects.create(tenant=tenant, user=user, key="old", request_hash="x", status_code=201,
                                          response={}, created_at=old)  # fmt: skip
            IdempotencyKey.objects.create(tenant=tenant, user=user, key="new", request_hash="x", status_code=201,
                                          response={})  # fmt: skip
    assert idempotency_keys_sweep() == 2
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
