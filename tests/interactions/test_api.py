"""/api/v1/interactions/: list with filters, retrieve, create through interaction_log; tenants and roles."""

from __future__ import annotations

from typing import Any

import pytest

from crm.tenancy.context import tenant_context
from interactions.models import Interaction
from tests.factories import AccountFactory, ContactFactory, DealFactory, InteractionFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/interactions/"


def post(client: Any, data: dict[str, Any]) -> Any:
    return client.post(API, data, content_type="application/json")


def test_create_logs_through_the_service(sam_client: Any, sam: Any, alice: Any, tenant_a: Any) -> None:
    account = AccountFactory(tenant=tenant_a)
    contact, colleague = ContactFactory.create_batch(2, tenant=tenant_a, account=account)
    response = post(sam_client, {"kind": "call", "direction": "outbound", "contact": contact.pk,
                                 "duration_seconds": 300, "outcome": "connected", "subject": "Check-in",
                                 "participant_contacts": [colleague.pk], "participant_users": [alice.pk]})  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["account"], body["logged_by"], body["duration_seconds"]) == (
        "call",
        account.pk,
        sam.pk,
        300,
    )
    assert body["participant_contacts"] == [colleague.pk] and body["participant_users"] == [alice.pk]
    assert body["attachment_count"] == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "fax"}, "kind", "not a valid choice"),
        ({"kind": "note", "duration_seconds": 60}, "duration_seconds", "Only calls and meetings"),
        ({"kind": "call", "outcome": "great"}, "outcome", "not a call outcome"),
        ({"kind": "social"}, "channel", "Say which channel"),
        ({"kind": "call", "occurred_at": "2031-01-01T10:00:00Z"}, "occurred_at", "more than a year ahead"),
        ({"kind": "call", "contact": None}, "contact", "Give a contact, an account or a deal"),
    ],
)
def test_validation_errors_name_the_field(
    sam_client: Any, tenant_a: Any, data: dict[str, Any], field: str, message: str
) -> None:
    contact = ContactFactory(tenant=tenant_a)
    response = post(sam_client, {"direction": "outbound", "contact": contact.pk, **data})
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    with tenant_context(tenant_a.id):
        assert not Interaction.objects.exists()


def test_another_tenants_records_do_not_exist_here(sam_client: Any, tenant_a: Any, tenant_b: Any, charlie: Any) -> None:
    theirs = ContactFactory(tenant=tenant_b)
    response = post(sam_client, {"kind": "note", "direction": "internal", "contact": theirs.pk})
    assert response.status_code == 400 and "does not exist" in response.json()["contact"][0]
    ours = ContactFactory(tenant=tenant_a)
    response = post(sam_client, {"kind": "meeting", "contact": ours.pk, "participant_users": [charlie.pk]})
    assert response.status_code == 400 and "not a member of this workspace" in response.json()["participant_users"][0]


def test_list_filters_and_retrieve(bob_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a)
    email = InteractionFactory(tenant=tenant_a, kind="email", contact=contact, subject="Quote")
    InteractionFactory(tenant=tenant_a, kind="call", deal=deal, subject="Call")
    everything = bob_client.get(API).json()["results"]
    assert [row["subject"] for row in everything] == ["Call", "Quote"]  # newest first
    assert [row["subject"] for row in bob_client.get(f"{API}?kind=email").json()["results"]] == ["Quote"]
    assert [row["subject"] for row in bob_client.get(f"{API}?contact={contact.pk}").json()["results"]] == ["Quote"]
    assert [row["subject"] for row in bob_client.get(f"{API}?deal={deal.pk}").json()["results"]] == ["Call"]
    assert bob_client.get(f"{API}?occurred_after=2999-01-01T00:00:00Z").json()["results"] == []
    bad = bob_client.get(f"{API}?kind=fax&occurred_after=soon")
    assert bad.status_code == 400 and set(bad.json()) == {"kind", "occurred_after"}
    assert bob_client.get(f"{API}{email.pk}/").json()["subject"] == "Quote"


def test_roles_and_tenants(mia_client: Any, bob_client: Any, charlie_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    call = InteractionFactory(tenant=tenant_a, contact=contact, subject="Acme only")
    assert post(mia_client, {"kind": "note", "contact": contact.pk}).status_code == 403  # marketing cannot log
    assert post(bob_client, {"kind": "note", "contact": contact.pk}).status_code == 403  # analysts read only
    assert mia_client.get(API).status_code == 200
    assert charlie_client.get(f"{API}{call.pk}/").status_code == 404
    assert charlie_client.get(API).json()["results"] == []
