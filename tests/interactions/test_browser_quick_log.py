"""A rep logs a call from the contact page in a real browser; it appears on the timeline without a reload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm.roles import Role
from tests.conftest import PASSWORD
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tests.test_browser import ARTIFACTS, browser  # noqa: F401  (the shared Chromium fixture)


@pytest.fixture
def rep_and_contact(transactional_db: None) -> tuple[Any, Any]:
    """Created before the browser starts: Playwright's event loop forbids the ORM while it runs."""
    tenant = TenantFactory(name="Acme Corporation", slug="acme-quick-log")
    rep = UserFactory(email="rep@acme-quick-log.example", full_name="Rita Rep")
    MembershipFactory(user=rep, tenant=tenant, role=Role.SALES)
    contact = ContactFactory(tenant=tenant, account=AccountFactory(tenant=tenant), owner=rep, phone="+12025550143")
    return rep, contact


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_logs_a_call_and_sees_it_on_the_timeline_without_a_reload(
    rep_and_contact: tuple[Any, Any],
    live_server: Any,
    browser: Any,  # noqa: F811
) -> None:
    rep, contact = rep_and_contact

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", rep.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/customers/contacts/{contact.pk}/")
    assert page.get_attribute("[data-testid=tel-link]", "href") == "tel:+12025550143"
    page.evaluate("window.__sameDocument = true")  # survives only if the page is not reloaded

    page.click("[data-testid=log-call]")
    page.wait_for_selector("#quick-log-body form")
    page.fill("#quick-log-body input[name=duration]", "7:05")
    page.select_option("#quick-log-body select[name=outcome]", "left_voicemail")
    page.fill("#quick-log-body input[name=subject]", "Renewal reminder")
    page.screenshot(path=str(Path(ARTIFACTS) / "interactions-quick-log-open.png"), full_page=True)
    page.click("#quick-log-body button[type=submit]")

    page.wait_for_selector("[data-testid=logged]")
    entry = page.locator("#timeline-entries li").first
    assert entry.locator("a").inner_text() == "Call: Renewal reminder"
    assert "7:05 · Left voicemail" in entry.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("[data-testid=follow-up]").count() == 1
    page.screenshot(path=str(Path(ARTIFACTS) / "interactions-quick-log-done.png"), full_page=True)
    page.close()
