"""The REST API is scoped like the pages: same capabilities, same tenant wall."""

from __future__ import annotations

import pytest
from django.test import Client

from crm.api import TenantScopedViewSet
from crm.roles import Capability
from customers import selectors
from tests.conftest import client_for
from tests.factories import ContactFactory, DealFactory, UserFactory


@pytest.mark.django_db
def test_the_contact_api_lists_only_this_tenants_contacts(alice_client, tenant_a, tenant_b):
    ours = ContactFactory.create_batch(3, tenant=tenant_a)
    ContactFactory(tenant=tenant_b, email="theirs@b.example")
    response = alice_client.get("/api/v1/contacts/")
    assert response.status_code == 200
    emails = [row["email"] for row in response.json()["results"]]
    assert sorted(emails) == sorted(contact.email for contact in ours)


@pytest.mark.django_db
def test_the_read_only_analyst_can_read_through_the_api(bob_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    response = bob_client.get(f"/api/v1/contacts/{contact.pk}/")
    assert response.status_code == 200 and response.json()["email"] == contact.email


@pytest.mark.django_db
def test_the_api_refuses_anonymous_callers_and_users_without_a_workspace():
    anonymous = Client().get("/api/v1/contacts/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert client_for(UserFactory()).get("/api/v1/contacts/").status_code == 403


@pytest.mark.django_db
def test_the_api_paginates_with_a_cursor(alice_client, tenant_a):
    ContactFactory.create_batch(5, tenant=tenant_a)
    first = alice_client.get("/api/v1/contacts/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    second = alice_client.get(first["next"]).json()
    assert {row["id"] for row in second["results"]}.isdisjoint({row["id"] for row in first["results"]})


@pytest.mark.django_db
def test_the_openapi_schema_is_published(alice_client):
    response = alice_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/contacts/{id}/" in response.json()["paths"]


def test_an_api_view_cannot_replace_the_scoped_queryset():
    with pytest.raises(TypeError, match="do not override get_queryset"):

        class Leaky(TenantScopedViewSet):
            capability = Capability.CUSTOMERS_VIEW
            selector = staticmethod(selectors.contacts_for_api)

            def get_queryset(self):  # pragma: no cover - the class must not even be created
                raise AssertionError


@pytest.mark.django_db
def test_the_deal_api_lists_this_tenants_deals_with_their_stage(alice_client, tenant_a, tenant_b):
    ours = DealFactory(tenant=tenant_a, name="Initech renewal")
    DealFactory(tenant=tenant_b, name="Globex expansion")
    rows = alice_client.get("/api/v1/deals/").json()["results"]
    assert [row["name"] for row in rows] == ["Initech renewal"]
    assert rows[0]["stage_name"] == ours.stage.name and rows[0]["win_probability"] == ours.stage.win_probability
