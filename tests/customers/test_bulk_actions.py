"""Bulk actions on the contact, account and deal lists: in the request when small, as a chunked
Celery job when large, never across tenants or past record visibility."""

from __future__ import annotations

import time

import pytest

from crm.celery import app as celery_app
from crm.lists import bulk
from crm.lists.models import BulkJob, BulkJobStatus
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact, Deal, DealStageChange, Order, StageKind
from tests.conftest import PASSWORD, client_for
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401  (the real-worker fixture)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    OrderFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
)
from tests.test_browser import browser  # noqa: F401  (the Playwright fixture)


@pytest.fixture
def eager_tasks():
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def rows(tenant, model, *fields, **filters):
    with tenant_context(tenant.id):
        return list(model.objects.filter(**filters).order_by("pk").values_list(*fields))


def post_bulk(client, list_key, action, ids=(), *, confirm=True, **fields):
    data = {"action": action, "ids": [str(i) for i in ids], "query": fields.pop("query", ""), **fields}
    if confirm:
        data["confirm"] = "1"
    return client.post(f"/lists/{list_key}/bulk/", data)


@pytest.fixture
def sam(tenant_a):
    user = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


@pytest.mark.django_db
def test_assign_owner_to_selected_contacts_in_the_request(alice_client, tenant_a, sam):
    chosen = [ContactFactory(tenant=tenant_a) for _ in range(3)]
    other = ContactFactory(tenant=tenant_a)
    response = post_bulk(alice_client, "contacts", "assign_owner", [c.pk for c in chosen], owner=str(sam.pk),
                         query="stage=lead")  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/?stage=lead"
    assert rows(tenant_a, Contact, "owner_id", "version") == [(sam.pk, 2)] * 3 + [(None, 1)]
    assert other.pk not in [c.pk for c in chosen]
    assert "Assign owner: 3 records done." in alice_client.get("/customers/contacts/").content.decode()


@pytest.mark.django_db
def test_the_confirmation_page_says_how_many_and_what_goes_with_a_delete(alice_client, tenant_a):
    contacts = [ContactFactory(tenant=tenant_a) for _ in range(2)]
    OrderFactory(tenant=tenant_a, contact=contacts[0])
    OrderFactory(tenant=tenant_a, contact=contacts[1])
    page = post_bulk(alice_client, "contacts", "delete", [c.pk for c in contacts], confirm=False).content.decode()
    assert "Delete 2 contacts?" in page
    assert "2 orders are deleted with them." in page and "This cannot be undone." in page
    assert len(rows(tenant_a, Contact, "pk")) == 2  # asking changed nothing
    assert post_bulk(alice_client, "contacts", "delete", [c.pk for c in contacts]).status_code == 302
    assert rows(tenant_a, Contact, "pk") == [] and rows(tenant_a, Order, "pk") == []


@pytest.mark.django_db
def test_tags_and_lifecycle_stage_change_in_bulk(alice_client, tenant_a):
    a = ContactFactory(tenant=tenant_a, tags=["vip"])
    b = ContactFactory(tenant=tenant_a, tags=[])
    post_bulk(alice_client, "contacts", "add_tag", [a.pk, b.pk], tag=" VIP ")
    assert rows(tenant_a, Contact, "tags") == [(["vip"],), (["vip"],)]
    post_bulk(alice_client, "contacts", "remove_tag", [a.pk], tag="vip")
    assert rows(tenant_a, Contact, "tags") == [([],), (["vip"],)]
    post_bulk(alice_client, "contacts", "lifecycle_stage", [a.pk, b.pk], lifecycle_stage="customer")
    assert rows(tenant_a, Contact, "lifecycle_stage") == [("customer",), ("customer",)]
    refused = post_bulk(alice_client, "contacts", "add_tag", [a.pk], tag="a,b")
    assert refused.status_code == 200 and "Enter one tag" in refused.content.decode()


@pytest.mark.django_db
def test_another_tenants_ids_are_a_404_and_change_nothing(alice_client, tenant_a, tenant_b, alice):
    ours = ContactFactory(tenant=tenant_a)
    theirs = ContactFactory(tenant=tenant_b)
    their_deal = DealFactory(tenant=tenant_b)
    response = post_bulk(alice_client, "contacts", "assign_owner", [ours.pk, theirs.pk], owner=str(alice.pk))
    assert response.status_code == 404
    assert post_bulk(alice_client, "contacts", "delete", [theirs.pk]).status_code == 404
    assert post_bulk(alice_client, "deals", "delete", [their_deal.pk]).status_code == 404
    assert post_bulk(alice_client, "contacts", "delete", ["1; drop"]).status_code == 404
    assert rows(tenant_a, Contact, "owner_id") == [(None,)]
    assert rows(tenant_b, Contact, "pk") == [(theirs.pk,)] and rows(tenant_b, Deal, "pk") == [(their_deal.pk,)]


@pytest.mark.django_db
def test_read_only_roles_get_403_and_see_no_checkboxes(bob_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    assert post_bulk(bob_client, "contacts", "delete", [contact.pk]).status_code == 403
    assert post_bulk(bob_client, "contacts", "assign_owner", [contact.pk], owner="none").status_code == 403
    assert "data-bulk-row" not in bob_client.get("/customers/contacts/").content.decode()
    assert rows(tenant_a, Contact, "pk") == [(contact.pk,)]


@pytest.mark.django_db
def test_a_sales_rep_may_edit_but_not_delete_in_bulk(tenant_a, sam):
    contact = ContactFactory(tenant=tenant_a)
    client = client_for(sam)
    assert post_bulk(client, "contacts", "delete", [contact.pk]).status_code == 403
    assert post_bulk(client, "contacts", "assign_owner", [contact.pk], owner=str(sam.pk)).status_code == 302


@pytest.fixture
def own_only(tenant_a, alice_client, sam):
    sally = UserFactory(email="sally@acme.example", full_name="Sally Seller")
    MembershipFactory(user=sally, tenant=tenant_a, role=Role.SALES)
    alice_client.post(
        "/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all", "analyst": "all"}
    )
    return {"sam": sam, "sally": sally}


@pytest.mark.django_db
def test_record_visibility_limits_what_a_rep_can_select(tenant_a, own_only):
    sam, sally = own_only["sam"], own_only["sally"]
    mine = ContactFactory(tenant=tenant_a, owner=sam)
    hers = ContactFactory(tenant=tenant_a, owner=sally)
    client = client_for(sam)
    assert post_bulk(client, "contacts", "add_tag", [mine.pk, hers.pk], tag="x").status_code == 404
    assert rows(tenant_a, Contact, "tags") == [([],), ([],)]


@pytest.mark.django_db
def test_all_matching_runs_as_a_job_with_the_reps_visibility(tenant_a, own_only, eager_tasks,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    sam, sally = own_only["sam"], own_only["sally"]
    for _ in range(3):
        ContactFactory(tenant=tenant_a, owner=sam, lifecycle_stage="lead")
    ContactFactory(tenant=tenant_a, owner=sally, lifecycle_stage="lead")
    ContactFactory(tenant=tenant_a, owner=sam, lifecycle_stage="customer")
    client = client_for(sam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/lists/contacts/bulk/", {"action": "add_tag", "all": "1", "query": "stage=lead",
                                                         "confirm": "1", "tag": "spring"})  # fmt: skip
    assert response.status_code == 302 and response["Location"].startswith("/lists/jobs/")
    with tenant_context(tenant_a.id):
        job = BulkJob.objects.get()
        tagged = sorted(Contact.objects.filter(tags__contains=["spring"]).values_list("owner_id", flat=True))
    assert (job.status, job.total, job.done, job.errors) == (BulkJobStatus.DONE, 3, 3, 0)
    assert tagged == [sam.pk] * 3  # not Sally's lead, not Sam's customer
    page = client.get(response["Location"]).content.decode()
    assert "100%" in page and "3 records processed." in page


@pytest.mark.django_db
def test_a_job_runs_once_and_resumes_after_its_last_chunk(tenant_a, alice, monkeypatch):
    contacts = [ContactFactory(tenant=tenant_a) for _ in range(5)]
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 2)
    with tenant_context(tenant_a.id):
        job = BulkJob.objects.create(
            tenant=tenant_a, list_key="contacts", action="add_tag", total=5, created_by=alice,
            params={"values": {"tag": "x"}, "ids": [c.pk for c in contacts], "query": ""},
            last_id=contacts[1].pk, done=2,  # a previous run committed the first chunk, then died
        )  # fmt: skip
        bulk.bulk_job_run(job_id=job.pk)
        bulk.bulk_job_run(job_id=job.pk)  # delivered twice: finds it claimed
        job.refresh_from_db()
        tagged = list(Contact.objects.filter(tags__contains=["x"]).order_by("pk").values_list("pk", flat=True))
    assert (job.status, job.done) == (BulkJobStatus.DONE, 5)
    assert tagged == [c.pk for c in contacts[2:]]


@pytest.fixture
def pipelines(tenant_a):
    sales, renewals = PipelineFactory(tenant=tenant_a, name="Sales"), PipelineFactory(tenant=tenant_a, name="Renewals")
    stages = {
        "qualify": StageFactory(tenant=tenant_a, pipeline=sales, name="Qualify"),
        "won": StageFactory(tenant=tenant_a, pipeline=sales, name="Won", kind=StageKind.WON),
        "lost": StageFactory(tenant=tenant_a, pipeline=sales, name="Lost", kind=StageKind.LOST),
        "renew": StageFactory(tenant=tenant_a, pipeline=renewals, name="Renew"),
    }
    return {"sales": sales, "renewals": renewals, **stages}


@pytest.mark.django_db
def test_deals_move_only_to_stages_of_their_pipeline(alice_client, tenant_a, pipelines):
    sales_deals = [DealFactory(tenant=tenant_a, pipeline=pipelines["sales"], stage=pipelines["qualify"])
                   for _ in range(2)]  # fmt: skip
    renewal = DealFactory(tenant=tenant_a, pipeline=pipelines["renewals"], stage=pipelines["renew"])
    ids = [d.pk for d in sales_deals] + [renewal.pk]
    refused = post_bulk(alice_client, "deals", "deal_stage", ids, stage=str(pipelines["won"].pk))
    assert refused.status_code == 400
    assert "belongs to the pipeline “Sales”, but 1 selected deal is in another pipeline" in refused.content.decode()
    assert rows(tenant_a, Deal, "stage_id") == [(pipelines["qualify"].pk,)] * 2 + [(pipelines["renew"].pk,)]

    lost = post_bulk(alice_client, "deals", "deal_stage", ids[:2], stage=str(pipelines["lost"].pk))
    assert "Say why these deals were lost." in lost.content.decode()
    moved = post_bulk(alice_client, "deals", "deal_stage", ids[:2], stage=str(pipelines["won"].pk))
    assert moved.status_code == 302
    with tenant_context(tenant_a.id):
        won = list(Deal.objects.filter(pk__in=ids[:2]).values_list("stage_id", "closed_at"))
        history = DealStageChange.objects.filter(deal__in=ids[:2], to_stage=pipelines["won"]).count()
    assert all(stage == pipelines["won"].pk and closed for stage, closed in won)
    assert history == 2  # on the deals' timelines, as a board move would be


@pytest.mark.django_db
def test_a_stage_of_another_tenant_is_not_a_choice(alice_client, tenant_a, tenant_b, pipelines):
    deal = DealFactory(tenant=tenant_a, pipeline=pipelines["sales"], stage=pipelines["qualify"])
    foreign = StageFactory(tenant=tenant_b)
    response = post_bulk(alice_client, "deals", "deal_stage", [deal.pk], stage=str(foreign.pk))
    assert "Select a valid choice" in response.content.decode()
    assert rows(tenant_a, Deal, "stage_id") == [(pipelines["qualify"].pk,)]


@pytest.mark.django_db
def test_accounts_get_a_new_owner_and_deletes_say_contacts_stay(alice_client, tenant_a, sam):
    account = AccountFactory(tenant=tenant_a)
    ContactFactory(tenant=tenant_a, account=account)
    post_bulk(alice_client, "accounts", "assign_owner", [account.pk], owner=str(sam.pk))
    assert rows(tenant_a, Account, "owner_id") == [(sam.pk,)]
    page = post_bulk(alice_client, "accounts", "delete", [account.pk], confirm=False).content.decode()
    assert "1 contact stays, without its account." in page


@pytest.mark.django_db
def test_more_than_the_in_request_limit_becomes_a_job(alice_client, tenant_a, eager_tasks, monkeypatch,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    monkeypatch.setattr(bulk, "IN_REQUEST_LIMIT", 2)
    contacts = [ContactFactory(tenant=tenant_a) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_bulk(alice_client, "contacts", "lifecycle_stage", [c.pk for c in contacts],
                             lifecycle_stage="churned")  # fmt: skip
    assert response["Location"].startswith("/lists/jobs/")
    assert rows(tenant_a, Contact, "lifecycle_stage") == [("churned",)] * 3


@pytest.mark.worker
def test_a_large_bulk_action_runs_on_a_real_worker_with_progress(celery_worker_process, tenant_a, tenant_b):  # noqa: F811
    alice = UserFactory(email="alice@acme.example", full_name="Alice Admin", password=PASSWORD)
    MembershipFactory(user=alice, tenant=tenant_a, role=Role.ADMIN)
    with tenant_context(tenant_a.id):
        Contact.objects.bulk_create(Contact(tenant=tenant_a, first_name=f"C{i}", last_name="Bulk") for i in range(1200))
    ContactFactory(tenant=tenant_b, last_name="Bulk")
    client = client_for(alice)
    response = client.post("/lists/contacts/bulk/", {"action": "add_tag", "all": "1", "query": "q=bulk",
                                                     "confirm": "1", "tag": "autumn"})  # fmt: skip
    assert response.status_code == 302
    job_url = response["Location"]
    for _ in range(120):  # the worker runs it: wait for the outcome, not for a time
        with tenant_context(tenant_a.id):
            job = BulkJob.objects.get()
        if job.finished:
            break
        time.sleep(0.5)
    assert (job.status, job.total, job.done) == (BulkJobStatus.DONE, 1200, 1200), job.message
    assert len(rows(tenant_a, Contact, "pk", tags__contains=["autumn"])) == 1200
    assert rows(tenant_b, Contact, "tags") == [([],)]
    assert 'data-status="done"' in client.get(job_url, headers={"HX-Request": "true"}).content.decode()


@pytest.fixture
def bulk_workspace(transactional_db):
    """Created before the browser starts: Playwright's event loop forbids the ORM in the test body."""
    from tests.factories import TenantFactory

    tenant = TenantFactory(name="Acme Corporation", slug="acme-bulk")
    rep = UserFactory(email="rep@acme-bulk.example", full_name="Rita Rep", password=PASSWORD)
    MembershipFactory(user=rep, tenant=tenant, role=Role.SALES)
    for index in range(4):
        ContactFactory(tenant=tenant, first_name=f"Person{index}", last_name="Zed")
    return rep


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_selects_rows_and_assigns_them_an_owner(bulk_workspace, live_server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", bulk_workspace.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/customers/contacts/")
    assert page.is_disabled("[data-bulk-submit]")
    boxes = page.locator("input[data-bulk-row]")
    boxes.nth(0).check()
    boxes.nth(2).check()
    assert page.inner_text("[data-bulk-count]") == "2 selected"
    page.select_option("select[name=action]", "assign_owner")
    page.click("[data-bulk-submit]")
    page.wait_for_selector("[data-testid=bulk-confirm]")
    assert "Assign owner · 2 contacts" in page.inner_text("[data-testid=bulk-confirm]")
    page.select_option("select[name=owner]", label="Rita Rep")
    page.click("text=Apply")
    page.wait_for_selector("text=Assign owner: 2 records done.")
    owners = page.locator("#contact-rows tr td:last-child").all_inner_texts()
    assert owners == ["Rita Rep", "—", "Rita Rep", "—"]
    page.close()
