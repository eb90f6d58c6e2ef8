"""Each role signs in through a real browser (Debian's Chromium) and sees its dashboard.

Screenshots are saved under test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from crm.roles import Role
from tests.conftest import PASSWORD
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    MembershipFactory,
    OrderFactory,
    TenantFactory,
    UserFactory,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
DASHBOARD_TITLES = {
    Role.ADMIN: "Admin dashboard",
    Role.SALES: "Sales dashboard",
    Role.SERVICE: "Service dashboard",
    Role.MARKETING: "Marketing dashboard",
    Role.ANALYST: "Analyst dashboard",
}


@pytest.fixture
def workspace_with_every_role():
    tenant = TenantFactory(name="Acme Corporation", slug="acme-browser")
    users = {}
    for role in Role.values:
        users[role] = UserFactory(email=f"{role}@acme-browser.example", full_name=f"{role.title()} Person")
        MembershipFactory(user=users[role], tenant=tenant, role=role)
    account = AccountFactory(tenant=tenant, name="Initech")
    now = timezone.now()
    for index in range(12):
        contact = ContactFactory(tenant=tenant, account=account, owner=users[Role.SALES], lifecycle_stage="customer")
        OrderFactory(tenant=tenant, contact=contact, account=account, amount=Decimal(100 + index * 25),
                     ordered_at=now - timezone.timedelta(days=30 * index))  # fmt: skip
        InteractionFactory(tenant=tenant, contact=contact, logged_by=users[Role.SALES], subject=f"Follow-up {index}")
    return users


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_role_signs_in_and_sees_its_dashboard(workspace_with_every_role, live_server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for role, title in DASHBOARD_TITLES.items():
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{live_server.url}/")
        assert "/auth/login/" in page.url
        page.fill("input[name=username]", f"{role}@acme-browser.example")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=dashboard-title]")
        assert page.inner_text("[data-testid=dashboard-title]").strip() == title
        assert page.inner_text("[data-testid=workspace-switcher]").strip() == "Acme Corporation"
        if role != Role.MARKETING:
            page.wait_for_selector("#chart-revenue canvas")  # the chart library loaded and drew
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{role}.png"), full_page=True)
        page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_opens_a_contact_from_the_list(workspace_with_every_role, live_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", "sales@acme-browser.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Contacts")
    page.wait_for_selector("#contact-rows tr")
    page.locator("#contact-rows a").first.click()
    page.wait_for_selector("text=Timeline")
    assert "Initech" in page.content()
    page.screenshot(path=str(ARTIFACTS / "contact-detail.png"), full_page=True)
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_creates_a_contact_finds_it_and_records_an_order(workspace_with_every_role, live_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", "sales@acme-browser.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.click("text=Contacts")
    page.click("text=New contact")
    page.fill("#id_first_name", "Grace")
    page.fill("#id_last_name", "Hopper")
    page.fill("#id_email", "Grace.Hopper@Initech.EXAMPLE")
    page.fill("#id_phone", "not a phone")
    page.fill("input[name=lookup]", "initech")  # the account lookup searches as you type (htmx)
    page.wait_for_selector("#id_account option:has-text('Initech')", state="attached")
    page.select_option("#id_account", label="Initech")
    page.click("text=Create contact")
    assert "Enter a valid phone number" in page.inner_text("#div_id_phone")
    page.screenshot(path=str(ARTIFACTS / "contact-form-errors.png"), full_page=True)

    page.fill("#id_phone", "(202) 555-0143")
    page.click("text=Create contact")
    page.wait_for_selector("text=Contact created.")
    assert "grace.hopper@initech.example" in page.content()
    assert "+12025550143" in page.content()

    page.fill("header input[name=q]", "hopp")
    page.keyboard.press("Enter")
    page.click("a:has-text('Grace Hopper')")
    page.click("text=Add order")
    page.fill("#id_amount", "1250")
    page.click("text=Add order >> nth=-1")
    page.wait_for_selector("text=Order added.")
    assert "1 paid order · 1,250.00 USD" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "contact-with-order.png"), full_page=True)
    page.close()


@pytest.fixture
def suggested_duplicate(workspace_with_every_role):
    """Jon Smith at Acme and John Smith at Acme Inc., found by detection; John has an order."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from customers.duplicates.detection import duplicates_detect_all

    tenant = Tenant.objects.get(slug="acme-browser")
    acme = AccountFactory(tenant=tenant, name="Acme")
    acme_inc = AccountFactory(tenant=tenant, name="Acme Inc.")
    survivor = ContactFactory(
        tenant=tenant, first_name="Jon", last_name="Smith", account=acme, email="jon@acme.example"
    )
    merged = ContactFactory(
        tenant=tenant, first_name="John", last_name="Smith", account=acme_inc, email="john@acme.example"
    )
    OrderFactory(tenant=tenant, contact=merged, account=acme_inc, amount=Decimal("480.00"))
    with tenant_context(tenant.id):
        duplicates_detect_all(tenant=tenant)
    return survivor, merged


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_merges_a_suggested_duplicate(suggested_duplicate, live_server, browser):
    survivor, merged = suggested_duplicate
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", "sales@acme-browser.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Duplicates")
    page.wait_for_selector("[data-testid=duplicate-pair]")
    assert "Similar name and company" in page.inner_text("[data-testid=duplicate-pair]")
    page.screenshot(path=str(ARTIFACTS / "duplicates-queue.png"), full_page=True)
    page.click("text=Merge…")
    page.check("input[name=choice_first_name][value=merged]")  # keep "John" from the other record
    page.screenshot(path=str(ARTIFACTS / "duplicates-merge.png"), full_page=True)
    page.click("text=Merge and delete John Smith")
    page.wait_for_selector("text=was merged into")
    assert page.url.endswith(f"/customers/contacts/{survivor.pk}/")
    body = page.inner_text("body")
    assert "John Smith" in body and "1 paid order · 480.00 USD" in body
    assert "Merged John Smith into this contact" in body
    assert page.goto(f"{live_server.url}/customers/contacts/{merged.pk}/").status == 404
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_finds_a_record_from_the_top_bar_with_the_keyboard(workspace_with_every_role, live_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", "sales@acme-browser.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Sales dashboard")
    page.keyboard.press("/")  # jumps to the search box from anywhere
    page.keyboard.type("initech", delay=30)
    page.wait_for_selector("#quick-search.show .quick-search-item")
    page.screenshot(path=str(ARTIFACTS / "quick-search.png"))
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent").strip().startswith("Initech")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/customers/accounts/" in page.url
    assert page.locator("h1").first.inner_text().strip() == "Initech"
    page.close()
