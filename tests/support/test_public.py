"""The customer's side: the public web form (honeypot, rate limits), the signed ticket page (never
internal notes), and the satisfaction survey (sent once, answered once)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.tenancy.context import tenant_context
from service_desk.models import MessageKind, Ticket, TicketChannel, TicketMessage, TicketStatus
from service_desk.services import ticket_create, ticket_message_add, ticket_status_change
from support.models import CsatSurvey, SupportNotice, SupportSettings, SurveyStatus
from support.services import csat_sweep
from support.tokens import portal_token, survey_token
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Jane Buyer",
        "email": "Jane@Customer.example",
        "subject": "Invoice question",
        "message": "Why was I charged twice?",
        "website": "",
    }
    return {**data, **overrides}


def web_form_url(tenant):
    return reverse("support:web-form", args=[tenant.slug])


def make_ticket(tenant, **kwargs):
    contact = kwargs.pop("contact", None) or ContactFactory(tenant=tenant, email="jane@customer.example")
    with tenant_context(tenant.id):
        return ticket_create(
            tenant=tenant,
            subject=kwargs.pop("subject", "Printer is broken"),
            description=kwargs.pop("description", "It prints blank pages."),
            contact=contact,
            channel=kwargs.pop("channel", TicketChannel.EMAIL),
            **kwargs,
        )


def portal_url(ticket):
    return reverse("support:portal", args=[portal_token(tenant_id=ticket.tenant_id, ticket_id=ticket.pk)])


# --- Web form -----------------------------------------------------------------------------------------


def test_the_web_form_opens_a_ticket_and_emails_the_portal_link(tenant_a, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(web_form_url(tenant_a), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("support:web-form-sent", args=[tenant_a.slug])
    with tenant_context(tenant_a.id):
        ticket = Ticket.objects.select_related("contact").get()
        assert TicketMessage.objects.get(ticket=ticket).body_text == "Why was I charged twice?"
    assert ticket.channel == TicketChannel.WEB
    assert ticket.requester_email == "jane@customer.example"
    assert ticket.contact.first_name == "Jane"
    [confirmation] = outbox.handler.messages
    assert confirmation["To"] == "jane@customer.example"
    assert f"#{ticket.number}" in confirmation["Subject"]
    link = re.search(r"https://crm\.example\.com(/support/t/\S+/)", confirmation.get_content()).group(1)
    page = Client().get(link)
    assert page.status_code == 200
    assert "Why was I charged twice?" in page.content.decode()


def test_the_web_form_takes_an_attachment(tenant_a):
    upload = SimpleUploadedFile("screenshot.txt", b"error 42", content_type="text/plain")
    response = Client().post(web_form_url(tenant_a), {**form_data(), "attachment": upload})
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        message = TicketMessage.objects.select_related("ticket").get()
        [attachment] = message.attachments.all()
        assert attachment.filename == "screenshot.txt"
    token = portal_token(tenant_id=tenant_a.id, ticket_id=message.ticket_id)
    file_url = reverse("support:portal-file", args=[token, attachment.pk])
    assert file_url in Client().get(portal_url(message.ticket)).content.decode()
    download = Client().get(file_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"error 42"


def test_the_web_form_shows_errors_next_to_the_fields(tenant_a):
    response = Client().post(web_form_url(tenant_a), form_data(email="not-an-address", message=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "This field is required." in body
    with tenant_context(tenant_a.id):
        assert not Ticket.objects.exists()


def test_a_filled_honeypot_looks_accepted_but_opens_nothing(tenant_a):
    response = Client().post(web_form_url(tenant_a), form_data(website="http://spam.example"))
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        assert not Ticket.objects.exists()


def test_one_email_address_is_limited_with_a_clear_message(tenant_a, settings):
    client = Client()
    statuses = [
        client.post(web_form_url(tenant_a), form_data(subject=f"Question {n}"), REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    refused = client.post(web_form_url(tenant_a), form_data(), REMOTE_ADDR="10.0.0.99")
    assert "Please wait an hour" in refused.content.decode()
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 3


def test_one_ip_address_is_limited_across_email_addresses(tenant_a):
    client = Client()
    statuses = [
        client.post(web_form_url(tenant_a), form_data(email=f"bot{n}@spam.example")).status_code for n in range(12)
    ]
    assert statuses.count(302) == 10
    assert statuses[-1] == 429
    with tenant_context(tenant_a.id):
        assert Ticket.objects.count() == 10


def test_the_web_form_of_an_unknown_or_disabled_workspace_is_a_404(tenant_a):
    assert Client().get(reverse("support:web-form", args=["no-such-company"])).status_code == 404
    with tenant_context(tenant_a.id):
        SupportSettings.objects.create(tenant=tenant_a, web_form_enabled=False)
    assert Client().get(web_form_url(tenant_a)).status_code == 404


# --- Portal -------------------------------------------------------------------------------------------


def test_the_portal_shows_the_public_conversation_and_never_internal_notes(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        ticket_message_add(
            tenant=tenant_a, ticket=ticket, kind=MessageKind.NOTE, body_text="SECRET: customer is a pain", by=alice
        )
        ticket_message_add(
            tenant=tenant_a,
            ticket=ticket,
            kind=MessageKind.NOTE,
            body_text="see log",
            by=alice,
            attachments=[("internal.txt", "text/plain", b"internal")],
        )
        ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.REPLY, body_text="Try a reboot.", by=alice)
        note_file = TicketMessage.objects.get(kind=MessageKind.NOTE, body_text="see log").attachments.get()
    response = Client().get(portal_url(ticket))
    body = response.content.decode()
    assert response.status_code == 200
    assert "It prints blank pages." in body
    assert "Try a reboot." in body
    assert "SECRET" not in body
    assert "internal.txt" not in body
    token = portal_token(tenant_id=tenant_a.id, ticket_id=ticket.pk)
    assert Client().get(reverse("support:portal-file", args=[token, note_file.pk])).status_code == 404


def test_a_reply_on_the_portal_reopens_a_solved_ticket(tenant_a, alice):
    ticket = make_ticket(tenant_a)
    with tenant_context(tenant_a.id):
        ticket_status_change(tenant=tenant_a, ticket=ticket, status=TicketStatus.SOLVED, by=alice)
    response = Client().post(portal_url(ticket), {"body": "It is broken again."})
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
        last = TicketMessage.objects.filter(ticket=ticket).latest("created_at", "id")
    assert ticket.status == TicketStatus.OPEN
    assert (last.kind, last.body_text) == (MessageKind.CUSTOMER, "It is broken again.")
    assert last.author_contact_id == ticket.contact_id


def test_an_empty_portal_reply_shows_the_error_and_writes_nothing(tenant_a):
    ticket = make_ticket(tenant_a)
    response = Client().post(portal_url(ticket), {"body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    with tenant_context(tenant_a.id):
        assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_tampered_foreign_and_wrong_purpose_tokens_are_404(tenant_a, tenant_b):
    ticket = make_ticket(tenant_a)
    good = portal_token(tenant_id=tenant_a.id, ticket_id=ticket.pk)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    other_tenant = portal_token(tenant_id=tenant_b.id, ticket_id=ticket.pk)  # genuine signature, wrong workspace
    survey_purpose = survey_token(tenant_id=tenant_a.id, survey_id=ticket.pk)
    for token in (tampered, other_tenant, survey_purpose, "garbage"):
        assert Client().get(reverse("support:portal", args=[token])).status_code == 404
        assert Client().post(reverse("support:portal", args=[token]), {"body": "hi"}).status_code == 404
    with tenant_context(tenant_a.id):
        assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_the_portal_of_a_merged_ticket_leads_to_the_surviving_one(tenant_a):
    survivor = make_ticket(tenant_a)
    duplicate = make_ticket(tenant_a, subject="Printer again")
    with tenant_context(tenant_a.id):
        Ticket.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    response = Client().get(portal_url(duplicate))
    assert response.status_code == 302
    assert response["Location"] == portal_url(survivor)


# --- Satisfaction survey --------------------------------------------------------------------------------------


def solved_ticket(tenant, agent, hours_ago=2):
    ticket = make_ticket(tenant, assignee=agent)
    with tenant_context(tenant.id):
        ticket_status_change(tenant=tenant, ticket=ticket, status=TicketStatus.SOLVED, by=agent)
        Ticket.objects.filter(pk=ticket.pk).update(solved_at=timezone.now() - timedelta(hours=hours_ago))
    return ticket


def test_a_solved_ticket_gets_one_survey_however_often_the_sweep_runs(
    tenant_a, alice, outbox, django_capture_on_commit_callbacks
):
    ticket = solved_ticket(tenant_a, alice)
    solved_ticket(tenant_a, alice, hours_ago=0)  # inside the delay: not yet
    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=True):
        assert csat_sweep(tenant=tenant_a) == 1
        assert csat_sweep(tenant=tenant_a) == 0
        survey = CsatSurvey.objects.get()
    assert survey.ticket_id == ticket.pk
    assert survey.agent_id == alice.pk
    [email] = outbox.handler.messages
    assert email["Auto-Submitted"] == "auto-generated"
    assert "/support/survey/" in email.get_content()


def test_no_survey_when_switched_off(tenant_a, alice):
    solved_ticket(tenant_a, alice)
    with tenant_context(tenant_a.id):
        SupportSettings.objects.create(tenant=tenant_a, csat_enabled=False)
        assert csat_sweep(tenant=tenant_a) == 0
        assert not CsatSurvey.objects.exists()


def sent_survey(tenant, agent):
    ticket = solved_ticket(tenant, agent)
    with tenant_context(tenant.id):
        csat_sweep(tenant=tenant)
        return CsatSurvey.objects.get(ticket=ticket)


def test_a_survey_is_answered_once(tenant_a, alice):
    survey = sent_survey(tenant_a, alice)
    url = reverse("support:survey", args=[survey_token(tenant_id=tenant_a.id, survey_id=survey.pk)])
    page = Client().get(url + "?rating=5")
    assert page.status_code == 200
    [preset] = [tag for tag in re.findall(r"<input[^>]*>", page.content.decode()) if "checked" in tag]
    assert 'value="5"' in preset
    first = Client().post(url, {"rating": "2", "comment": "Slow answer"})
    assert "Thank you for your feedback" in first.content.decode()
    second = Client().post(url, {"rating": "5", "comment": "Changed my mind"})
    assert "already answered" in second.content.decode()
    assert "already answered" in Client().get(url).content.decode()
    with tenant_context(tenant_a.id):
        survey.refresh_from_db()
    assert (survey.rating, survey.comment, survey.status) == (2, "Slow answer", SurveyStatus.ANSWERED)


def test_forged_and_foreign_survey_tokens_are_404(tenant_a, tenant_b, alice):
    survey = sent_survey(tenant_a, alice)
    good = survey_token(tenant_id=tenant_a.id, survey_id=survey.pk)
    for token in (
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        survey_token(tenant_id=tenant_b.id, survey_id=survey.pk),
        portal_token(tenant_id=tenant_a.id, ticket_id=survey.pk),
    ):
        assert Client().post(reverse("support:survey", args=[token]), {"rating": "1"}).status_code == 404
    with tenant_context(tenant_a.id):
        survey.refresh_from_db()
    assert survey.rating is None


def test_a_survey_rating_outside_1_to_5_is_refused(tenant_a, alice):
    survey = sent_survey(tenant_a, alice)
    url = reverse("support:survey", args=[survey_token(tenant_id=tenant_a.id, survey_id=survey.pk)])
    assert Client().post(url, {"rating": "9"}).status_code == 400
    with tenant_context(tenant_a.id):
        survey.refresh_from_db()
    assert survey.rating is None


def test_the_hourly_limit_also_holds_back_surveys(tenant_a, alice):
    with tenant_context(tenant_a.id):
        SupportSettings.objects.create(tenant=tenant_a, auto_reply_limit_per_hour=1)
    solved_ticket(tenant_a, alice)
    solved_ticket(tenant_a, alice)
    with tenant_context(tenant_a.id):
        csat_sweep(tenant=tenant_a)
        assert SupportNotice.objects.count() == 1
        assert sorted(CsatSurvey.objects.values_list("status", flat=True)) == [SurveyStatus.SENT, SurveyStatus.SKIPPED]


def test_the_beat_sweep_surveys_each_workspace_in_its_own_tenant(
    tenant_a, tenant_b, alice, charlie, outbox, django_capture_on_commit_callbacks
):
    from support.tasks import schedule_csat_sweeps

    solved_ticket(tenant_a, alice)
    with tenant_context(tenant_b.id):
        SupportSettings.objects.create(tenant=tenant_b, csat_enabled=False)
    solved_ticket(tenant_b, charlie)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_csat_sweeps.apply().get() == 1
    with tenant_context(tenant_a.id):
        assert CsatSurvey.objects.count() == 1
    with tenant_context(tenant_b.id):
        assert not CsatSurvey.objects.exists()
    assert len(outbox.handler.messages) == 1
