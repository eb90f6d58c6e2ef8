"""/api/v1/segments/: list, retrieve with rules, create and update with errors by rule, members by keyset."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from segments.models import Segment
from tests.factories import ContactFactory
from tests.segments.factories import SegmentFactory

LEADS = {"match": "all", "rules": [{"field": "lifecycle_stage", "op": "in", "value": ["lead"]}]}


@pytest.fixture
def leads(tenant_a):
    for n in range(5):
        ContactFactory(tenant=tenant_a, first_name=f"Lead{n}", last_name="Person", lifecycle_stage="lead")
    ContactFactory(tenant=tenant_a, first_name="Cora", lifecycle_stage="customer")
    return SegmentFactory(tenant=tenant_a, name="Leads", rules=LEADS)


@pytest.mark.django_db
def test_list_and_retrieve(alice_client, leads):
    listing = alice_client.get("/api/v1/segments/").json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert [row["name"] for row in rows] == ["Leads"] and "rules" not in rows[0]
    detail = alice_client.get(f"/api/v1/segments/{leads.pk}/").json()
    assert detail["rules"] == LEADS


@pytest.mark.django_db
def test_create_normalises_and_update_changes(alice_client, tenant_a):
    response = alice_client.post(
        "/api/v1/segments/",
        {"name": "Big spenders", "rules": {"match": "all", "rules": [
            {"field": "orders.total", "op": "gte", "value": 500},
            {"field": "tags", "op": "has_any", "value": "VIP, gold"},
        ]}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rules"]["rules"] == [
        {"field": "orders.total", "op": "gte", "value": "500"},
        {"field": "tags", "op": "has_any", "value": ["VIP", "gold"]},
    ]
    patched = alice_client.patch(
        f"/api/v1/segments/{body['id']}/", {"description": "Over 500"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["description"] == "Over 500"
    with tenant_context(tenant_a.pk):
        assert Segment.objects.get(pk=body["id"]).rules == body["rules"]


@pytest.mark.django_db
def test_bad_rules_answer_400_by_rule(alice_client, tenant_a):
    response = alice_client.post(
        "/api/v1/segments/",
        {"name": "Broken", "rules": {"match": "all", "rules": [
            {"field": "city", "op": "eq", "value": "Paris"},
            {"match": "any", "rules": [{"field": "orders.total", "op": "gt", "value": "lots"},
                                       {"field": "nope", "op": "eq", "value": 1}]},
        ]}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["rules"] == [
        {"path": "2.1", "message": "Rule 2.1 (Total spend): enter a number."},
        {"path": "2.2", "message": "Rule 2.2: choose a field (“nope” does not exist, or no longer)."},
    ]
    with tenant_context(tenant_a.pk):
        assert not Segment.objects.exists()


@pytest.mark.django_db
def test_members_are_keyset_paginated_ids_and_names(alice_client, leads):
    first = alice_client.get(f"/api/v1/segments/{leads.pk}/contacts/", {"page_size": 3}).json()
    assert [row["name"] for row in first["results"]] == ["Lead0 Person", "Lead1 Person", "Lead2 Person"]
    assert set(first["results"][0]) == {"id", "first_name", "last_name", "name"}
    assert "cursor=" in first["next"]
    second = alice_client.get(first["next"]).json()
    assert [row["first_name"] for row in second["results"]] == ["Lead3", "Lead4"] and second["next"] is None


@pytest.mark.django_db
def test_tenants_and_roles(alice_client, bob_client, charlie_client, leads):
    assert charlie_client.get(f"/api/v1/segments/{leads.pk}/").status_code == 404
    assert charlie_client.get(f"/api/v1/segments/{leads.pk}/contacts/").status_code == 404
    listing = charlie_client.get("/api/v1/segments/").json()
    assert (listing["results"] if isinstance(listing, dict) else listing) == []
    assert bob_client.get(f"/api/v1/segments/{leads.pk}/").status_code == 200
    denied = bob_client.post("/api/v1/segments/", {"name": "x", "rules": {}}, content_type="application/json")
    assert denied.status_code == 403
    assert bob_client.delete(f"/api/v1/segments/{leads.pk}/").status_code == 403
    assert alice_client.delete(f"/api/v1/segments/{leads.pk}/").status_code == 204
