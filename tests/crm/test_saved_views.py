"""Saved list views: private to their owner or shared with the tenant; only owners (and admins,
for shared views) delete them."""

from __future__ import annotations

import pytest

from crm.lists.models import SavedView
from crm.roles import Role
from crm.tenancy.context import tenant_context
from tests.conftest import client_for
from tests.factories import MembershipFactory, SavedViewFactory, UserFactory


def views_of(tenant, **filters):
    with tenant_context(tenant.id):
        return list(SavedView.objects.filter(**filters).order_by("name").values_list("name", "query", "shared"))


@pytest.fixture
def sam(tenant_a):
    user = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


@pytest.mark.django_db
def test_saving_the_current_view_keeps_filters_and_sort_but_not_the_page(alice_client, tenant_a, alice):
    response = alice_client.post(
        "/lists/contacts/views/new/", {"name": "Leads", "query": "stage=lead&sort=newest&after=abc&owner=&format=csv"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/contacts/?stage=lead&sort=newest"
    assert views_of(tenant_a) == [("Leads", "stage=lead&sort=newest", False)]
    page = alice_client.get("/customers/contacts/?stage=lead&sort=newest").content.decode()
    assert "Leads" in page.split('data-testid="saved-views"')[1].split("</button>")[0]  # the menu names it


@pytest.mark.django_db
def test_saving_again_under_the_same_name_replaces_the_view(alice_client, tenant_a):
    alice_client.post("/lists/deals/views/new/", {"name": "Mine", "query": "owner=me"})
    alice_client.post("/lists/deals/views/new/", {"name": "Mine", "query": "owner=me&status=open", "shared": "on"})
    assert views_of(tenant_a) == [("Mine", "owner=me&status=open", True)]


@pytest.mark.django_db
def test_private_views_are_only_their_owners_and_shared_ones_are_everyones(alice, sam, bob_client, tenant_a):
    SavedViewFactory(tenant=tenant_a, owner=alice, name="Alice private", shared=False, list_key="accounts")
    SavedViewFactory(tenant=tenant_a, owner=alice, name="Team accounts", shared=True, list_key="accounts")
    SavedViewFactory(tenant=tenant_a, owner=alice, name="Deal view", shared=True, list_key="deals")
    accounts_for_bob = bob_client.get("/customers/accounts/").content.decode()
    assert "Team accounts" in accounts_for_bob and "Alice private" not in accounts_for_bob
    assert "Deal view" not in accounts_for_bob  # views belong to one list
    accounts_for_alice = client_for(alice).get("/customers/accounts/").content.decode()
    assert "Alice private" in accounts_for_alice and "Team accounts" in accounts_for_alice


@pytest.mark.django_db
def test_views_of_another_tenant_never_show(charlie, tenant_b, alice_client, tenant_a):
    SavedViewFactory(tenant=tenant_b, owner=charlie, name="Globex secret", shared=True)
    assert "Globex secret" not in alice_client.get("/customers/contacts/").content.decode()


@pytest.mark.django_db
def test_owners_delete_their_views_after_confirming(alice, alice_client, tenant_a):
    view = SavedViewFactory(tenant=tenant_a, owner=alice, name="Old", shared=False)
    confirm = alice_client.get(f"/lists/views/{view.pk}/delete/")
    assert confirm.status_code == 200 and "Old" in confirm.content.decode()
    assert views_of(tenant_a) != []
    response = alice_client.post(f"/lists/views/{view.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/"
    assert views_of(tenant_a) == []


@pytest.mark.django_db
def test_a_shared_view_is_deleted_by_its_owner_or_an_admin_only(alice, alice_client, sam, bob_client, tenant_a):
    sams = SavedViewFactory(tenant=tenant_a, owner=sam, name="Sam shared", shared=True)
    sams_private = SavedViewFactory(tenant=tenant_a, owner=sam, name="Sam private", shared=False)
    assert bob_client.post(f"/lists/views/{sams.pk}/delete/").status_code == 403
    assert bob_client.post(f"/lists/views/{sams_private.pk}/delete/").status_code == 404
    assert alice_client.post(f"/lists/views/{sams_private.pk}/delete/").status_code == 404  # private even to admins
    assert views_of(tenant_a, owner=sam) == [("Sam private", "stage=lead", False), ("Sam shared", "stage=lead", True)]
    assert alice_client.post(f"/lists/views/{sams.pk}/delete/").status_code == 302
    assert views_of(tenant_a, owner=sam) == [("Sam private", "stage=lead", False)]


@pytest.mark.django_db
def test_a_nameless_view_or_an_unknown_list_is_refused(alice_client, tenant_a):
    response = alice_client.post("/lists/contacts/views/new/", {"name": "  ", "query": "stage=lead"}, follow=True)
    assert "Give the view a name" in response.content.decode()
    assert alice_client.post("/lists/nonsense/views/new/", {"name": "x"}).status_code == 404
    assert views_of(tenant_a) == []


@pytest.mark.django_db
def test_every_list_offers_all_and_the_save_form(alice_client):
    for url, label in (("/customers/contacts/", "All contacts"), ("/customers/accounts/", "All accounts"),
                       ("/deals/list/", "All deals")):  # fmt: skip
        page = alice_client.get(url).content.decode()
        assert label in page and 'data-testid="save-view"' in page, url
