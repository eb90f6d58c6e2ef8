"""Static lists: built from the contact list's bulk actions (in the request and as a job), browsed,
filtered on, edited; scoped to the tenant and the rep's record visibility."""

from __future__ import annotations

import pytest

from campaigns.models import StaticList, StaticListMember
from crm.lists.models import BulkJob, BulkJobStatus
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Contact
from tests.conftest import client_for
from tests.customers.test_bulk_actions import eager_tasks, post_bulk  # noqa: F401  (the eager-tasks fixture)
from tests.factories import ContactFactory, MembershipFactory, UserFactory


def members(tenant, static_list=None):
    with tenant_context(tenant.id):
        rows = StaticListMember.unscoped_objects.filter(tenant=tenant)
        if static_list is not None:
            rows = rows.filter(static_list=static_list)
        return sorted(rows.values_list("contact_id", flat=True))


@pytest.fixture
def mia(tenant_a):
    user = UserFactory(email="mia@acme.example", full_name="Mia Marketing")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.MARKETING)
    return user


@pytest.fixture
def spring(tenant_a, alice):
    with tenant_context(tenant_a.id):
        return StaticList.objects.create(tenant=tenant_a, name="Spring webinar", created_by=alice)


@pytest.mark.django_db
def test_a_marketer_adds_selected_contacts_to_a_new_list_and_again_adds_nobody_twice(tenant_a, mia):
    chosen = [ContactFactory(tenant=tenant_a) for _ in range(3)]
    ContactFactory(tenant=tenant_a)
    client = client_for(mia)
    response = post_bulk(client, "contacts", "add_to_list", [c.pk for c in chosen], new_list="Trade fair leads")
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        static_list = StaticList.objects.get()
    assert static_list.name == "Trade fair leads" and static_list.created_by == mia
    assert members(tenant_a, static_list) == sorted(c.pk for c in chosen)

    # The same name in another case finds the list; the members already in it are skipped, not doubled.
    response = post_bulk(client, "contacts", "add_to_list", [c.pk for c in chosen[:2]], new_list="trade FAIR leads")
    assert response.status_code == 302
    assert members(tenant_a) == sorted(c.pk for c in chosen)
    assert "Add to static list: 0 records done." in client.get("/customers/contacts/").content.decode()


@pytest.mark.django_db
def test_the_action_needs_a_list_or_a_new_name_but_not_both(tenant_a, mia, spring):
    contact = ContactFactory(tenant=tenant_a)
    client = client_for(mia)
    for fields in ({}, {"static_list": str(spring.pk), "new_list": "Another"}):
        page = post_bulk(client, "contacts", "add_to_list", [contact.pk], **fields)
        assert page.status_code == 200 and "Pick a list or name a new one (not both)." in page.content.decode()
    assert members(tenant_a) == []


@pytest.mark.django_db
def test_all_matching_contacts_go_into_a_list_as_a_job(tenant_a, mia, spring, eager_tasks,  # noqa: F811
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    leads = [ContactFactory(tenant=tenant_a, lifecycle_stage="lead") for _ in range(4)]
    ContactFactory(tenant=tenant_a, lifecycle_stage="customer")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(mia).post("/lists/contacts/bulk/", {
            "action": "add_to_list", "all": "1", "query": "stage=lead", "confirm": "1",
            "static_list": str(spring.pk),
        })  # fmt: skip
    assert response["Location"].startswith("/lists/jobs/")
    with tenant_context(tenant_a.id):
        job = BulkJob.objects.get()
    assert (job.status, job.total, job.done) == (BulkJobStatus.DONE, 4, 4)
    assert members(tenant_a, spring) == sorted(c.pk for c in leads)


@pytest.mark.django_db
def test_remove_from_a_list_in_bulk_and_one_by_one(tenant_a, mia, spring):
    contacts = [ContactFactory(tenant=tenant_a) for _ in range(3)]
    client = client_for(mia)
    post_bulk(client, "contacts", "add_to_list", [c.pk for c in contacts], static_list=str(spring.pk))
    post_bulk(client, "contacts", "remove_from_list", [contacts[0].pk], static_list=str(spring.pk))
    assert members(tenant_a, spring) == sorted(c.pk for c in contacts[1:])

    response = client.post(
        f"/campaigns/lists/{spring.pk}/members/remove/", {"contact": contacts[1].pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert members(tenant_a, spring) == [contacts[2].pk]
    with tenant_context(tenant_a.id):
        assert Contact.objects.filter(pk__in=[c.pk for c in contacts]).count() == 3  # contacts stay


@pytest.mark.django_db
def test_the_list_pages_show_members_and_counts_and_open_in_the_contact_list(tenant_a, alice_client, spring):
    ann = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lister")
    ContactFactory(tenant=tenant_a, first_name="Olaf", last_name="Outside")
    post_bulk(alice_client, "contacts", "add_to_list", [ann.pk], static_list=str(spring.pk))

    index = alice_client.get("/campaigns/lists/").content.decode()
    assert "Spring webinar" in index and ">1</td>" in index
    detail = alice_client.get(f"/campaigns/lists/{spring.pk}/").content.decode()
    assert "Ann Lister" in detail and "Olaf Outside" not in detail
    assert f"/customers/contacts/?in_list={spring.pk}" in detail

    filtered = alice_client.get(f"/customers/contacts/?in_list={spring.pk}").content.decode()
    assert "Ann Lister" in filtered and "Olaf Outside" not in filtered


@pytest.mark.django_db
def test_members_page_through_with_keyset_cursors(tenant_a, alice_client, spring, monkeypatch):
    from campaigns import selectors

    monkeypatch.setattr(selectors, "MEMBERS_PAGE_SIZE", 2)
    contacts = [ContactFactory(tenant=tenant_a, first_name=f"P{i}", last_name="Paged") for i in range(5)]
    post_bulk(alice_client, "contacts", "add_to_list", [c.pk for c in contacts], static_list=str(spring.pk))
    with tenant_context(tenant_a.id):
        seen, cursor = [], None
        while True:
            page = selectors.members_page(static_list=spring, cursor=cursor)
            seen += [row.contact_id for row in page.rows]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert sorted(seen) == sorted(c.pk for c in contacts) and len(seen) == 5


@pytest.mark.django_db
def test_empty_states(alice_client, spring):
    assert "This list is empty" in alice_client.get(f"/campaigns/lists/{spring.pk}/").content.decode()
    with tenant_context(spring.tenant_id):
        StaticList.objects.all().delete()
    assert "No static lists yet" in alice_client.get("/campaigns/lists/").content.decode()


@pytest.mark.django_db
def test_create_rename_and_delete_a_list(tenant_a, alice_client, spring):
    refused = alice_client.post("/campaigns/lists/new/", {"name": "spring WEBINAR"})
    assert refused.status_code == 200 and "A list named “spring WEBINAR” already exists." in refused.content.decode()
    created = alice_client.post("/campaigns/lists/new/", {"name": "VIP dinner", "description": "Invite only"})
    with tenant_context(tenant_a.id):
        vip = StaticList.objects.get(name="VIP dinner")
    assert created["Location"] == f"/campaigns/lists/{vip.pk}/"
    alice_client.post(f"/campaigns/lists/{vip.pk}/edit/", {"name": "VIP dinner 2027", "description": ""})
    contact = ContactFactory(tenant=tenant_a)
    post_bulk(alice_client, "contacts", "add_to_list", [contact.pk], static_list=str(vip.pk))
    assert alice_client.get(f"/campaigns/lists/{vip.pk}/delete/").status_code == 302  # deleting takes a POST
    alice_client.post(f"/campaigns/lists/{vip.pk}/delete/")
    with tenant_context(tenant_a.id):
        assert list(StaticList.objects.values_list("name", flat=True)) == ["Spring webinar"]
        assert StaticListMember.objects.count() == 0 and Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_a_rep_sees_only_the_members_they_may_see(tenant_a, alice_client, spring):
    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=sam, tenant=tenant_a, role=Role.SALES)
    alice_client.post("/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all",
                                                 "analyst": "all"})  # fmt: skip
    mine = ContactFactory(tenant=tenant_a, owner=sam, first_name="Mine", last_name="Sams")
    other = ContactFactory(tenant=tenant_a, first_name="Not", last_name="Sams")
    post_bulk(alice_client, "contacts", "add_to_list", [mine.pk, other.pk], static_list=str(spring.pk))
    page = client_for(sam).get(f"/campaigns/lists/{spring.pk}/").content.decode()
    assert "Mine Sams" in page and "Not Sams" not in page


@pytest.mark.django_db
def test_roles_and_tenants(tenant_a, bob_client, charlie_client, spring):
    contact = ContactFactory(tenant=tenant_a)
    # An analyst may look at lists but not change them, nor see the bulk actions.
    assert bob_client.get(f"/campaigns/lists/{spring.pk}/").status_code == 200
    assert bob_client.post("/campaigns/lists/new/", {"name": "Nope"}).status_code == 403
    assert bob_client.post(f"/campaigns/lists/{spring.pk}/delete/").status_code == 403
    assert post_bulk(bob_client, "contacts", "add_to_list", [contact.pk], static_list=str(spring.pk)).status_code in (
        403, 404)  # fmt: skip
    assert "Add to static list" not in bob_client.get("/customers/contacts/").content.decode()
    # Another tenant's list is not there at all.
    for url in (f"/campaigns/lists/{spring.pk}/", f"/campaigns/lists/{spring.pk}/edit/"):
        assert charlie_client.get(url).status_code == 404
    assert charlie_client.post(f"/campaigns/lists/{spring.pk}/delete/").status_code == 404
    removal = charlie_client.post(f"/campaigns/lists/{spring.pk}/members/remove/", {"contact": contact.pk})
    assert removal.status_code == 404
    assert "Spring webinar" not in charlie_client.get("/campaigns/lists/").content.decode()
    assert members(tenant_a) == []


@pytest.mark.django_db
def test_merging_two_members_leaves_the_survivor_in_the_list_once(tenant_a, alice, alice_client, spring):
    from customers.duplicates.merge import contact_merge

    survivor, merged = ContactFactory(tenant=tenant_a), ContactFactory(tenant=tenant_a)
    vip = ContactFactory(tenant=tenant_a)
    post_bulk(alice_client, "contacts", "add_to_list", [survivor.pk, merged.pk, vip.pk], static_list=str(spring.pk))
    post_bulk(alice_client, "contacts", "add_to_list", [merged.pk], new_list="Only the merged one")
    with tenant_context(tenant_a.id):
        contact_merge(tenant=tenant_a, survivor=survivor, merged=merged, by=alice, choices={})
        other = StaticList.objects.get(name="Only the merged one")
    assert members(tenant_a, spring) == sorted([survivor.pk, vip.pk])
    assert members(tenant_a, other) == [survivor.pk]
