"""Signed-in pages: the support settings (admins only) and the satisfaction report; the agent's copy of
the customer's link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.tenancy.context import tenant_context
from service_desk.models import Queue, TicketChannel
from service_desk.services import ticket_create
from support.models import CsatSurvey, SupportSettings, SurveyStatus
from support.tokens import portal_token_read
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("support:settings")
REPORT_URL = reverse("support:satisfaction")


def settings_form(**overrides):
    data = {
        "web_form_enabled": "on",
        "auto_reply_enabled": "on",
        "auto_reply_subject": "Got it",
        "auto_reply_body": "Hi {name}, ticket #{number}: {link}",
        "auto_reply_limit_per_hour": "4",
        "closed_reply_policy": "reopen",
        "csat_enabled": "",
        "csat_delay_hours": "6",
    }
    return {**data, **overrides}


def test_an_admin_sees_the_web_form_address_and_saves_the_settings(alice_client, tenant_a):
    page = alice_client.get(SETTINGS_URL)
    assert page.status_code == 200
    assert f"/support/{tenant_a.slug}/new/" in page.content.decode()
    response = alice_client.post(SETTINGS_URL, settings_form())
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        config = SupportSettings.objects.get()
    assert (config.auto_reply_subject, config.auto_reply_limit_per_hour) == ("Got it", 4)
    assert (config.closed_reply_policy, config.csat_enabled, config.csat_delay_hours) == ("reopen", False, 6)


def test_settings_errors_show_next_to_the_field(alice_client, tenant_a):
    response = alice_client.post(SETTINGS_URL, settings_form(auto_reply_limit_per_hour="0"))
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()


def test_a_role_without_workspace_configuration_gets_403(bob_client):
    assert bob_client.get(SETTINGS_URL).status_code == 403
    assert bob_client.post(SETTINGS_URL, settings_form()).status_code == 403


def test_settings_are_per_workspace(alice_client, charlie_client, tenant_a, tenant_b):
    alice_client.post(SETTINGS_URL, settings_form(auto_reply_subject="Acme got it"))
    page = charlie_client.get(SETTINGS_URL)
    assert "Acme got it" not in page.content.decode()
    assert f"/support/{tenant_b.slug}/new/" in page.content.decode()


def test_the_report_has_an_empty_state(alice_client):
    response = alice_client.get(REPORT_URL)
    assert response.status_code == 200
    assert "No survey answers yet" in response.content.decode()


def answered(tenant, *, agent, queue, rating, months_ago=0):
    contact = ContactFactory(tenant=tenant)
    with tenant_context(tenant.id):
        ticket = ticket_create(tenant=tenant, subject="Help", contact=contact, channel=TicketChannel.EMAIL)
        return CsatSurvey.objects.create(
            tenant=tenant,
            ticket=ticket,
            agent=agent,
            queue=queue,
            status=SurveyStatus.ANSWERED,
            rating=rating,
            answered_at=timezone.now() - timedelta(days=31 * months_ago),
        )


def test_the_report_gives_csat_and_average_per_agent_queue_and_month(alice_client, tenant_a, alice, bob):
    with tenant_context(tenant_a.id):
        billing = Queue.objects.create(tenant=tenant_a, name="Billing")
    for rating in (5, 4, 2):
        answered(tenant_a, agent=alice, queue=billing, rating=rating)
    answered(tenant_a, agent=bob, queue=None, rating=5, months_ago=1)
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get(REPORT_URL)
    assert len(queries) <= 15  # session, membership, then five grouped queries whatever the number of answers
    report = response.context["report"]
    assert report.overall.answers == 4
    assert report.overall.csat == 75.0
    by_agent = {row.label: (row.answers, row.csat, row.average) for row in report.by_agent}
    assert by_agent == {"Alice Admin": (3, 66.7, 3.67), "Bob Analyst": (1, 100.0, 5.0)}
    assert {row.label: row.answers for row in report.by_queue} == {"Billing": 3, "No queue": 1}
    assert [row.answers for row in report.by_month] == [3, 1]


def test_the_report_never_counts_another_workspace(charlie_client, tenant_a, alice):
    answered(tenant_a, agent=alice, queue=None, rating=1)
    response = charlie_client.get(REPORT_URL)
    assert "No survey answers yet" in response.content.decode()


def test_the_agent_partial_shows_the_customers_signed_link(tenant_a, rf):
    contact = ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        ticket = ticket_create(tenant=tenant_a, subject="Help", contact=contact, channel=TicketChannel.EMAIL)
        html = render_to_string("support/_ticket_customer_link.html", {"ticket": ticket}, request=rf.get("/"))
    token = html.split("/support/t/")[1].split("/")[0]
    assert portal_token_read(token) == (tenant_a.id, ticket.pk)
    assert "data-copy" in html


def test_the_agent_partial_shows_the_customers_rating(tenant_a, alice, rf):
    survey = answered(tenant_a, agent=alice, queue=None, rating=2)
    with tenant_context(tenant_a.id):
        CsatSurvey.objects.filter(pk=survey.pk).update(comment="Took a week")
        html = render_to_string("support/_ticket_customer_link.html", {"ticket": survey.ticket}, request=rf.get("/"))
    assert "2 / 5" in html
    assert "Took a week" in html
