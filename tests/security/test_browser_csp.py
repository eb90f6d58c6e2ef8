"""The main pages in a real browser under the Content-Security-Policy: no violation, nothing blocked.

A violation means some script, handler or resource the policy refuses: the page would be silently
broken for users. Screenshots land in test-artifacts/screenshots/csp/.
"""

from __future__ import annotations

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
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "csp"
PAGES = [
    "/",
    "/customers/contacts/",
    "/customers/accounts/",
    "/deals/",
    "/deals/list/",
    "/deals/forecast/",
    "/analytics/",
    "/analytics/runs/",
    "/analytics/data-quality/",
    "/tasks/",
    "/tasks/calendar/",
    "/imports/",
    "/notifications/",
    "/inbox/settings/",
    "/sms/settings/",
    "/mail/settings/",
    "/workspace/teams/",
    "/integrations/api-keys/",
    "/security/",
    "/security/two-factor/",
    "/tickets/",
    "/segments/",
    "/campaigns/",
    "/feedback/",
    "/audit/",
    "/privacy/",
    "/workspace/admin/",
]
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def admin_workspace():
    tenant = TenantFactory(name="Acme Corporation", slug="acme-csp")
    admin = UserFactory(email="admin@acme-csp.example", full_name="Ada Admin", password=PASSWORD)
    MembershipFactory(user=admin, tenant=tenant, role=Role.ADMIN)
    account = AccountFactory(tenant=tenant, name="Initech")
    now = timezone.now()
    contacts = []
    for index in range(6):
        contact = ContactFactory(tenant=tenant, account=account, owner=admin, lifecycle_stage="customer")
        OrderFactory(tenant=tenant, contact=contact, account=account, amount=Decimal(100 + index * 25),
                     ordered_at=now - timezone.timedelta(days=30 * index))  # fmt: skip
        InteractionFactory(tenant=tenant, contact=contact, logged_by=admin, subject=f"Call {index}")
        contacts.append(contact)
    return admin, contacts[0]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_run_under_the_csp_without_a_violation(admin_workspace, live_server, browser):  # noqa: F811
    admin, contact = admin_workspace
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"{page.url}: uncaught {error}"))

    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=dashboard-title]")

    violations: dict[str, list[str]] = {}
    for path in [*PAGES, f"/customers/contacts/{contact.pk}/"]:
        response = page.goto(f"{live_server.url}{path}", wait_until="networkidle")
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        assert "content-security-policy" in response.headers, f"{path} has no CSP header"
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
        page.screenshot(path=str(ARTIFACTS / (path.strip("/").replace("/", "-") or "dashboard")) + ".png")
    blocked = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations and not blocked, f"CSP violations: {violations} {blocked}"
    errors = [line for line in console if "uncaught" in line]
    assert not errors, f"script errors: {errors}"
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_chart_draws_under_the_csp(admin_workspace, live_server, browser):  # noqa: F811
    admin, _ = admin_workspace
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chart-revenue canvas")  # echarts ran from static files, fed by json_script
    page.close()
