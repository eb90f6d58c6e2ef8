"""Contact batches through the API: the import pipeline behind one request, its status and rejections."""

from __future__ import annotations

import pytest
from django.test import Client

from crm.tenancy.context import tenant_context
from customers.models import Contact
from tests.factories import CustomFieldFactory

pytestmark = pytest.mark.django_db(transaction=True)


def post(client: Client, body: dict, **headers):
    return client.post("/api/v1/imports/", body, content_type="application/json", **headers)


def contacts(tenant):
    with tenant_context(tenant.id):
        return {c.email: c for c in Contact.objects.all()}


RECORDS = [
    {"first_name": "Ann", "last_name": "Lee", "email": "Ann@Example.org", "phone": "(202) 555-0143",
     "tags": ["vip", "fair"], "external_id": "C-1", "custom_fields": {"tier": "gold"}},
    {"full_name": "Bo Chan", "email": "bo@example.org", "account": "Initech", "external_id": "C-2"},
    {"first_name": "Cy", "email": "not an email", "external_id": "C-3"},
]  # fmt: skip


def test_a_batch_is_imported_and_its_rejections_are_named_by_record(alice_client, tenant_a, eager_tasks):
    CustomFieldFactory(tenant=tenant_a, key="tier", label="Tier", field_type="choice", choices=["gold", "silver"])
    response = post(alice_client, {"source_system": "erp", "records": RECORDS})
    assert response.status_code == 202, response.content
    status_url = response["Location"]
    result = alice_client.get(status_url).json()
    assert result["status"] == "done", result["message"]
    assert (result["created_count"], result["rejected_count"]) == (2, 1)
    (rejection,) = result["rejections"]
    assert rejection["record"] == 3 and rejection["field"] == "email"
    people = contacts(tenant_a)
    ann = people["ann@example.org"]
    assert (ann.phone, ann.tags, ann.custom_fields, ann.source_system) == (
        "+12025550143",
        ["vip", "fair"],
        {"tier": "gold"},
        "erp",
    )
    assert people["bo@example.org"].first_name == "Bo"

    again = alice_client.get(post(alice_client, {"source_system": "erp", "records": RECORDS[:2]})["Location"]).json()
    assert (again["created_count"], again["unchanged_count"]) == (0, 2)
    assert len(contacts(tenant_a)) == 2


def test_unknown_fields_and_oversized_batches_are_refused_before_anything_is_stored(alice_client, tenant_a):
    records = [
        {"email": "a@example.org", "nickname": "A"},
        {"email": "b@example.org", "custom_fields": {"shoe_size": 9}},
    ]
    response = post(alice_client, {"records": records})
    assert response.status_code == 400
    assert response.json()["records"] == ["record 1: unknown field 'nickname'",
                                          "record 2: unknown custom field 'shoe_size'"]  # fmt: skip
    too_many = post(alice_client, {"records": [{"email": f"p{n}@example.org"} for n in range(10_001)]})
    assert too_many.status_code == 400 and "10000" in str(too_many.json()["records"])
    assert alice_client.get("/api/v1/imports/").json()["results"] == []


def test_roles_without_edit_rights_cannot_send_batches(bob_client):
    assert post(bob_client, {"records": [{"email": "a@example.org"}]}).status_code == 403
