"""Duplicate contacts: detection, the review queue, and merging field by field."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tenancy.context import tenant_context
from customers.duplicates.detection import duplicates_detect_all, duplicates_detect_for_contact
from customers.duplicates.merge import MergeError, contact_merge
from customers.duplicates.models import ContactMerge, DuplicateCandidate, DuplicateRun, DuplicateStatus
from customers.duplicates.tasks import find_duplicates
from customers.models import Contact, Deal, DealStageChange, Order
from customers.services import ConcurrentEditError
from interactions.models import Interaction
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DealFactory,
    DealStageChangeFactory,
    DuplicateCandidateFactory,
    InteractionFactory,
    OrderFactory,
)


def pairs(tenant) -> set[tuple[int, int, tuple[str, ...]]]:
    with tenant_context(tenant.id):
        return {
            (p.contact_a_id, p.contact_b_id, tuple(sorted(p.reasons)))
            for p in DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
        }


def detect(tenant) -> int:
    with tenant_context(tenant.id):
        return duplicates_detect_all(tenant=tenant)


@pytest.fixture
def acme_people(tenant_a):
    acme = AccountFactory(tenant=tenant_a, name="Acme")
    acme_inc = AccountFactory(tenant=tenant_a, name="Acme Inc.")
    globex = AccountFactory(tenant=tenant_a, name="Globex")
    people = {
        "jon": ContactFactory(
            tenant=tenant_a, first_name="Jon", last_name="Smith", account=acme, email="jon@acme.example"
        ),
        "john": ContactFactory(
            tenant=tenant_a, first_name="John", last_name="Smith", account=acme_inc, email="john.smith@mail.example"
        ),
        "jane": ContactFactory(
            tenant=tenant_a, first_name="Jane", last_name="Smith", account=acme, email="jane@acme.example"
        ),
        "john_globex": ContactFactory(
            tenant=tenant_a, first_name="John", last_name="Smith", account=globex, email="js@globex.example"
        ),
        "ann": ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="Ann.Lee@Example.ORG"),
        "annie": ContactFactory(tenant=tenant_a, first_name="Annie", last_name="Park", email="ann.lee@example.org"),
        "bo": ContactFactory(
            tenant=tenant_a, first_name="Bo", last_name="Chen", email="bo@a.example", phone="+12025550143"
        ),
        "bob": ContactFactory(
            tenant=tenant_a, first_name="B.", last_name="Chen", email="rc@b.example", phone="+1 (202) 555-0143"
        ),
        "robert": ContactFactory(
            tenant=tenant_a, first_name="Robert", last_name="Chan", email="robert@c.example", phone="+12025550143"
        ),  # shares the office line, another family: not a pair
    }
    return people


@pytest.mark.django_db
def test_detection_finds_same_email_any_case_same_phone_and_similar_name_at_similar_company(tenant_a, acme_people):
    p = acme_people
    detect(tenant_a)
    found = pairs(tenant_a)
    assert (p["ann"].pk, p["annie"].pk, ("email",)) in found  # Ann.Lee@Example.ORG = ann.lee@example.org
    assert (p["bo"].pk, p["bob"].pk, ("phone",)) in found
    assert (p["jon"].pk, p["john"].pk, ("name",)) in found  # Jon Smith / Acme ~ John Smith / Acme Inc.
    assert len(found) == 3  # Jane is not Jon; John Smith at Globex is another John Smith


@pytest.mark.django_db
def test_detection_does_not_pair_different_people(tenant_a):
    acme = AccountFactory(tenant=tenant_a, name="Acme")
    ContactFactory(tenant=tenant_a, first_name="Mark", last_name="Smith", account=acme)
    ContactFactory(tenant=tenant_a, first_name="Mary", last_name="Smith", account=acme)
    ContactFactory(tenant=tenant_a, first_name="John", last_name="Smith")  # no company: a name alone is not enough
    ContactFactory(tenant=tenant_a, first_name="John", last_name="Smith")
    assert detect(tenant_a) == 0


@pytest.mark.django_db
def test_a_shared_switchboard_number_is_not_a_duplicate(tenant_a):
    for _ in range(6):
        ContactFactory(tenant=tenant_a, phone="+12025550100")
    assert detect(tenant_a) == 0


@pytest.mark.django_db
def test_detection_stays_inside_the_tenant(tenant_a, tenant_b):
    mine = ContactFactory(tenant=tenant_a, email="same@example.org")
    ContactFactory(tenant=tenant_b, email="same@example.org")
    assert detect(tenant_a) == 0
    theirs = ContactFactory(tenant=tenant_b, email="SAME@example.org")
    assert detect(tenant_b) == 1
    assert mine.pk not in {pk for pair in pairs(tenant_b) for pk in pair[:2]} and theirs


@pytest.mark.django_db
def test_a_dismissed_pair_stays_dismissed(tenant_a, acme_people, alice_client):
    detect(tenant_a)
    with tenant_context(tenant_a.id):
        pair = DuplicateCandidate.objects.get(contact_a=acme_people["ann"])
    response = alice_client.post(f"/customers/duplicates/{pair.pk}/dismiss/")
    assert response.status_code == 302
    detect(tenant_a)
    with tenant_context(tenant_a.id):
        duplicates_detect_for_contact(tenant=tenant_a, contact=acme_people["annie"])
        pair.refresh_from_db()
        assert pair.status == DuplicateStatus.DISMISSED
        assert DuplicateCandidate.objects.filter(contact_a=acme_people["ann"]).count() == 1
    assert "Ann Lee" not in alice_client.get("/customers/duplicates/").content.decode()


@pytest.mark.django_db
def test_the_detection_task_is_idempotent_and_records_its_run(
    tenant_a, alice, acme_people, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a.id):
        run = DuplicateRun.objects.create(tenant=tenant_a, requested_by=alice)
    find_duplicates.apply(args=[tenant_a.id, run.id]).get()  # the real task path: TenantTask, then the service
    first = pairs(tenant_a)
    with tenant_context(tenant_a.id):
        found_at = dict(DuplicateCandidate.objects.values_list("id", "found_at"))
        run.refresh_from_db()
    assert run.status == "done" and run.pairs_found == 3 and run.finished_at
    find_duplicates.apply(args=[tenant_a.id, run.id]).get()  # redelivered: the run is claimed already
    with tenant_context(tenant_a.id):
        second_run = DuplicateRun.objects.create(tenant=tenant_a, requested_by=alice)
    find_duplicates.apply(args=[tenant_a.id, second_run.id]).get()
    assert pairs(tenant_a) == first
    with tenant_context(tenant_a.id):
        assert dict(DuplicateCandidate.objects.values_list("id", "found_at")) == found_at


@pytest.mark.django_db
def test_find_duplicates_from_the_queue_starts_one_run(alice_client, tenant_a, acme_people, settings):
    from crm.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # queued, not run: the page must show the progress bar
    try:
        with tenant_context(tenant_a.id):
            pass
        response = alice_client.post("/customers/duplicates/runs/", HTTP_HX_REQUEST="true")
        again = alice_client.post("/customers/duplicates/runs/")
    finally:
        app.conf.task_always_eager = eager
    assert response.status_code == 200 and "Looking for duplicates" in response.content.decode()
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert again.status_code == 302
    with tenant_context(tenant_a.id):
        run = DuplicateRun.objects.get()
    find_duplicates.apply(args=[tenant_a.id, run.id]).get()
    progress = alice_client.get(f"/customers/duplicates/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    page = alice_client.get("/customers/duplicates/").content.decode()
    assert "3 open pairs" in page and page.count('data-testid="duplicate-pair"') == 3


@pytest.mark.django_db
def test_a_new_contact_is_checked_at_once_and_its_page_says_so(alice_client, tenant_a):
    old = ContactFactory(tenant=tenant_a, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    response = alice_client.post(
        "/customers/contacts/new/",
        {"first_name": "Grace", "last_name": "H.", "email": "GRACE@navy.example", "lifecycle_stage": "lead"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = alice_client.get(response["Location"]).content.decode()
    assert "Possible duplicate of <strong>Grace Hopper</strong>" in page
    assert "/customers/duplicates/merge/" in page and f"with={old.pk}" in page


def make_pair(tenant):
    acme = AccountFactory(tenant=tenant, name="Acme")
    survivor = ContactFactory(
        tenant=tenant,
        first_name="Jon",
        last_name="Smith",
        account=acme,
        email="jon@acme.example",
        phone="",
        tags=["vip"],
        custom_fields={"tier": "gold", "region": "north"},
        updated_at=timezone.now() - timedelta(days=2),
    )
    merged = ContactFactory(
        tenant=tenant,
        first_name="John",
        last_name="Smith",
        account=acme,
        email="john@acme.example",
        phone="+12025550143",
        tags=["vip", "trade-show"],
        custom_fields={"tier": "silver", "size": "5"},
        email_consent=True,
        email_consent_at=timezone.now() - timedelta(days=1),
        email_consent_source="form",
        updated_at=timezone.now() - timedelta(days=1),
    )
    return survivor, merged


@pytest.mark.django_db
def test_merge_moves_orders_deals_interactions_and_is_on_the_timeline(alice_client, tenant_a):
    survivor, merged = make_pair(tenant_a)
    OrderFactory(tenant=tenant_a, contact=merged, amount=Decimal("250.00"))
    deal = DealFactory(tenant=tenant_a, contact=merged, name="Big deal")
    change = DealStageChangeFactory(tenant=tenant_a, deal=deal)
    InteractionFactory(tenant=tenant_a, contact=merged, subject="Met at the fair")
    InteractionFactory(tenant=tenant_a, contact=survivor, subject="First call")
    with tenant_context(tenant_a.id):
        duplicates_detect_for_contact(tenant=tenant_a, contact=merged)
        assert DuplicateCandidate.objects.count() == 1

    url = f"/customers/duplicates/merge/{survivor.pk}/?with={merged.pk}"
    screen = alice_client.get(url).content.decode()
    assert "Merge and delete John Smith" in screen
    response = alice_client.post(url, {"survivor_version": 1, "merged_version": 1, "choice_first_name": "merged"})
    assert response.status_code == 302 and response["Location"] == f"/customers/contacts/{survivor.pk}/"

    with tenant_context(tenant_a.id):
        assert not Contact.objects.filter(pk=merged.pk).exists()
        assert Order.objects.get().contact_id == survivor.pk
        assert Deal.objects.get().contact_id == survivor.pk
        assert DealStageChange.objects.get().pk == change.pk and change.deal_id == deal.pk  # stays with its deal
        assert sorted(Interaction.objects.values_list("contact_id", flat=True)) == [survivor.pk, survivor.pk]
        assert DuplicateCandidate.objects.count() == 0
        record = ContactMerge.objects.get()
        assert record.survivor_id == survivor.pk and record.merged_contact_id == merged.pk
        assert record.snapshot["email"] == "john@acme.example"
        assert record.moved == {
            "customers.order.contact": 1,
            "customers.deal.contact": 1,
            "interactions.interaction.contact": 1,
        }
    page = alice_client.get(f"/customers/contacts/{survivor.pk}/").content.decode()
    assert "Merged John Smith into this contact" in page
    assert re.search(r"Moved: (1 (orders|deals|interactions)(, )?){3}<", page)


@pytest.mark.django_db
def test_merge_honours_field_choices_unites_tags_and_keeps_the_latest_consent(tenant_a, alice):
    survivor, merged = make_pair(tenant_a)
    with tenant_context(tenant_a.id):
        contact_merge(
            tenant=tenant_a, survivor=survivor, merged=merged, by=alice,
            choices={"first_name": "survivor", "email": "merged", "cf:tier": "survivor"},
        )  # fmt: skip
        result = Contact.objects.get(pk=survivor.pk)
    assert result.first_name == "Jon"  # chosen
    assert result.email == "john@acme.example"  # chosen
    assert result.phone == "+12025550143"  # default: the non-empty value
    assert result.tags == ["vip", "trade-show"]  # united
    assert result.email_consent and result.email_consent_source == "form"  # the most recent decision, with its stamp
    assert result.email_consent_at == merged.email_consent_at
    assert result.custom_fields == {"tier": "gold", "region": "north", "size": "5"}  # merged key by key
    assert result.version == 2 and result.updated_by == alice


@pytest.mark.django_db
def test_merge_refuses_a_contact_with_itself(alice_client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a)
    response = alice_client.post(f"/customers/duplicates/merge/{contact.pk}/?with={contact.pk}", {})
    assert response.status_code == 400
    assert "cannot be merged with itself" in response.content.decode()
    with tenant_context(tenant_a.id), pytest.raises(MergeError, match="itself"):
        contact_merge(tenant=tenant_a, survivor=contact, merged=contact, choices={}, by=alice)
    with tenant_context(tenant_a.id):
        assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db
def test_merge_with_another_tenants_contact_is_a_404_and_changes_nothing(
    alice_client, charlie_client, tenant_a, tenant_b
):
    mine = ContactFactory(tenant=tenant_a)
    theirs = ContactFactory(tenant=tenant_b)
    OrderFactory(tenant=tenant_b, contact=theirs)
    assert alice_client.post(f"/customers/duplicates/merge/{mine.pk}/?with={theirs.pk}", {}).status_code == 404
    assert alice_client.get(f"/customers/duplicates/merge/{mine.pk}/?with={theirs.pk}").status_code == 404
    assert charlie_client.get(f"/customers/duplicates/merge/{theirs.pk}/?with={mine.pk}").status_code == 404
    pair = DuplicateCandidateFactory(tenant=tenant_a)
    assert charlie_client.post(f"/customers/duplicates/{pair.pk}/dismiss/").status_code == 404
    with tenant_context(tenant_b.id):
        assert Order.objects.get().contact_id == theirs.pk


@pytest.mark.django_db
def test_a_stale_merge_screen_is_refused_and_changes_nothing(alice_client, tenant_a):
    survivor, merged = make_pair(tenant_a)
    OrderFactory(tenant=tenant_a, contact=merged)
    with tenant_context(tenant_a.id):
        Contact.objects.filter(pk=merged.pk).update(version=2, title="Changed meanwhile")
    url = f"/customers/duplicates/merge/{survivor.pk}/?with={merged.pk}"
    response = alice_client.post(url, {"survivor_version": 1, "merged_version": 1})
    assert response.status_code == 409
    assert "was changed after you opened this page" in response.content.decode()
    assert "Nothing was merged" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert Contact.objects.filter(pk=merged.pk).exists() and Order.objects.get().contact_id == merged.pk
        assert not ContactMerge.objects.exists()
    with tenant_context(tenant_a.id), pytest.raises(ConcurrentEditError):
        contact_merge(tenant=tenant_a, survivor=survivor, merged=merged, choices={}, by=None, merged_version=1)


@pytest.mark.django_db
def test_unknown_choices_are_refused(tenant_a, alice):
    survivor, merged = make_pair(tenant_a)
    with tenant_context(tenant_a.id), pytest.raises(MergeError, match="Unknown field “nickname”"):
        contact_merge(tenant=tenant_a, survivor=survivor, merged=merged, choices={"nickname": "merged"}, by=alice)


@pytest.mark.django_db
def test_a_read_only_role_may_not_review_or_merge(bob_client, tenant_a):
    survivor, merged = make_pair(tenant_a)
    pair = DuplicateCandidateFactory(tenant=tenant_a, contact_a=survivor, contact_b=merged)
    assert bob_client.get("/customers/duplicates/").status_code == 403
    assert bob_client.post(f"/customers/duplicates/{pair.pk}/dismiss/").status_code == 403
    assert bob_client.post(f"/customers/duplicates/merge/{survivor.pk}/?with={merged.pk}", {}).status_code == 403
    assert "/customers/duplicates/" not in bob_client.get("/customers/contacts/").content.decode()


@pytest.mark.django_db
def test_the_queue_shows_an_empty_state(alice_client, tenant_a):
    page = alice_client.get("/customers/duplicates/").content.decode()
    assert "No possible duplicates" in page


def seed_pairs(tenant, count: int) -> None:
    for index in range(count):
        account = AccountFactory(tenant=tenant, name=f"Company {index}")
        a = ContactFactory(tenant=tenant, account=account)
        b = ContactFactory(tenant=tenant, account=account)
        DuplicateCandidateFactory(tenant=tenant, contact_a=a, contact_b=b, score=50 + index % 50)


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_10_and_50_rows(alice_client, tenant_a, django_assert_num_queries):
    seed_pairs(tenant_a, 10)
    alice_client.get("/customers/duplicates/")  # warm the session
    with CaptureQueriesContext(connection) as ten:
        alice_client.get("/customers/duplicates/")
    seed_pairs(tenant_a, 40)
    with django_assert_num_queries(len(ten.captured_queries)):
        page = alice_client.get("/customers/duplicates/").content.decode()
    assert page.count('data-testid="duplicate-pair"') == 50


@pytest.mark.django_db
def test_the_queue_pages_walk_every_pair_once_best_first(alice_client, tenant_a):
    seed_pairs(tenant_a, 120)
    scores: list[int] = []
    url = "/customers/duplicates/"
    while url:
        page = alice_client.get(url).content.decode()
        scores += [int(s) for s in re.findall(r'badge text-bg-primary">(\d+)%', page)]
        more = re.search(r'href="(\?after=[^"]+)"', page)
        url = f"/customers/duplicates/{more.group(1)}" if more else ""
    assert len(scores) == 120 and scores == sorted(scores, reverse=True)


@pytest.mark.django_db(transaction=True)
def test_a_relation_added_later_moves_too(tenant_a, alice):
    """A model pointing at contacts that this code has never heard of (say, list memberships,
    with one membership per list and contact): the merge finds it through the relations."""

    class Membership(models.Model):
        contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
        list_name = models.CharField(max_length=20)

        class Meta:
            app_label = "customers"
            db_table = "test_duplicates_membership"
            constraints = [models.UniqueConstraint(fields=["list_name", "contact"], name="test_dup_member_uniq")]

        def __str__(self) -> str:
            return self.list_name

    with connections["owner"].schema_editor() as editor:
        editor.create_model(Membership)
    with connections["owner"].cursor() as cursor:
        cursor.execute("GRANT ALL ON test_duplicates_membership TO CURRENT_USER")
        cursor.execute("SELECT current_database()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        runtime_role = cursor.fetchone()[0]
    with connections["owner"].cursor() as cursor:
        cursor.execute(f'GRANT ALL ON test_duplicates_membership TO "{runtime_role}"')
        cursor.execute(f'GRANT ALL ON SEQUENCE test_duplicates_membership_id_seq TO "{runtime_role}"')
    try:
        survivor, merged = make_pair(tenant_a)
        Membership.objects.create(contact=merged, list_name="newsletter")
        Membership.objects.create(contact=merged, list_name="vip")
        Membership.objects.create(contact=survivor, list_name="vip")
        with tenant_context(tenant_a.id):
            record = contact_merge(tenant=tenant_a, survivor=survivor, merged=merged, choices={}, by=alice)
        assert sorted(Membership.objects.values_list("list_name", "contact_id")) == [
            ("newsletter", survivor.pk),
            ("vip", survivor.pk),
        ]
        assert record.moved["customers.membership.contact"] == 1
    finally:
        with connections["owner"].schema_editor() as editor:
            editor.delete_model(Membership)
        from django.apps import apps

        del apps.all_models["customers"]["membership"]
        apps.clear_cache()
