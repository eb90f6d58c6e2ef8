"""Segment pages: list with lazy sizes, the builder (no JavaScript needed) with its live preview and errors by
rule, detail, duplicate, delete, save as static list, the contact list's ?segment=, roles and tenants."""

from __future__ import annotations

import pytest

from campaigns.models import StaticList, StaticListMember
from crm.lists.bulk import bulk_job_run
from crm.lists.models import BulkJob
from crm.roles import Role
from crm.tenancy.context import tenant_context
from segments import services
from segments.models import Segment
from tests.conftest import client_for
from tests.factories import ContactFactory, MembershipFactory, UserFactory
from tests.segments.factories import SegmentFactory

LEADS = {"match": "all", "rules": [{"field": "lifecycle_stage", "op": "in", "value": ["lead"]}]}


def saved(tenant, **filters) -> Segment:
    with tenant_context(tenant.pk):
        return Segment.objects.get(**filters)


@pytest.fixture
def leads(tenant_a):
    for name in ("Lena", "Leo", "Lia"):
        ContactFactory(tenant=tenant_a, first_name=name, last_name="Lead", lifecycle_stage="lead")
    ContactFactory(tenant=tenant_a, first_name="Carl", last_name="Customer", lifecycle_stage="customer")
    return SegmentFactory(tenant=tenant_a, name="Leads", rules=LEADS)


@pytest.mark.django_db
def test_the_list_shows_segments_and_sizes_load_per_row(alice_client, leads):
    page = alice_client.get("/segments/").content.decode()
    assert "Leads" in page and f"/segments/{leads.pk}/size/" in page
    size = alice_client.get(f"/segments/{leads.pk}/size/").content.decode()
    assert ">3<" in size and f"?segment={leads.pk}" in size


@pytest.mark.django_db
def test_an_empty_list_says_what_to_do(alice_client):
    assert "No segments yet" in alice_client.get("/segments/").content.decode()


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_10_and_50_segments(
    alice_client, tenant_a, django_assert_max_num_queries, django_assert_num_queries
):
    for n in range(10):
        SegmentFactory(tenant=tenant_a, name=f"S{n}")
    alice_client.get("/segments/")  # warm the session
    with django_assert_max_num_queries(20) as ten:
        alice_client.get("/segments/")
    for n in range(10, 50):
        SegmentFactory(tenant=tenant_a, name=f"S{n}")
    with django_assert_num_queries(len(ten.captured_queries)):
        assert alice_client.get("/segments/").content.decode().count("/size/") == 50


def builder_post(**rules: str) -> dict[str, str | list[str]]:
    return {"name": "Berlin leads", "description": "", "match": "all", **rules}


@pytest.mark.django_db
def test_building_a_segment_with_a_nested_group_saves_normalised_rules(alice_client, tenant_a, alice, leads):
    response = alice_client.post(
        "/segments/new/",
        {
            **builder_post(),
            "rule-1-field": "lifecycle_stage", "rule-1-op": "in", "rule-1-value": ["lead", "prospect"],
            "group-2-match": "any",
            "rule-2.1-field": "city", "rule-2.1-op": "eq", "rule-2.1-value": " Berlin ",
            "rule-2.2-field": "orders.total", "rule-2.2-op": "between", "rule-2.2-value": "10", "rule-2.2-value2": "20",
            "action": "save",
        },
    )  # fmt: skip
    segment = saved(tenant_a, name="Berlin leads")
    assert response.status_code == 302 and response.url == f"/segments/{segment.pk}/"
    assert segment.created_by == alice
    assert segment.rules == {
        "match": "all",
        "rules": [
            {"field": "lifecycle_stage", "op": "in", "value": ["lead", "prospect"]},
            {"match": "any", "rules": [
                {"field": "city", "op": "eq", "value": "Berlin"},
                {"field": "orders.total", "op": "between", "value": ["10", "20"]},
            ]},
        ],
    }  # fmt: skip


@pytest.mark.django_db
def test_errors_show_next_to_the_rule_and_nothing_is_saved(alice_client, tenant_a):
    response = alice_client.post(
        "/segments/new/",
        {**builder_post(), "rule-1-field": "city", "rule-1-op": "eq", "rule-1-value": "Paris",
         "rule-2-field": "orders.total", "rule-2-op": "gt", "rule-2-value": "lots", "action": "save"},
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    rule_one, rule_two = page.split('data-path="1"')[1].split('data-path="2"')
    assert 'data-testid="rule-error">enter a number.<' in rule_two and "rule-error" not in rule_one
    assert 'value="lots"' in page  # what was typed stays
    with tenant_context(tenant_a.pk):
        assert not Segment.objects.exists()


@pytest.mark.django_db
def test_a_taken_name_is_an_error_on_the_name(alice_client, leads):
    response = alice_client.post(
        "/segments/new/",
        {"name": "leads", "match": "all", "rule-1-field": "has_email", "rule-1-op": "is_true", "action": "save"},
    )
    assert "A segment named “leads” already exists." in response.content.decode()


@pytest.mark.django_db
def test_add_and_remove_rules_and_groups_without_javascript(alice_client):
    base = {**builder_post(), "rule-1-field": "city", "rule-1-op": "eq", "rule-1-value": "Paris"}
    page = alice_client.post("/segments/new/", {**base, "action": "add-group:"}).content.decode()
    assert 'name="group-2-match"' in page and 'name="rule-2.1-field"' in page
    assert 'value="Berlin leads"' in page and "is-invalid" not in page  # adding is not saving
    page = alice_client.post(
        "/segments/new/", {**base, "group-2-match": "all", "rule-2.1-field": "", "action": "remove:1"}
    ).content.decode()
    assert 'name="rule-1-field"' not in page and 'name="group-1-match"' in page  # renumbered


@pytest.mark.django_db
def test_the_preview_counts_and_samples_as_rules_change(alice_client, leads):
    response = alice_client.post(
        "/segments/new/preview/",
        {"match": "all", "rule-1-field": "lifecycle_stage", "rule-1-op": "in", "rule-1-value": "lead",
         "rule-2-field": "first_name", "rule-2-op": "starts_with", "rule-2-value": "le"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    page = response.content.decode()
    assert '<div id="builder"' in page and "<html" not in page
    assert 'data-testid="preview-count">2<' in page
    assert "Lena Lead" in page and "Leo Lead" in page and "Carl" not in page


@pytest.mark.django_db
def test_the_preview_of_a_new_field_picks_its_first_condition_and_waits_for_a_value(alice_client, leads):
    page = alice_client.post(
        "/segments/new/preview/", {"match": "all", "rule-1-field": "orders.total", "rule-1-op": "in"}
    ).content.decode()
    assert '<option value="eq" selected>' in page
    assert "enter a number" not in page and "Complete the rules to see who matches." in page


@pytest.mark.django_db
def test_a_row_without_a_field_yet_does_not_move_errors_or_block_the_preview(alice_client, leads):
    page = alice_client.post(
        "/segments/new/preview/",
        {"match": "all", "rule-1-field": "", "rule-2-field": "orders.total", "rule-2-op": "gt", "rule-2-value": "x"},
    ).content.decode()
    rule_one, rule_two = page.split('data-path="1"')[1].split('data-path="2"')
    assert "rule-error" not in rule_one and "enter a number." in rule_two
    page = alice_client.post(
        "/segments/new/preview/",
        {
            "match": "all",
            "rule-1-field": "",
            "rule-2-field": "lifecycle_stage",
            "rule-2-op": "in",
            "rule-2-value": "lead",
        },
    ).content.decode()
    assert 'data-testid="preview-count">3<' in page


@pytest.mark.django_db
def test_the_detail_page_says_the_rules_in_words_with_size_and_sample(alice_client, leads):
    page = alice_client.get(f"/segments/{leads.pk}/").content.decode()
    assert "Lifecycle stage is any of Lead" in page
    assert 'data-testid="segment-size">3<' in page
    assert "Lena Lead" in page and "Carl Customer" not in page
    assert f"/customers/contacts/?segment={leads.pk}" in page


@pytest.mark.django_db
def test_a_segment_whose_field_was_removed_explains_itself(alice_client, tenant_a):
    broken = SegmentFactory(
        tenant=tenant_a, rules={"match": "all", "rules": [{"field": "cf.gone", "op": "eq", "value": "x"}]}
    )
    page = alice_client.get(f"/segments/{broken.pk}/").content.decode()
    assert "Rule 1: choose a field (“cf.gone” does not exist, or no longer)." in page
    assert "Check rules" in alice_client.get(f"/segments/{broken.pk}/size/").content.decode()


@pytest.mark.django_db
def test_duplicate_copies_the_rules_under_a_free_name(alice_client, tenant_a, leads):
    first = alice_client.post(f"/segments/{leads.pk}/duplicate/")
    alice_client.post(f"/segments/{leads.pk}/duplicate/")
    copy = saved(tenant_a, name="Leads (copy)")
    assert first.url == f"/segments/{copy.pk}/edit/" and copy.rules == leads.rules
    assert saved(tenant_a, name="Leads (copy 2)").rules == leads.rules


@pytest.mark.django_db
def test_delete_asks_first_and_refuses_while_another_segment_uses_it(alice_client, tenant_a, leads):
    page = alice_client.get(f"/segments/{leads.pk}/").content.decode()
    assert "data-confirm=" in page.split(f'action="/segments/{leads.pk}/delete/"')[1].split(">")[0]
    uses_leads = {"match": "all", "rules": [{"field": "segment", "op": "in", "value": [str(leads.pk)]}]}
    user = SegmentFactory(tenant=tenant_a, name="Uses leads", rules=uses_leads)
    alice_client.post(f"/segments/{leads.pk}/delete/")
    assert saved(tenant_a, pk=leads.pk)
    alice_client.post(f"/segments/{user.pk}/delete/")
    response = alice_client.post(f"/segments/{leads.pk}/delete/")
    assert response.url == "/segments/"
    with tenant_context(tenant_a.pk):
        assert not Segment.objects.exists()


@pytest.mark.django_db
def test_save_as_static_list_freezes_todays_members(alice_client, tenant_a, leads):
    response = alice_client.post(f"/segments/{leads.pk}/static-list/", {"name": "Leads in November"})
    with tenant_context(tenant_a.pk):
        frozen = StaticList.objects.get(name="Leads in November")
        members = set(StaticListMember.objects.filter(static_list=frozen).values_list("contact__first_name", flat=True))
    assert response.url == f"/campaigns/lists/{frozen.pk}/"
    assert members == {"Lena", "Leo", "Lia"}
    ContactFactory(tenant=tenant_a, first_name="Lou", lifecycle_stage="lead")  # joins the segment, not the list
    with tenant_context(tenant_a.pk):
        assert StaticListMember.objects.filter(static_list=frozen).count() == 3


@pytest.mark.django_db
def test_a_large_segment_is_frozen_by_a_job_with_progress(alice_client, tenant_a, leads, monkeypatch):
    monkeypatch.setattr(services, "IN_REQUEST_MEMBERS", 2)
    response = alice_client.post(f"/segments/{leads.pk}/static-list/", {"name": "Big list"})
    with tenant_context(tenant_a.pk):
        job = BulkJob.objects.get()
        assert response.url == f"/lists/jobs/{job.pk}/" and job.total == 3
        bulk_job_run(job_id=job.pk)  # what the worker does once the request has committed
        bulk_job_run(job_id=job.pk)  # a second delivery finds it claimed
        job.refresh_from_db()
        frozen = StaticList.objects.get(name="Big list")
        assert job.status == "done" and job.done == 3
        assert StaticListMember.objects.filter(static_list=frozen).count() == 3
    assert "Add to static list" in alice_client.get(f"/lists/jobs/{job.pk}/").content.decode()


@pytest.mark.django_db
def test_the_contact_list_filters_by_segment_within_record_visibility(tenant_a, alice, alice_client, leads):
    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=sam, tenant=tenant_a, role=Role.SALES)
    alice_client.post(
        "/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all", "analyst": "all"}
    )
    ContactFactory(tenant=tenant_a, first_name="Sams", last_name="Lead", lifecycle_stage="lead", owner=sam)
    everyone = alice_client.get("/customers/contacts/", {"segment": leads.pk}).content.decode()
    assert all(name in everyone for name in ("Lena", "Leo", "Lia", "Sams")) and "Carl" not in everyone
    own = client_for(sam).get("/customers/contacts/", {"segment": leads.pk}).content.decode()
    body = own.split('class="crm-content"')[1]
    assert "Sams" in body and "Lena" not in body
    assert "Leads" in alice_client.get("/customers/contacts/").content.decode()  # offered under More filters


@pytest.mark.django_db
def test_another_tenants_segment_id_on_the_contact_list_matches_nobody(tenant_b, charlie_client, leads):
    ContactFactory(tenant=tenant_b, first_name="Gina", lifecycle_stage="lead")
    page = charlie_client.get("/customers/contacts/", {"segment": leads.pk}).content.decode()
    assert "Gina" not in page and "Lena" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/segments/new/", "/segments/new/preview/", "/segments/{pk}/edit/", "/segments/{pk}/preview/",
     "/segments/{pk}/duplicate/", "/segments/{pk}/delete/", "/segments/{pk}/static-list/"],
)  # fmt: skip
def test_a_role_without_campaigns_edit_gets_403_on_changes(bob_client, leads, url):
    assert bob_client.post(url.format(pk=leads.pk), {"name": "x"}).status_code == 403
    assert bob_client.get(url.format(pk=leads.pk)).status_code == 403


@pytest.mark.django_db
def test_a_reader_sees_segments_without_edit_buttons(bob_client, leads):
    page = bob_client.get(f"/segments/{leads.pk}/").content.decode()
    assert "Leads" in page and f"/segments/{leads.pk}/edit/" not in page and "New segment" not in page
    assert bob_client.get("/segments/").status_code == 200


@pytest.mark.django_db
def test_another_tenants_segment_is_a_404(charlie_client, leads):
    for url in (f"/segments/{leads.pk}/", f"/segments/{leads.pk}/size/", f"/segments/{leads.pk}/edit/"):
        assert charlie_client.get(url).status_code == 404
    assert charlie_client.post(f"/segments/{leads.pk}/delete/").status_code == 404


@pytest.mark.django_db
def test_the_rfm_filter_has_its_own_name_and_old_links_still_work(alice_client, tenant_a):
    from django.utils import timezone

    from analytics.models import ContactScore
    from tests.factories import ModelRunFactory

    run = ModelRunFactory(tenant=tenant_a)
    champ = ContactFactory(tenant=tenant_a, first_name="Chloe", last_name="Champion")
    ContactFactory(tenant=tenant_a, first_name="Larry", last_name="Lost")
    with tenant_context(tenant_a.pk):
        ContactScore.objects.create(
            tenant=tenant_a, contact=champ, run=run, rfm_segment="Champions", scored_at=timezone.now()
        )
    for params in ({"rfm": "Champions"}, {"segment": "Champions"}):
        page = alice_client.get("/customers/contacts/", params).content.decode()
        assert "Chloe" in page and "Larry" not in page
