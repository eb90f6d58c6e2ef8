"""Deals: the board, create / edit / move / win / lose / delete, and the weighted forecast."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.deals.selectors import open_deals_for, weighted_forecast
from customers.deals.services import deal_move, pipeline_ensure_default
from customers.models import Deal, DealStageChange, Pipeline, Stage, StageKind
from tests.conftest import PASSWORD
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sales(tenant_a):
    """Tenant A's default pipeline and its stages by name."""
    with tenant_context(tenant_a.id):
        pipeline = pipeline_ensure_default(tenant=tenant_a)
        stages = {stage.name: stage for stage in Stage.objects.filter(pipeline=pipeline)}
    return pipeline, stages


@pytest.fixture
def sam(tenant_a):
    user = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


def deal_in(tenant, pk) -> Deal:
    with tenant_context(tenant.id):
        return Deal.objects.select_related("stage").get(pk=pk)


def history_of(tenant, deal) -> list[tuple[str | None, str]]:
    with tenant_context(tenant.id):
        changes = DealStageChange.objects.filter(deal_id=deal.pk).select_related("from_stage", "to_stage")
        return [
            (change.from_stage.name if change.from_stage else None, change.to_stage.name)
            for change in changes.order_by("changed_at", "id")
        ]


def a_deal(tenant, sales, stage="Qualification", **fields) -> Deal:
    pipeline, stages = sales
    return DealFactory(tenant=tenant, pipeline=pipeline, stage=stages[stage], **fields)


@pytest.mark.django_db
def test_opening_the_board_creates_the_default_pipeline_once(alice_client, tenant_a):
    first = alice_client.get("/deals/")
    alice_client.get("/deals/")
    assert first.status_code == 200
    assert "No deals in this pipeline yet" in first.content.decode()
    with tenant_context(tenant_a.id):
        assert list(Pipeline.objects.values_list("name", "is_default")) == [("Sales", True)]
        stages = list(Stage.objects.order_by("position").values_list("name", "win_probability", "kind"))
    assert stages == [
        ("Qualification", 10, "open"),
        ("Needs analysis", 25, "open"),
        ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]


@pytest.mark.django_db
def test_a_rep_creates_a_deal_in_the_tenant_currency_and_sees_its_history(alice, alice_client, tenant_a, sales):
    pipeline, stages = sales
    account = AccountFactory(tenant=tenant_a, name="Initech")
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", account=account)
    response = alice_client.post(
        "/deals/new/",
        {
            "name": "Initech renewal",
            "pipeline": pipeline.pk,
            "stage": stages["Proposal"].pk,
            "amount": "12000",
            "currency": "",
            "expected_close_date": "2026-12-15",
            "owner": alice.pk,
            "account": account.pk,
            "contact": contact.pk,
            "version": "1",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Deal created." in page and "Created in Proposal" in page and "Initech" in page
    with tenant_context(tenant_a.id):
        deal = Deal.objects.get(name="Initech renewal")
    assert (deal.amount, deal.currency, deal.closed_at, deal.version) == (Decimal("12000"), "USD", None, 1)
    assert history_of(tenant_a, deal) == [(None, "Proposal")]
    board = alice_client.get("/deals/").content.decode()
    assert "Initech renewal" in board and "12,000 USD" in board and "Ann Lee" in board


@pytest.mark.django_db
def test_bad_values_get_field_errors_and_nothing_is_saved(alice_client, tenant_a, sales):
    pipeline, stages = sales
    response = alice_client.post(
        "/deals/new/",
        {"name": "", "pipeline": pipeline.pk, "stage": stages["Proposal"].pk, "amount": "-5", "currency": "U1D"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page
    assert "The amount cannot be negative." in page
    assert "Use a three-letter currency code" in page
    with tenant_context(tenant_a.id):
        assert not Deal.objects.exists()


@pytest.mark.django_db
def test_editing_a_deal_bumps_its_version_and_records_a_stage_change(alice, alice_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales, name="Globex pilot")
    response = alice_client.post(
        f"/deals/{deal.pk}/edit/",
        {
            "name": "Globex pilot, phase 1",
            "pipeline": pipeline.pk,
            "stage": stages["Negotiation"].pk,
            "amount": "5000",
            "currency": "eur",
            "owner": alice.pk,
            "version": "1",
        },
        follow=True,
    )
    assert "Deal saved." in response.content.decode()
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.name, saved.amount, saved.currency, saved.stage.name, saved.version, saved.updated_by_id) == (
        "Globex pilot, phase 1",
        Decimal("5000"),
        "EUR",
        "Negotiation",
        2,
        alice.pk,
    )
    assert history_of(tenant_a, deal) == [("Qualification", "Negotiation")]


@pytest.mark.django_db
def test_an_edit_based_on_a_stale_version_is_refused(alice, alice_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales, name="Old name")
    with tenant_context(tenant_a.id):
        deal_move(tenant=tenant_a, deal=deal, stage=stages["Proposal"], expected_version=1, by=alice)
    response = alice_client.post(
        f"/deals/{deal.pk}/edit/",
        {
            "name": "My name",
            "pipeline": pipeline.pk,
            "stage": stages["Qualification"].pk,
            "amount": "1",
            "version": "1",
        },
    )
    assert "after you opened it" in response.content.decode()
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.name, saved.stage.name, saved.version) == ("Old name", "Proposal", 2)


@pytest.mark.django_db
def test_dragging_a_card_moves_the_deal_and_rerenders_the_board(alice_client, tenant_a, sales):
    _, stages = sales
    deal = a_deal(tenant_a, sales, name="Drag me")
    response = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Proposal"].pk, "version": "1"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="board"') and "<html" not in page  # the partial only
    assert "Drag me" in page and "board-error" not in page
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.stage.name, saved.version, saved.closed_at) == ("Proposal", 2, None)
    assert history_of(tenant_a, deal) == [("Qualification", "Proposal")]


@pytest.mark.django_db
def test_the_cards_stage_select_works_without_javascript(alice_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales)
    form = alice_client.get(f"/deals/{deal.pk}/move/")
    assert form.status_code == 200 and 'name="stage"' in form.content.decode()
    response = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Needs analysis"].pk, "version": "1"})
    assert response.status_code == 302 and response["Location"] == f"/deals/?pipeline={pipeline.pk}"
    assert deal_in(tenant_a, deal.pk).stage.name == "Needs analysis"


@pytest.mark.django_db
def test_winning_stamps_closed_at_and_reopening_clears_it(alice_client, tenant_a, sales):
    _, stages = sales
    deal = a_deal(tenant_a, sales)
    alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Won"].pk, "version": "1"}, **HTMX)
    won = deal_in(tenant_a, deal.pk)
    assert won.stage.kind == StageKind.WON and won.closed_at is not None
    assert timezone.now() - won.closed_at < timedelta(minutes=1)
    alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Negotiation"].pk, "version": "2"}, **HTMX)
    assert deal_in(tenant_a, deal.pk).closed_at is None
    assert history_of(tenant_a, deal) == [("Qualification", "Won"), ("Won", "Negotiation")]


@pytest.mark.django_db
def test_losing_requires_a_reason(alice_client, tenant_a, sales):
    _, stages = sales
    deal = a_deal(tenant_a, sales)
    lost = stages["Lost"].pk

    refused = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": lost, "version": "1", "lost_reason": " "}, **HTMX)
    assert "Say why the deal was lost." in refused.content.decode()
    no_js = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": lost, "version": "1"})
    assert no_js.status_code == 200 and "Say why the deal was lost." in no_js.content.decode()
    assert 'name="lost_reason"' in no_js.content.decode()
    unchanged = deal_in(tenant_a, deal.pk)
    assert (unchanged.stage.name, unchanged.version, unchanged.closed_at) == ("Qualification", 1, None)
    assert history_of(tenant_a, deal) == []

    alice_client.post(
        f"/deals/{deal.pk}/move/", {"stage": lost, "version": "1", "lost_reason": "Went with a competitor"}, **HTMX
    )
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.stage.name, saved.lost_reason) == ("Lost", "Went with a competitor")
    assert saved.closed_at is not None
    assert "Went with a competitor" in alice_client.get(f"/deals/{deal.pk}/").content.decode()


@pytest.mark.django_db
def test_a_lost_deal_saved_through_the_edit_form_needs_a_reason_too(alice, alice_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales)
    data = {"name": "X", "pipeline": pipeline.pk, "stage": stages["Lost"].pk, "amount": "1", "version": "1"}
    assert "Say why the deal was lost." in alice_client.post(f"/deals/{deal.pk}/edit/", data).content.decode()
    assert deal_in(tenant_a, deal.pk).stage.name == "Qualification"


@pytest.mark.django_db
def test_a_move_to_another_pipelines_stage_is_refused_and_changes_nothing(alice_client, tenant_a, sales):
    pipeline, _ = sales
    deal = a_deal(tenant_a, sales)
    other = StageFactory(tenant=tenant_a, pipeline=PipelineFactory(tenant=tenant_a, name="Renewals"), name="Signed")

    response = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": other.pk, "version": "1"}, **HTMX)
    assert "belongs to another pipeline" in response.content.decode()
    edit = alice_client.post(
        f"/deals/{deal.pk}/edit/",
        {"name": "X", "pipeline": pipeline.pk, "stage": other.pk, "amount": "1", "version": "1"},
    )
    assert "belongs to another pipeline" in edit.content.decode()
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.stage.name, saved.pipeline_id, saved.version, saved.name) == (
        "Qualification",
        pipeline.pk,
        1,
        deal.name,
    )
    assert history_of(tenant_a, deal) == []


@pytest.mark.django_db
def test_a_move_from_a_stale_card_is_refused(alice, alice_client, tenant_a, sales):
    _, stages = sales
    deal = a_deal(tenant_a, sales)
    with tenant_context(tenant_a.id):
        deal_move(tenant=tenant_a, deal=deal, stage=stages["Proposal"], expected_version=1, by=alice)
    response = alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Won"].pk, "version": "1"}, **HTMX)
    assert "after you opened it" in response.content.decode()
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.stage.name, saved.version, saved.closed_at) == ("Proposal", 2, None)


@pytest.mark.django_db
def test_deleting_asks_first_then_removes_the_deal_and_its_history(alice_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales, name="Short-lived")
    alice_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Proposal"].pk, "version": "1"}, **HTMX)
    confirm = alice_client.get(f"/deals/{deal.pk}/delete/").content.decode()
    assert "Delete Short-lived?" in confirm and "stage history (1 entry)" in confirm
    response = alice_client.post(f"/deals/{deal.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/deals/?pipeline={pipeline.pk}"
    with tenant_context(tenant_a.id):
        assert not Deal.objects.exists() and not DealStageChange.objects.exists()


@pytest.mark.django_db
def test_an_analyst_sees_the_board_read_only_and_gets_403_on_every_write(bob_client, tenant_a, sales):
    pipeline, stages = sales
    deal = a_deal(tenant_a, sales, name="Look, don't touch")
    board = bob_client.get("/deals/").content.decode()
    assert "Look, don&#x27;t touch" in board
    assert 'draggable="true"' not in board and "data-move-form" not in board and "New deal" not in board
    assert "kanban.js" not in board
    assert "/edit/" not in bob_client.get(f"/deals/{deal.pk}/").content.decode()
    assert bob_client.get("/deals/forecast/").status_code == 200

    data = {"name": "X", "pipeline": pipeline.pk, "stage": stages["Won"].pk, "amount": "1", "version": "1"}
    assert bob_client.get("/deals/new/").status_code == 403
    assert bob_client.post("/deals/new/", data).status_code == 403
    assert bob_client.post(f"/deals/{deal.pk}/edit/", data).status_code == 403
    assert bob_client.post(f"/deals/{deal.pk}/move/", {"stage": stages["Won"].pk}, **HTMX).status_code == 403
    assert bob_client.post(f"/deals/{deal.pk}/delete/").status_code == 403
    saved = deal_in(tenant_a, deal.pk)
    assert (saved.stage.name, saved.version) == ("Qualification", 1)


@pytest.mark.django_db
def test_a_crowded_column_shows_its_first_cards_and_counts_the_rest(alice_client, tenant_a, sales, monkeypatch):
    monkeypatch.setattr("customers.deals.selectors.CARDS_PER_COLUMN", 2)
    for day in (3, 1, 2):
        a_deal(tenant_a, sales, "Proposal", name=f"Closes day {day}", amount=Decimal("100"),
               expected_close_date=date(2026, 12, day))  # fmt: skip
    page = alice_client.get("/deals/").content.decode()
    assert "Closes day 1" in page and "Closes day 2" in page and "Closes day 3" not in page
    assert "and 1 more deal" in page and "Total 300" in page and "Weighted 150" in page


@pytest.mark.django_db
def test_several_pipelines_get_a_switcher(alice_client, tenant_a, sales):
    renewals = PipelineFactory(tenant=tenant_a, name="Renewals", position=1)
    StageFactory(tenant=tenant_a, pipeline=renewals, name="Up for renewal")
    DealFactory(tenant=tenant_a, pipeline=renewals, stage__name="Signed", stage__pipeline=renewals, name="Renew Acme")
    main = alice_client.get("/deals/").content.decode()
    assert 'name="pipeline"' in main and "Renew Acme" not in main
    other = alice_client.get(f"/deals/?pipeline={renewals.pk}").content.decode()
    assert "Up for renewal" in other and "Renew Acme" in other and "Qualification" not in other


@pytest.mark.django_db
def test_forecast_weights_open_deals_by_month_and_owner(alice, sam, tenant_a, sales):
    today = date(2026, 3, 15)
    a_deal(tenant_a, sales, "Proposal", owner=alice, amount=Decimal("1000"), expected_close_date=date(2026, 3, 20))
    a_deal(tenant_a, sales, "Qualification", owner=alice, amount=Decimal("2000"), expected_close_date=date(2026, 3, 1))
    a_deal(tenant_a, sales, "Proposal", owner=sam, amount=Decimal("3000"), expected_close_date=date(2026, 5, 10))
    a_deal(tenant_a, sales, "Negotiation", owner=sam, amount=Decimal("4000"), expected_close_date=date(2026, 12, 1))
    a_deal(tenant_a, sales, "Proposal", owner=None, amount=Decimal("500"), expected_close_date=None)
    a_deal(tenant_a, sales, "Won", owner=sam, amount=Decimal("9999"), expected_close_date=date(2026, 3, 20))
    a_deal(tenant_a, sales, "Lost", owner=sam, amount=Decimal("7777"), expected_close_date=date(2026, 3, 20))

    with tenant_context(tenant_a.id):
        forecast = weighted_forecast(currency="USD", today=today)

    assert forecast.columns == [
        "Overdue", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "Later or no date",
    ]  # fmt: skip
    rows = {row.owner: [str(amount) for amount in row.amounts] for row in forecast.rows}
    assert rows == {
        "Sam Sales": ["0.00", "0.00", "0.00", "1500.00", "0.00", "0.00", "0.00", "3000.00"],
        "Alice Admin": ["200.00", "500.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"],
        "No owner": ["0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "250.00"],
    }
    assert [row.owner for row in forecast.rows] == ["Sam Sales", "Alice Admin", "No owner"]  # biggest first
    assert forecast.totals == [Decimal(n) for n in ("200", "500", "0", "1500", "0", "0", "0", "3250")]
    assert forecast.total == Decimal("5450")


@pytest.mark.django_db
def test_the_forecast_page_shows_the_table_and_an_empty_state(alice, alice_client, tenant_a, sales):
    assert "Nothing to forecast yet" in alice_client.get("/deals/forecast/").content.decode()
    soon = timezone.localdate() + timedelta(days=1)
    a_deal(tenant_a, sales, "Negotiation", owner=alice, amount=Decimal("10000"), expected_close_date=soon)
    page = alice_client.get("/deals/forecast/").content.decode()
    assert "Alice Admin" in page and "7,500.00" in page and 'id="chart-forecast"' in page


def _deals_with_relations(tenant, sales, count: int) -> None:
    owner = UserFactory()
    MembershipFactory(user=owner, tenant=tenant, role=Role.SALES)
    for index in range(count):
        account = AccountFactory(tenant=tenant)
        stage = ["Qualification", "Proposal", "Won"][index % 3]
        deal = a_deal(
            tenant,
            sales,
            stage,
            owner=owner,
            account=account,
            contact=ContactFactory(tenant=tenant, account=account),
            expected_close_date=timezone.localdate() + timedelta(days=index * 7),
        )
        if stage == "Won":
            with tenant_context(tenant.id):
                Deal.objects.filter(pk=deal.pk).update(closed_at=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/deals/", "/deals/forecast/"])
def test_board_and_forecast_use_a_constant_number_of_queries(
    alice_client, tenant_a, sales, url, django_assert_num_queries
):
    _deals_with_relations(tenant_a, sales, 5)
    alice_client.get(url)  # warm the session and the default pipeline
    with CaptureQueriesContext(connection) as five:
        assert alice_client.get(url).status_code == 200
    _deals_with_relations(tenant_a, sales, 20)
    with django_assert_num_queries(len(five.captured_queries)):
        response = alice_client.get(url)
    assert response.status_code == 200


@pytest.mark.django_db
def test_open_deals_for_a_contact_or_an_account(tenant_a, sales):
    account = AccountFactory(tenant=tenant_a)
    contact = ContactFactory(tenant=tenant_a, account=account)
    later = a_deal(tenant_a, sales, "Proposal", contact=contact, expected_close_date=date(2026, 9, 1), name="Later")
    sooner = a_deal(tenant_a, sales, "Qualification", account=account, contact=contact, name="Sooner",
                    expected_close_date=date(2026, 6, 1))  # fmt: skip
    a_deal(tenant_a, sales, "Won", contact=contact, account=account, name="Won already")
    a_deal(tenant_a, sales, "Proposal", name="Someone else's")
    with tenant_context(tenant_a.id):
        assert [deal.name for deal in open_deals_for(contact=contact)] == [sooner.name, later.name]
        assert [deal.name for deal in open_deals_for(account=account)] == [sooner.name]


@pytest.mark.django_db
def test_the_contact_lookup_finds_contacts_by_name(alice_client, tenant_a):
    ContactFactory(tenant=tenant_a, first_name="Zelda", last_name="Quist")
    ContactFactory(tenant=tenant_a, first_name="Bert", last_name="Other")
    page = alice_client.get("/deals/contacts/options/", {"lookup": "zel"}).content.decode()
    assert "Zelda Quist" in page and "Bert" not in page


@pytest.fixture
def chromium():
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.skip(f"Chromium not found at {executable}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def two_new_deals(tenant_a, sales):
    """Created before the browser starts: Playwright runs an event loop in this thread, and ORM
    calls made under it would open a connection that the end of the session cannot close."""
    return a_deal(tenant_a, sales, name="Pilot"), a_deal(tenant_a, sales, name="Trial")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_drags_cards_across_the_board_in_a_real_browser(alice, two_new_deals, live_server, chromium):
    page = chromium.new_page(viewport={"width": 1500, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/deals/")

    def column(name: str):
        return page.locator(f".kanban-column[aria-label='{name}']")

    page.locator(".kanban-card", has_text="Pilot").drag_to(column("Proposal").locator(".kanban-cards"))
    column("Proposal").locator(".kanban-card", has_text="Pilot").wait_for()
    page.once("dialog", lambda dialog: dialog.accept("No budget this year"))
    page.locator(".kanban-card", has_text="Trial").drag_to(column("Lost").locator(".kanban-cards"))
    column("Lost").locator(".kanban-card", has_text="No budget this year").wait_for()

    page.reload()  # what the server stored, not what the page last swapped in
    assert "Pilot" in column("Proposal").inner_text()
    assert "Trial" in column("Lost").inner_text() and "No budget this year" in column("Lost").inner_text()
    assert "Trial" not in column("Qualification").inner_text()


@pytest.mark.django_db
def test_the_open_deals_partial_for_contact_and_account_pages_renders(tenant_a, sales):
    from django.template.loader import render_to_string

    contact = ContactFactory(tenant=tenant_a)
    a_deal(tenant_a, sales, "Proposal", contact=contact, name="Partial deal", amount=Decimal("2500"))
    with tenant_context(tenant_a.id):
        html = render_to_string(
            "customers/deals/_open_deals.html",
            {"open_deals": open_deals_for(contact=contact), "contact": contact, "capabilities": {"deals.edit"}},
        )
        empty = render_to_string("customers/deals/_open_deals.html", {"open_deals": []})
    assert "Partial deal" in html and "2,500 USD" in html and f"?contact={contact.pk}" in html
    assert "No open deals" in empty
