"""The cleaning run and the data-quality page: what gets tidied, what gets flagged, the counts,
the real task path, the nightly dispatcher, access, and a page whose query count does not grow."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.quality import services
from analytics.quality.models import DataQualityIssue, DataQualityRun
from analytics.quality.tasks import dispatch_nightly_data_quality, run_data_quality
from crm.celery import app as celery_app
from crm.roles import Capability, Role, role_can
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact, DuplicateCandidate
from tests.conftest import PASSWORD, client_for
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401  (the real-worker fixture)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DataQualityRunFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

PAGE = "/analytics/data-quality/"


@pytest.fixture
def eager_tasks():
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def sam(tenant_a):
    """A sales rep: sees analytics (every role reads them) but may not start a run."""
    user = UserFactory(email="sam@acme.example", full_name="Sam Sales", password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


def clean(tenant, by=None) -> DataQualityRun:
    """One cleaning run, straight through the task body."""
    with tenant_context(tenant.id):
        run = DataQualityRun.objects.create(tenant=tenant, requested_by=by)
        services.data_quality_run_execute(tenant=tenant, run_id=run.pk)
        run.refresh_from_db()
    return run


def contact_rows(tenant, *fields):
    with tenant_context(tenant.id):
        return {row[0]: row[1:] for row in Contact.objects.order_by("pk").values_list("pk", *fields)}


def account_rows(tenant, *fields):
    with tenant_context(tenant.id):
        return {row[0]: row[1:] for row in Account.objects.order_by("pk").values_list("pk", *fields)}


# Normalising ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cleaning_changes_exactly_the_unclean_rows_and_a_second_run_changes_none(tenant_a, tenant_b, alice):
    tidy = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="McDonald", email="ann@acme.example",
                          phone="+12025550143", country="US")  # fmt: skip
    dutch = ContactFactory(tenant=tenant_a, first_name="Joost", last_name="van der Berg", email="", country="NL")
    email = ContactFactory(tenant=tenant_a, first_name="Bob", last_name="Stone", email="  Bob@ACME.Example ")
    idna = ContactFactory(tenant=tenant_a, first_name="Ute", last_name="Kraus", email="Ute@Bücher.EXAMPLE")
    phone = ContactFactory(tenant=tenant_a, first_name="Cy", last_name="Ng", email="", phone="(202) 555-0144")
    country = ContactFactory(tenant=tenant_a, first_name="Dirk", last_name="Bauer", email="", country="de")
    names = ContactFactory(tenant=tenant_a, first_name="  Carla\u00a0 ", last_name="van   der\tBerg", email="")
    clean_account = AccountFactory(tenant=tenant_a, name="Acme", phone="+12025550100", country="US")
    messy_account = AccountFactory(tenant=tenant_a, name="  Globex   Corp ", phone="202 555 0199", country="gb")
    other_tenant = ContactFactory(tenant=tenant_b, email="  Zed@Other.Example")
    before = contact_rows(tenant_a, "version", "updated_at")

    run = clean(tenant_a, by=alice)

    after = contact_rows(tenant_a, "first_name", "last_name", "email", "phone", "country", "version", "updated_by")
    assert after[tidy.pk] == ("Ann", "McDonald", "ann@acme.example", "+12025550143", "US", 1, None)
    assert after[dutch.pk][:2] == ("Joost", "van der Berg") and after[dutch.pk][5] == 1  # no case changes
    assert after[email.pk][2:3] == ("bob@acme.example",)
    assert after[idna.pk][2:3] == ("ute@bücher.example",)
    assert after[phone.pk][3:4] == ("+12025550144",)
    assert after[country.pk][4:5] == ("DE",)
    assert after[names.pk][:2] == ("Carla", "van der Berg")
    changed = {email.pk, idna.pk, phone.pk, country.pk, names.pk}
    for pk, row in after.items():
        assert row[5] == (2 if pk in changed else 1), pk  # a version bump, like every other write
        assert row[6] == (alice.pk if pk in changed else None)
    updated_at = contact_rows(tenant_a, "updated_at")
    assert [pk for pk in before if updated_at[pk][0] != before[pk][1]] == sorted(changed)
    accounts = account_rows(tenant_a, "name", "phone", "country", "version")
    assert accounts[clean_account.pk] == ("Acme", "+12025550100", "US", 1)
    assert accounts[messy_account.pk] == ("Globex Corp", "+12025550199", "GB", 2)
    assert run.status == "done" and run.invalid == {}
    assert run.normalised == {
        "contact.email": 2, "contact.phone": 1, "contact.country": 1, "contact.first_name": 1,
        "contact.last_name": 1, "account.name": 1, "account.phone": 1, "account.country": 1,
    }  # fmt: skip
    assert contact_rows(tenant_b, "email", "version") == {other_tenant.pk: ("  Zed@Other.Example", 1)}

    second = clean(tenant_a)

    assert second.normalised == {} and second.invalid == {}
    assert contact_rows(tenant_a, "version", "updated_at") == {
        pk: (row[5], updated_at[pk][0]) for pk, row in after.items()
    }


@pytest.mark.django_db
def test_a_record_edited_while_the_run_reads_it_keeps_the_edit(tenant_a, monkeypatch):
    contact = ContactFactory(tenant=tenant_a, email="OLD@acme.example")
    real_write = services._write_chunk

    def someone_saves_first(*args, **kwargs):
        with tenant_context(tenant_a.id):
            Contact.objects.filter(pk=contact.pk).update(email="new@acme.example", version=2)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(services, "_write_chunk", someone_saves_first)
    run = clean(tenant_a)

    assert contact_rows(tenant_a, "email", "version") == {contact.pk: ("new@acme.example", 2)}
    assert run.normalised == {}  # counted only when written


# Flagging -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_values_it_cannot_fix_are_flagged_with_field_and_problem_and_left_alone(tenant_a):
    bad_email = ContactFactory(tenant=tenant_a, email="not-an-email", phone="")
    bad_phone = ContactFactory(tenant=tenant_a, email="", phone="12")
    bad_country = ContactFactory(tenant=tenant_a, email="", country="UK")  # GB's ISO code; no guessing
    account = AccountFactory(tenant=tenant_a, phone="call us", country="ZZ")
    ContactFactory(tenant=tenant_a, email="", phone="", country="")  # empty is missing, not invalid

    run = clean(tenant_a)

    with tenant_context(tenant_a.id):
        issues = set(DataQualityIssue.objects.values_list("record_type", "record_id", "field", "problem", "value"))
    assert issues == {
        ("contact", bad_email.pk, "email", "invalid_email", "not-an-email"),
        ("contact", bad_phone.pk, "phone", "invalid_phone", "12"),
        ("contact", bad_country.pk, "country", "unknown_country", "UK"),
        ("account", account.pk, "phone", "invalid_phone", "call us"),
        ("account", account.pk, "country", "unknown_country", "ZZ"),
    }
    assert run.invalid == {"contact.email": 1, "contact.phone": 1, "contact.country": 1,
                           "account.phone": 1, "account.country": 1}  # fmt: skip
    assert {row[1] for row in contact_rows(tenant_a, "version").items()} == {(1,)}
    assert contact_rows(tenant_a, "email")[bad_email.pk] == ("not-an-email",)


@pytest.mark.django_db
def test_flagged_rows_are_capped_per_field_but_counted_in_full_across_chunks(tenant_a, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)  # five contacts: three keyset chunks
    monkeypatch.setattr(services, "ISSUE_ROWS_PER_FIELD", 2)
    for index in range(4):
        ContactFactory(tenant=tenant_a, email=f"broken{index}", phone="")
    ContactFactory(tenant=tenant_a, email="Fine@Acme.Example", phone="")

    run = clean(tenant_a)

    with tenant_context(tenant_a.id):
        assert DataQualityIssue.objects.filter(field="email").count() == 2
    assert run.invalid == {"contact.email": 4}
    assert run.normalised == {"contact.email": 1}
    assert run.contacts == 5 and run.stages["contacts"]["done"] == 5


@pytest.mark.django_db
def test_only_the_latest_runs_flagged_values_are_kept(tenant_a):
    ContactFactory(tenant=tenant_a, email="broken")
    first = clean(tenant_a)
    second = clean(tenant_a)
    with tenant_context(tenant_a.id):
        assert set(DataQualityIssue.objects.values_list("run_id", flat=True)) == {second.pk}
    assert first.invalid == second.invalid == {"contact.email": 1}  # the trend keeps every run's counts


# Counting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completeness_is_exact_on_a_small_hand_made_tenant(tenant_a, alice):
    acme = AccountFactory(tenant=tenant_a, industry="Retail", employees=40, website="https://acme.example",
                          country="US")  # fmt: skip
    AccountFactory(tenant=tenant_a, industry="", employees=None, website="", country="")
    ContactFactory(tenant=tenant_a, email="a@acme.example", phone="+12025550143", account=acme, owner=alice,
                   city="Boston", country="US", birthday=date(1980, 5, 1), email_consent=True)  # fmt: skip
    ContactFactory(tenant=tenant_a, email="b@acme.example", phone="", account=acme, city="Boston", sms_consent=True)
    ContactFactory(tenant=tenant_a, email="", phone="+12025550144", country="CA")
    ContactFactory(tenant=tenant_a, email="", phone="")
    ContactFactory(tenant=TenantFactory(slug="elsewhere"), email="x@else.example", city="Paris")

    run = clean(tenant_a)

    assert (run.contacts, run.accounts) == (4, 2)
    assert run.completeness == {
        "contact.email": 2, "contact.phone": 2, "contact.account": 2, "contact.owner": 1, "contact.city": 2,
        "contact.country": 2, "contact.birthday": 1, "contact.consent": 2,
        "account.industry": 1, "account.employees": 1, "account.website": 1, "account.country": 1,
    }  # fmt: skip
    assert run.share("contact.email") == 0.5 and run.share("account.website") == 0.5


@pytest.mark.django_db
def test_completeness_is_one_aggregate_query_per_table(tenant_a):
    ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id), CaptureQueriesContext(connection) as queries:
        services.data_quality_completeness()
    assert len(queries) == 2


@pytest.mark.django_db
def test_duplicate_candidates_are_found_and_counted(tenant_a):
    first = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="Ann.Lee@Acme.Example")
    second = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann.lee@acme.example")
    ContactFactory(tenant=tenant_a, first_name="Zoe", last_name="Quist", email="zoe@other.example")

    run = clean(tenant_a)

    assert run.duplicate_pairs == 1
    with tenant_context(tenant_a.id):
        pair = DuplicateCandidate.objects.get()
    assert (pair.contact_a_id, pair.contact_b_id, pair.status) == (first.pk, second.pk, "open")


# The task -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_claims_its_run_once_and_records_every_stage(tenant_a, eager_tasks):
    ContactFactory(tenant=tenant_a, email="A@Acme.Example")
    with tenant_context(tenant_a.id):
        run = DataQualityRun.objects.create(tenant=tenant_a)
    run_data_quality.apply(args=[tenant_a.id, run.pk]).get()
    with tenant_context(tenant_a.id):
        run.refresh_from_db()
        Contact.objects.update(email="B@Acme.Example")  # would be tidied by a second execution
    assert run.status == "done" and run.progress == 100 and run.finished_at
    assert set(run.stages) == {"contacts", "accounts", "completeness", "duplicates"}  # jsonb: no key order
    assert all(stage["done"] == stage["total"] for stage in run.stages.values())

    run_data_quality.apply(args=[tenant_a.id, run.pk]).get()  # redelivered: already finished, does nothing

    assert contact_rows(tenant_a, "email") == {pk: ("B@Acme.Example",) for pk in contact_rows(tenant_a, "pk")}


@pytest.mark.django_db
def test_a_run_whose_worker_went_silent_gives_way_to_a_new_one(tenant_a, alice):
    with tenant_context(tenant_a.id):
        stuck = DataQualityRun.objects.create(
            tenant=tenant_a, status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        fresh = services.data_quality_run_start(tenant=tenant_a, by=alice)
        stuck.refresh_from_db()
    assert fresh.pk != stuck.pk and fresh.status == "queued"
    assert stuck.status == "failed" and "worker was lost" in stuck.error


@pytest.mark.worker
def test_a_cleaning_run_goes_through_a_real_worker(celery_worker_process, tenant_a, tenant_b):  # noqa: F811
    alice = UserFactory(email="alice@acme.example", full_name="Alice Admin", password=PASSWORD)
    MembershipFactory(user=alice, tenant=tenant_a, role=Role.ADMIN)
    messy = ContactFactory(tenant=tenant_a, email=" Mixed@Case.Example", phone="202-555-0143")
    ContactFactory(tenant=tenant_b, email=" Other@Tenant.Example")
    client = client_for(alice)

    response = client.post(f"{PAGE}runs/")

    assert response.status_code == 302
    for _ in range(240):  # the worker runs it: wait for the outcome, not for a time
        with tenant_context(tenant_a.id):
            run = DataQualityRun.objects.get()
        if not run.is_active:
            break
        time.sleep(0.5)
    assert run.status == "done", run.error
    assert contact_rows(tenant_a, "email", "phone")[messy.pk] == ("mixed@case.example", "+12025550143")
    assert contact_rows(tenant_b, "email") == {pk: (" Other@Tenant.Example",) for pk in contact_rows(tenant_b, "pk")}
    assert 'data-status="done"' in client.get(f"{PAGE}runs/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()


# Nightly --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_nightly_dispatcher_queues_one_staggered_run_per_active_tenant(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    third = TenantFactory(slug="initech")
    TenantFactory(slug="closed", is_active=False)
    DataQualityRunFactory(tenant=tenant_a, status="running", heartbeat_at=timezone.now())  # still going: skipped

    with django_capture_on_commit_callbacks() as enqueued:
        queued = dispatch_nightly_data_quality.apply().get()

    assert queued == 2 and len(enqueued) == 2
    for tenant in (tenant_b, third):
        with tenant_context(tenant.id):
            assert list(DataQualityRun.objects.values_list("status", "trigger", "requested_by")) == [
                ("queued", "nightly", None)
            ]
    with tenant_context(tenant_a.id):
        assert DataQualityRun.objects.count() == 1
    entry = settings.CELERY_BEAT_SCHEDULE["data-quality-nightly"]
    assert entry["task"] == dispatch_nightly_data_quality.name and entry["task"] in celery_app.tasks


def test_nightly_runs_are_staggered_a_few_minutes_apart():
    offsets = [(index * services.STAGGER_SECONDS) % services.STAGGER_WINDOW for index in range(3)]
    assert offsets == [0, 180, 360]


# The page -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_before_the_first_run_the_page_says_so_and_offers_to_run(alice_client):
    page = alice_client.get(PAGE).content.decode()
    assert "No cleaning run yet" in page and "Run cleaning now" in page
    assert "chart-dq-data" not in page


@pytest.mark.django_db
def test_run_now_then_the_page_shows_completeness_invalid_counts_duplicates_and_a_summary(
    alice_client, tenant_a, eager_tasks, django_capture_on_commit_callbacks
):
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ANN@acme.example", phone="")
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@acme.example", phone="(202) 555-0143")
    ContactFactory(tenant=tenant_a, email="broken", phone="")
    AccountFactory(tenant=tenant_a, website="")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"{PAGE}runs/")

    assert response.status_code == 302
    page = alice_client.get(PAGE).content.decode()
    with tenant_context(tenant_a.id):
        run = DataQualityRun.objects.get()
    assert run.status == "done"
    assert "It tidied 1 email, 1 phone number." in page
    assert re.search(r"Phone</span>.*?1 · <span[^>]*>33%</span>", page, re.S)  # 1 of 3 contacts has a phone
    assert re.search(r"Email</span>.*?3 · <span[^>]*>100%</span>", page, re.S)  # "broken" is filled in, if invalid
    assert f'href="{PAGE}runs/{run.pk}/issues/?field=contact.email"' in page
    assert 'href="/customers/duplicates/"' in page and 'data-testid="dq-duplicates"' in page
    assert "chart-dq-data" in page and "No cleaning run yet" not in page


@pytest.mark.django_db
def test_a_queued_run_shows_a_polled_progress_bar_and_the_page_reloads_when_it_ends(alice_client, tenant_a):
    run = DataQualityRunFactory(tenant=tenant_a, status="running", stage="contacts", progress=30,
                                heartbeat_at=timezone.now())  # fmt: skip
    page = alice_client.get(PAGE).content.decode()
    assert "Cleaning contacts" in page and "30%" in page and 'hx-trigger="every 1s"' in page
    assert "disabled" in page  # one run at a time

    with tenant_context(tenant_a.id):
        DataQualityRun.objects.filter(pk=run.pk).update(status="done", progress=100, finished_at=timezone.now())
    progress = alice_client.get(f"{PAGE}runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_the_drill_down_lists_flagged_values_with_links_to_their_records(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, first_name="Broken", last_name="Mail", email="nope")
    account = AccountFactory(tenant=tenant_a, name="Odd Phone Ltd", phone="abc")
    run = clean(tenant_a)

    emails = alice_client.get(f"{PAGE}runs/{run.pk}/issues/?field=contact.email").content.decode()
    phones = alice_client.get(f"{PAGE}runs/{run.pk}/issues/?field=account.phone").content.decode()

    assert f'href="/customers/contacts/{contact.pk}/"' in emails and "Broken Mail" in emails and "nope" in emails
    assert "Not a valid email address" in emails
    assert f'href="/customers/accounts/{account.pk}/"' in phones and "Odd Phone Ltd" in phones
    assert alice_client.get(f"{PAGE}runs/{run.pk}/issues/?field=contact.notes").status_code == 404


@pytest.mark.django_db
def test_a_rep_who_sees_only_their_own_records_sees_only_their_flagged_values(tenant_a, sam):
    tenant_a.record_visibility = {Role.SALES: "own"}
    tenant_a.save()
    ContactFactory(tenant=tenant_a, first_name="Mine", email="mine-broken", owner=sam)
    ContactFactory(tenant=tenant_a, first_name="Theirs", email="theirs-broken")
    run = clean(tenant_a)

    page = client_for(sam).get(f"{PAGE}runs/{run.pk}/issues/?field=contact.email").content.decode()

    assert "mine-broken" in page and "theirs-broken" not in page


@pytest.mark.django_db
def test_viewing_needs_analytics_view_and_starting_needs_analytics_run(bob_client, sam, tenant_a):
    assert role_can(Role.SALES, Capability.ANALYTICS_VIEW) and not role_can(Role.SALES, Capability.ANALYTICS_RUN)
    rep = client_for(sam)
    assert rep.get(PAGE).status_code == 200
    assert "Run cleaning now" not in rep.get(PAGE).content.decode()
    assert rep.post(f"{PAGE}runs/").status_code == 403
    with tenant_context(tenant_a.id):
        assert not DataQualityRun.objects.exists()
    # bob (analyst) reads the page; whether he may start runs is the role map's call (crm/roles.py).
    assert bob_client.get(PAGE).status_code == 200
    expected = 302 if role_can(Role.ANALYST, Capability.ANALYTICS_RUN) else 403
    assert bob_client.post(f"{PAGE}runs/").status_code == expected


@pytest.mark.django_db
def test_charlie_gets_404_on_tenant_as_run_and_its_flagged_values(tenant_a, charlie_client):
    ContactFactory(tenant=tenant_a, email="broken")
    run = clean(tenant_a)
    for url in (f"{PAGE}runs/{run.pk}/", f"{PAGE}runs/{run.pk}/issues/?field=contact.email"):
        assert charlie_client.get(url).status_code == 404
    assert "broken" not in charlie_client.get(PAGE).content.decode()


@pytest.mark.django_db
def test_the_page_and_the_drill_down_take_the_same_queries_at_10_and_50_rows(alice_client, tenant_a):
    counts = {}
    for rows in (10, 50):
        with tenant_context(tenant_a.id):
            DataQualityRun.objects.all().delete()
        ContactFactory.create_batch(rows - len(contact_rows(tenant_a, "pk")), tenant=tenant_a, email="broken")
        run = clean(tenant_a)
        for _ in range(rows // 10):
            DataQualityRunFactory(tenant=tenant_a, status="done", contacts=rows, finished_at=timezone.now())
        alice_client.get(PAGE)
        with CaptureQueriesContext(connection) as page:
            alice_client.get(PAGE)
        with CaptureQueriesContext(connection) as issues:
            response = alice_client.get(f"{PAGE}runs/{run.pk}/issues/?field=contact.email")
        assert len(re.findall(r'href="/customers/contacts/\d+/"', response.content.decode())) == rows
        counts[rows] = (len(page), len(issues))
    assert counts[10] == counts[50]
