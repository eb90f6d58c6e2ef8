"""A rep emails a contact from the contact page in a real browser, with a template picked through htmx."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.roles import Role
from tests.conftest import PASSWORD
from tests.factories import ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tests.mail.conftest import configure_mail
from tests.mail.factories import EmailTemplateFactory
from tests.test_browser import browser  # noqa: F401  (the Playwright fixture)


@pytest.fixture
def rep_and_contact(smtp_server):
    """Created before the browser starts: Playwright's event loop makes the ORM refuse to run in the test."""
    tenant = TenantFactory(name="Acme Corporation", slug="acme-mail-browser")
    rep = UserFactory(email="rep@acme-mail.example", full_name="Rita Rep")
    MembershipFactory(user=rep, tenant=tenant, role=Role.SALES)
    ann = ContactFactory(tenant=tenant, first_name="Ann", last_name="Lee", email="ann@customer.example", owner=rep)
    EmailTemplateFactory(
        tenant=tenant, name="Intro", subject="Hello {{ contact.first_name }}", body="Dear {{ contact.full_name }},"
    )
    configure_mail(tenant, smtp_server)
    return rep, ann


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_emails_a_contact_with_a_template(rep_and_contact, smtp_server, eager_tasks, live_server, browser):  # noqa: F811
    rep, ann = rep_and_contact
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=username]", rep.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/customers/contacts/{ann.pk}/")
    page.click("[data-testid=email-contact]")
    page.wait_for_load_state("networkidle")  # htmx must have wired the template picker before it is used
    page.select_option("#id_template", label="Intro")
    # An assertion that retries (no string evaluated in the page: the Content-Security-Policy forbids eval).
    expect(page.locator("#id_subject")).to_have_value("Hello Ann")
    assert page.input_value("#id_body").strip() == "Dear Ann Lee,"
    page.fill("#id_body", page.input_value("#id_body") + "\n\nSee you soon.")
    page.click("button[type=submit]:has-text('Send')")
    page.wait_for_selector("[data-testid=email-status]")
    assert page.inner_text("[data-testid=email-status]").strip() == "Sent"
    page.close()

    [message] = smtp_server.handler.messages
    assert message["Subject"] == "Hello Ann" and message["To"] == "ann@customer.example"
    assert "Dear Ann Lee," in message.get_content() and "See you soon." in message.get_content()
