"""Quick-log (htmx and plain), detail, edit and delete pages, click-to-call, roles and tenants."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_context
from interactions.models import Interaction
from tests.factories import AccountFactory, ContactFactory, DealFactory, InteractionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/customers/contacts/1/"}


def log_url(**params: Any) -> str:
    return reverse("interactions:log") + "?" + "&".join(f"{key}={value}" for key, value in params.items())


def call_data(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "call",
        "direction": "outbound",
        "occurred_at": "2026-11-20T10:30",
        "duration": "4:30",
        "outcome": "connected",
        "subject": "Pricing questions",
        "body": "Wants a volume discount.",
        **changes,
    }


def test_the_contact_page_offers_quick_log_and_a_tel_link(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a, phone="+12025550143")
    page = sam_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert 'href="tel:+12025550143"' in page
    assert 'data-testid="quick-log-card"' in page
    assert f'hx-get="/interactions/log/?contact={contact.pk}&kind=call&place=contact"' in page


def test_a_marketer_sees_no_quick_log_and_may_not_log(mia_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a, phone="+12025550143")
    page = mia_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert 'href="tel:+12025550143"' in page  # calling is fine, logging is not their job here
    assert "quick-log-card" not in page
    assert mia_client.get(log_url(contact=contact.pk), **HTMX).status_code == 403
    assert mia_client.post(log_url(contact=contact.pk), call_data(), **HTMX).status_code == 403
    with tenant_context(tenant_a.id):
        assert not Interaction.objects.exists()


def test_the_form_opens_as_a_partial_with_the_fields_of_its_kind(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    call = sam_client.get(log_url(contact=contact.pk, kind="call", place="contact"), **HTMX).content.decode()
    assert "<html" not in call and 'name="duration"' in call and 'name="outcome"' in call
    assert "Left voicemail" in call and 'name="channel"' not in call
    social = sam_client.get(log_url(contact=contact.pk, kind="social", place="contact"), **HTMX).content.decode()
    assert 'name="channel"' in social and "WhatsApp" in social and 'name="duration"' not in social


def test_logging_a_call_shows_it_on_the_timeline_and_offers_a_follow_up(sam_client: Any, tenant_a: Any) -> None:
    account = AccountFactory(tenant=tenant_a)
    contact = ContactFactory(tenant=tenant_a, account=account)
    response = sam_client.post(log_url(contact=contact.pk, kind="call", place="contact"), call_data(), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "interaction-logged"
    with tenant_context(tenant_a.id):
        call = Interaction.objects.get()
    assert (call.kind, call.duration_seconds, call.outcome, call.account_id) == ("call", 270, "connected", account.pk)
    assert "Call: Pricing questions logged." in body
    # The timeline is refreshed out of band, the new entry first, linked to its page.
    timeline = re.search(r'<ul id="timeline-entries" hx-swap-oob="innerHTML">(.*)</ul>', body, re.S)
    assert timeline and f'href="/interactions/{call.pk}/"' in timeline.group(1)
    assert "4:30 · Connected" in timeline.group(1)
    follow_up = re.search(r'href="([^"]+)" data-testid="follow-up"', body)
    assert follow_up and follow_up.group(1).startswith(reverse("followups:task-create") + "?")
    assert "Schedule a follow-up" in body


def test_a_note_offers_no_follow_up(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    body = sam_client.post(log_url(contact=contact.pk, kind="note", place="contact"), call_data(kind="note"), **HTMX)
    assert "Note: Pricing questions logged." in body.content.decode()
    assert "Schedule a follow-up" not in body.content.decode()


def test_the_follow_up_link_carries_contact_deal_title_and_due(sam: Any, tenant_a: Any) -> None:
    from interactions.views import follow_up_url

    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, contact=contact)
    meeting = InteractionFactory(tenant=tenant_a, contact=contact, deal=deal, kind="meeting", subject="Demo")
    url = follow_up_url(meeting, next_url="/customers/contacts/1/")
    assert url is not None and url.startswith(reverse("followups:task-create") + "?")
    assert f"contact={contact.pk}" in url and f"deal={deal.pk}" in url and "title=Follow+up%3A+Demo" in url
    assert "due=" in url and "next=%2Fcustomers%2Fcontacts%2F1%2F" in url


def test_errors_are_shown_next_to_the_field_and_nothing_is_logged(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    response = sam_client.post(
        log_url(contact=contact.pk, kind="call", place="contact"), call_data(duration="four minutes"), **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps the form back in, with the error under the field
    assert re.search(r'id="error_1_id_duration".*minutes:seconds', body, re.S)
    with tenant_context(tenant_a.id):
        assert not Interaction.objects.exists()


def test_a_service_refusal_lands_on_its_field(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    body = sam_client.post(
        log_url(contact=contact.pk, kind="call"), call_data(occurred_at="2030-01-01T10:00"), **HTMX
    ).content.decode()
    assert re.search(r'id="error_1_id_occurred_at".*more than a year ahead', body, re.S)


def test_without_htmx_logging_goes_to_the_interaction_page(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    assert "<html" in sam_client.get(log_url(contact=contact.pk)).content.decode()
    response = sam_client.post(log_url(contact=contact.pk), call_data(kind="note", direction="internal"))
    with tenant_context(tenant_a.id):
        note = Interaction.objects.get()
    assert note.kind == "note" and note.duration_seconds is None and note.outcome == ""  # a note has neither
    assert response.status_code == 302 and response["Location"] == reverse("interactions:detail", args=[note.pk])


def test_logging_from_the_deal_page_refreshes_its_list(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, contact=contact)
    page = sam_client.get(reverse("deals:deal-detail", args=[deal.pk])).content.decode()
    assert 'data-testid="deal-interactions-card"' in page and "Nothing logged on this deal yet" in page
    body = sam_client.post(
        log_url(deal=deal.pk, kind="meeting", place="deal"),
        call_data(kind="meeting", outcome="", duration="45"),
        **HTMX,
    ).content.decode()
    with tenant_context(tenant_a.id):
        meeting = Interaction.objects.get()
    assert (meeting.deal_id, meeting.contact_id, meeting.duration_seconds) == (deal.pk, contact.pk, 2700)
    assert '<ul id="deal-interactions" hx-swap-oob="innerHTML">' in body and "Meeting: Pricing questions" in body


def test_the_contact_list_has_tel_links_and_a_log_button(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a, phone="+12025550143")
    page = sam_client.get(reverse("customers:contact-list")).content.decode()
    assert 'href="tel:+12025550143"' in page
    assert f"contact={contact.pk}&kind=call&place=modal" in page and 'id="interaction-modal"' in page
    modal = sam_client.get(log_url(contact=contact.pk, kind="call", place="modal"), **HTMX).content.decode()
    assert 'class="modal-header"' in modal and contact.full_name in modal


def test_another_tenant_cannot_open_the_log_form_for_our_contact(charlie_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    assert charlie_client.get(log_url(contact=contact.pk), **HTMX).status_code == 404
    assert charlie_client.post(log_url(contact=contact.pk), call_data(), **HTMX).status_code == 404


def test_the_detail_page_shows_everything_and_read_only_roles_cannot_change_it(
    alice: Any, bob_client: Any, sam: Any, tenant_a: Any
) -> None:
    from interactions.services import interaction_log

    account = AccountFactory(tenant=tenant_a, name="Initech")
    contact, colleague = ContactFactory.create_batch(2, tenant=tenant_a, account=account)
    with tenant_context(tenant_a.id):
        call = interaction_log(
            tenant=tenant_a, by=alice, kind="call", direction="inbound", contact=contact, subject="Renewal",
            body="Line one\nline two", duration_seconds=61, outcome="left_voicemail",
            participant_contacts=[colleague], participant_users=[sam],
        )  # fmt: skip
    page = bob_client.get(reverse("interactions:detail", args=[call.pk])).content.decode()
    for text in (
        "Call: Renewal",
        "1:01",
        "Left voicemail",
        "Initech",
        colleague.full_name,
        "Sam Sales",
        "No attachments",
    ):
        assert text in page
    assert reverse("interactions:edit", args=[call.pk]) not in page
    assert bob_client.get(reverse("interactions:edit", args=[call.pk])).status_code == 403
    assert bob_client.post(reverse("interactions:delete", args=[call.pk])).status_code == 403


def test_edit_corrects_the_entry(alice_client: Any, tenant_a: Any) -> None:
    call = InteractionFactory(tenant=tenant_a, kind="call", subject="Intro")
    url = reverse("interactions:edit", args=[call.pk])
    assert 'value="Intro"' in alice_client.get(url).content.decode()
    bad = alice_client.post(url, call_data(duration="99:99"))
    assert bad.status_code == 400 and "minutes:seconds" in bad.content.decode()
    response = alice_client.post(url, call_data(subject="Intro, rescheduled", outcome="busy", duration=""))
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        call.refresh_from_db()
    assert (call.subject, call.outcome, call.duration_seconds) == ("Intro, rescheduled", "busy", None)


def test_delete_asks_first_then_removes_it(alice_client: Any, tenant_a: Any) -> None:
    call = InteractionFactory(tenant=tenant_a, subject="Wrong contact")
    url = reverse("interactions:delete", args=[call.pk])
    confirm = alice_client.get(url).content.decode()
    assert "Delete Call: Wrong contact?" in confirm and "disappears from the timeline" in confirm
    response = alice_client.post(url)
    assert response["Location"] == reverse("customers:contact-detail", args=[call.contact_id])
    with tenant_context(tenant_a.id):
        assert not Interaction.objects.filter(pk=call.pk).exists()


def test_interactions_follow_their_contacts_owner(sam_client: Any, sam: Any, alice: Any, tenant_a: Any) -> None:
    tenant_a.record_visibility = {"sales": "own"}
    tenant_a.save()
    mine = InteractionFactory(tenant=tenant_a, contact=ContactFactory(tenant=tenant_a, owner=sam), subject="Mine")
    theirs = InteractionFactory(
        tenant=tenant_a, contact=ContactFactory(tenant=tenant_a, owner=alice), subject="Alice's"
    )
    assert sam_client.get(reverse("interactions:detail", args=[mine.pk])).status_code == 200
    assert sam_client.get(reverse("interactions:detail", args=[theirs.pk])).status_code == 404
    feed = sam_client.get(reverse("interactions:feed")).content.decode()
    assert "Call: Mine" in feed and "Alice&#x27;s" not in feed


def test_timeline_entries_show_channel_duration_outcome_files_and_link(alice_client: Any, tenant_a: Any) -> None:
    from tests.interactions.factories import InteractionAttachmentFactory

    contact = ContactFactory(tenant=tenant_a)
    call = InteractionFactory(tenant=tenant_a, contact=contact, subject="Renewal", duration_seconds=754,
                              outcome="connected")  # fmt: skip
    InteractionAttachmentFactory.create_batch(2, tenant=tenant_a, interaction=call)
    InteractionFactory(tenant=tenant_a, contact=contact, kind="social", channel="linkedin", subject="Congrats")
    page = alice_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert f'<a href="/interactions/{call.pk}/">Call: Renewal</a>' in page
    assert "Outbound · 12:34 · Connected · 2 attachments" in page
    assert "Social message (LinkedIn): Congrats" in page


def test_a_contact_without_a_phone_shows_a_dash_not_a_link(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a, phone="")
    page = sam_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert re.search(r'Phone</dt><dd class="col-7">—</dd>', page) and "tel:" not in page
    rows = sam_client.get(reverse("customers:contact-list")).content.decode()
    assert "tel:" not in rows and "Any owner</td>" not in rows
