"""Record visibility: a role limited to its own records sees only those, on every surface."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.roles import Role
from crm.tenancy.context import tenant_context
from tests.conftest import client_for
from tests.factories import ContactFactory, DealFactory, MembershipFactory, OrderFactory, UserFactory


@pytest.fixture
def reps(tenant_a, alice, alice_client):
    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    sally = UserFactory(email="sally@acme.example", full_name="Sally Seller")
    for rep in (sam, sally):
        MembershipFactory(user=rep, tenant=tenant_a, role=Role.SALES)
    response = alice_client.post(
        "/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all", "analyst": "all"}
    )
    assert response.status_code == 302
    ann = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Ours", owner=sam)
    bea = ContactFactory(tenant=tenant_a, first_name="Bea", last_name="Theirs", owner=sally)
    orders = {
        "ann": OrderFactory(tenant=tenant_a, contact=ann, amount=Decimal("10")),
        "bea": OrderFactory(tenant=tenant_a, contact=bea, amount=Decimal("20")),
    }
    deals = {
        "sam": DealFactory(tenant=tenant_a, name="Sam's deal", owner=sam, contact=ann),
        "sally": DealFactory(tenant=tenant_a, name="Sally's deal", owner=sally, contact=bea),
    }
    return {"sam": client_for(sam), "ann": ann, "bea": bea, "orders": orders, "deals": deals}


@pytest.mark.django_db
def test_a_rep_limited_to_own_records_sees_only_them_everywhere(reps):
    sam, ann = reps["sam"], reps["ann"]
    listing = sam.get("/customers/contacts/").content.decode()
    assert "Ann Ours" in listing and "Bea Theirs" not in listing
    assert "Bea" not in sam.get("/search/", {"q": "bea"}).content.decode().split('class="crm-content"')[1]
    found_deals = sam.get("/search/", {"q": "sa"}).content.decode().split("Deals</div>")[1]
    assert "Sam&#x27;s deal" in found_deals and "Sally" not in found_deals
    export = b"".join(sam.get("/customers/contacts/export/", {"format": "csv"}).streaming_content).decode()
    assert "Ours" in export and "Theirs" not in export
    api = sam.get("/api/v1/contacts/").json()["results"]
    assert [row["id"] for row in api] == [ann.pk]
    board = sam.get("/deals/", {"pipeline": reps["deals"]["sam"].pipeline_id}).content.decode()
    assert "Sam&#x27;s deal" in board or "Sam's deal" in board
    assert "Sally" not in board.split('class="crm-content"')[1]


@pytest.mark.django_db
def test_someone_elses_records_answer_404_to_a_limited_rep(reps):
    sam, bea = reps["sam"], reps["bea"]
    for url in (
        f"/customers/contacts/{bea.pk}/",
        f"/customers/contacts/{bea.pk}/edit/",
        f"/customers/orders/{reps['orders']['bea'].pk}/edit/",
        f"/deals/{reps['deals']['sally'].pk}/",
        f"/api/v1/contacts/{bea.pk}/",
        f"/api/v1/deals/{reps['deals']['sally'].pk}/",
    ):
        assert sam.get(url).status_code == 404, url


@pytest.mark.django_db
def test_admins_and_roles_left_at_all_still_see_everything(reps, alice_client, bob_client):
    for client in (alice_client, bob_client):
        listing = client.get("/customers/contacts/").content.decode()
        assert "Ann Ours" in listing and "Bea Theirs" in listing


@pytest.mark.django_db
def test_only_admins_change_record_visibility(bob_client, tenant_a):
    assert bob_client.get("/workspace/visibility/").status_code == 403
    response = bob_client.post("/workspace/visibility/", {"sales": "own"})
    assert response.status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.record_visibility == {}


@pytest.mark.django_db
def test_a_rep_limited_to_team_records_sees_their_teammates_records_only(tenant_a, alice_client):
    from crm.models import Team, TeamMember

    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    sally = UserFactory(email="sally@acme.example", full_name="Sally Seller")
    otto = UserFactory(email="otto@acme.example", full_name="Otto Other")
    for rep in (sam, sally, otto):
        MembershipFactory(user=rep, tenant=tenant_a, role=Role.SALES)
    alice_client.post(
        "/workspace/visibility/", {"sales": "team", "service": "all", "marketing": "all", "analyst": "all"}
    )
    response = alice_client.post("/workspace/teams/new/", {"name": "East", "members": [sam.pk, sally.pk]})
    assert response.status_code == 302
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Sams", owner=sam)
    ContactFactory(tenant=tenant_a, first_name="Bea", last_name="Sallys", owner=sally)
    ContactFactory(tenant=tenant_a, first_name="Cy", last_name="Ottos", owner=otto)
    listing = client_for(sam).get("/customers/contacts/").content.decode()
    assert "Ann Sams" in listing and "Bea Sallys" in listing and "Cy Ottos" not in listing
    api = client_for(otto).get("/api/v1/contacts/").json()["results"]
    assert [row["last_name"] for row in api] == ["Ottos"]  # in no team: their own records only
    with tenant_context(tenant_a.id):
        assert TeamMember.objects.filter(team=Team.objects.get(name="East")).count() == 2


@pytest.mark.django_db
def test_only_admins_manage_teams(bob_client, alice_client, tenant_a):
    assert bob_client.get("/workspace/teams/").status_code == 403
    assert "No teams yet" in alice_client.get("/workspace/teams/").content.decode()
    alice_client.post("/workspace/teams/new/", {"name": "East"})
    page = alice_client.post("/workspace/teams/new/", {"name": "east"}).content.decode()
    assert "Another team is already called “east”." in page
