"""The agent pages: list filters, the workspace, replies and notes, merge, canned responses, queues, access."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.tenancy.context import tenant_context
from service_desk.models import MessageKind, Ticket, TicketMessage, TicketStatus
from tests.factories import ContactFactory, OrderFactory
from tests.service_desk.factories import CannedResponseFactory, QueueFactory, make_ticket

pytestmark = pytest.mark.django_db

LIST = reverse("service_desk:ticket_list")


def _numbers(response) -> list[str]:
    import re

    return re.findall(r'aria-label="Select #(\d+)"', response.content.decode())


def test_list_filters_open_unassigned_mine_and_queue(tenant_a, alice, alice_client, sam):
    billing = QueueFactory(tenant=tenant_a, name="Billing")
    mine = make_ticket(tenant_a, subject="Mine", assignee=alice)
    unassigned = make_ticket(tenant_a, subject="Nobody's", queue=billing)
    solved = make_ticket(tenant_a, subject="Done", assignee=sam)
    with tenant_context(tenant_a.id):
        from service_desk.services import ticket_status_change

        ticket_status_change(tenant=tenant_a, ticket=solved, status=TicketStatus.SOLVED, by=alice)

    assert sorted(_numbers(alice_client.get(LIST, {"status": "open"}))) == sorted(
        [str(mine.number), str(unassigned.number)]
    )
    assert _numbers(alice_client.get(LIST, {"status": "open", "assignee": "me"})) == [str(mine.number)]
    assert _numbers(alice_client.get(LIST, {"status": "open", "assignee": "none"})) == [str(unassigned.number)]
    assert _numbers(alice_client.get(LIST, {"queue": billing.pk})) == [str(unassigned.number)]
    assert _numbers(alice_client.get(LIST, {"status": "solved"})) == [str(solved.number)]
    assert _numbers(alice_client.get(LIST, {"q": f"#{mine.number}"})) == [str(mine.number)]


def test_list_filters_by_tag_category_and_contact(tenant_a, alice_client):
    contact = ContactFactory(tenant=tenant_a)
    tagged = make_ticket(tenant_a, subject="Refund please", tags=["refund"], category="billing", contact=contact)
    make_ticket(tenant_a, subject="Other")
    assert _numbers(alice_client.get(LIST, {"tag": "REFUND"})) == [str(tagged.number)]
    assert _numbers(alice_client.get(LIST, {"category": "Billing"})) == [str(tagged.number)]
    assert _numbers(alice_client.get(LIST, {"contact": contact.pk})) == [str(tagged.number)]


def test_list_queries_do_not_grow_with_rows(tenant_a, alice, alice_client):
    queue = QueueFactory(tenant=tenant_a)
    for index in range(3):
        make_ticket(tenant_a, subject=f"T{index}", contact=ContactFactory(tenant=tenant_a), assignee=alice, queue=queue)
    alice_client.get(LIST)  # the first request also saves the session
    with CaptureQueriesContext(connection) as few:
        assert alice_client.get(LIST).status_code == 200
    for index in range(12):
        make_ticket(tenant_a, subject=f"U{index}", contact=ContactFactory(tenant=tenant_a), assignee=alice, queue=queue)
    with CaptureQueriesContext(connection) as many:
        response = alice_client.get(LIST)
    assert len(_numbers(response)) == 15
    assert len(many) == len(few)


def test_list_pages_with_a_cursor(tenant_a, alice_client):
    for index in range(55):
        make_ticket(tenant_a, subject=f"Ticket {index}")
    first = alice_client.get(LIST)
    assert len(_numbers(first)) == 50
    cursor = first.context["page"].next_cursor
    second = alice_client.get(LIST, {"after": cursor})
    assert len(_numbers(second)) == 5
    assert not set(_numbers(first)) & set(_numbers(second))


def test_empty_list_says_so(alice_client):
    response = alice_client.get(LIST)
    assert response.status_code == 200
    assert "No tickets yet" in response.content.decode()


def test_create_ticket_with_a_new_contact(tenant_a, sam_client):
    response = sam_client.post(
        reverse("service_desk:ticket_create"),
        {
            "subject": "Phone: order missing",
            "description": "Called about order 77",
            "channel": "phone",
            "priority": "high",
            "new_first_name": "Nina",
            "new_last_name": "Neu",
            "new_email": "Nina@Example.org",
            "tags": "Delivery, vip",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        ticket = Ticket.objects.select_related("contact").get()
    assert ticket.contact.email == "nina@example.org" and ticket.contact.first_name == "Nina"
    assert (ticket.priority, ticket.channel, ticket.tags) == ("high", "phone", ["delivery", "vip"])
    assert response["Location"] == reverse("service_desk:ticket_detail", args=[ticket.pk])


def test_create_form_shows_errors_next_to_fields(sam_client):
    response = sam_client.post(
        reverse("service_desk:ticket_create"),
        {"subject": "", "channel": "phone", "priority": "normal", "new_first_name": "X"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "subject" in form.errors and "new_email" in form.errors


def test_workspace_shows_conversation_customer_card_and_notes_distinctly(tenant_a, alice, alice_client):
    contact = ContactFactory(tenant=tenant_a, first_name="Ada")
    OrderFactory(tenant=tenant_a, contact=contact, amount="120.50")
    earlier = make_ticket(tenant_a, subject="Earlier problem", contact=contact)
    ticket = make_ticket(tenant_a, subject="Broken hinge", description="The hinge broke", contact=contact)
    with tenant_context(tenant_a.id):
        from service_desk.services import ticket_message_add

        ticket_message_add(tenant=tenant_a, ticket=ticket, kind=MessageKind.NOTE, body_text="Check stock", by=alice)
    response = alice_client.get(reverse("service_desk:ticket_detail", args=[ticket.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="message-customer"' in page and 'data-testid="message-note"' in page
    assert "The hinge broke" in page and "Check stock" in page
    assert f"#{earlier.number} Earlier problem" in page
    assert "120.50" in page


def test_reply_with_attachment_and_status(tenant_a, sam, sam_client):
    ticket = make_ticket(tenant_a, requester_email="ann@example.org")
    upload = SimpleUploadedFile("steps.txt", b"1. open\n2. close", content_type="text/plain")
    response = sam_client.post(
        reverse("service_desk:ticket_message_create", args=[ticket.pk]),
        {"kind": "reply", "body_text": "Try these steps", "attachments": [upload], "then_status": "pending"},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
        reply = TicketMessage.objects.get(ticket=ticket, kind=MessageKind.REPLY)
        attachment = reply.attachments.get()
        emailed_to = reply.outbound_email.to if reply.outbound_email else None
    assert ticket.status == TicketStatus.PENDING and ticket.first_responded_at is not None
    assert emailed_to == ["ann@example.org"]
    download = sam_client.get(reverse("service_desk:attachment_download", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == b"1. open\n2. close"
    assert download["Content-Disposition"].startswith("attachment")


def test_refused_attachment_is_shown_and_nothing_saved(tenant_a, sam_client):
    ticket = make_ticket(tenant_a)
    upload = SimpleUploadedFile("tool.exe", b"MZ...", content_type="application/octet-stream")
    response = sam_client.post(
        reverse("service_desk:ticket_message_create", args=[ticket.pk]),
        {"kind": "note", "body_text": "see file", "attachments": [upload]},
    )
    assert response.status_code == 400
    assert ".exe" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.NOTE).exists()


def test_panel_save_changes_fields_and_status_and_reports_stale_versions(tenant_a, alice, sam_client, sam):
    ticket = make_ticket(tenant_a)
    url = reverse("service_desk:ticket_update", args=[ticket.pk])
    data = {
        "version": ticket.version,
        "subject": "Renamed",
        "status": "on_hold",
        "priority": "urgent",
        "assignee": sam.pk,
        "tags": "a, b",
        "category": "returns",
    }
    assert sam_client.post(url, data).status_code == 302
    with tenant_context(tenant_a.id):
        ticket.refresh_from_db()
    assert (ticket.subject, ticket.status, ticket.priority, ticket.assignee_id) == (
        "Renamed",
        "on_hold",
        "urgent",
        sam.pk,
    )
    stale = sam_client.post(url, {**data, "subject": "Again"})  # the version it started from is gone
    assert stale.status_code == 400
    assert "after you opened it" in stale.content.decode()


def test_merge_from_the_page(tenant_a, sam_client):
    target = make_ticket(tenant_a, subject="Original")
    duplicate = make_ticket(tenant_a, subject="Duplicate", description="same thing")
    response = sam_client.post(reverse("service_desk:ticket_merge", args=[duplicate.pk]), {"into": target.number})
    assert response["Location"] == reverse("service_desk:ticket_detail", args=[target.pk])
    with tenant_context(tenant_a.id):
        duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk and duplicate.status == TicketStatus.CLOSED
    missing = sam_client.post(reverse("service_desk:ticket_merge", args=[target.pk]), {"into": 9999})
    assert missing.status_code == 400 and "There is no ticket #9999" in missing.content.decode()


def test_canned_response_is_inserted_with_merge_fields(tenant_a, sam_client):
    contact = ContactFactory(tenant=tenant_a, first_name="Grace")
    ticket = make_ticket(tenant_a, subject="Late parcel", contact=contact)
    canned = CannedResponseFactory(
        tenant=tenant_a,
        body="Hi {{ contact.first_name }}, about #{{ ticket.number }} ({{ ticket.subject }}). {{ agent.name }}",
    )
    response = sam_client.get(
        reverse("service_desk:canned_insert", args=[ticket.pk]), {"canned": canned.pk, "body_text": "Typed first."}
    )
    text = response.content.decode()
    assert f"Typed first.\n\nHi Grace, about #{ticket.number} (Late parcel). Sam Service" in text


def test_canned_response_with_an_unknown_field_is_refused(sam_client):
    response = sam_client.post(reverse("service_desk:canned_create"), {"title": "Bad", "body": "Hi {{ contact.iban }}"})
    assert response.status_code == 200
    assert "contact.iban" in response.context["form"].errors["body"][0]


def test_queue_settings_default_and_members(tenant_a, alice_client, sam):
    first = QueueFactory(tenant=tenant_a, name="Support", is_default=True)
    response = alice_client.post(
        reverse("service_desk:queue_create"),
        {"name": "Billing", "email_address": "Billing@Acme.example", "is_default": "on"},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        from service_desk.models import Queue, QueueMember

        billing = Queue.objects.get(name="Billing")
        first.refresh_from_db()
        assert billing.is_default and not first.is_default and billing.email_address == "billing@acme.example"
        alice_client.post(
            reverse("service_desk:queue_member_add", args=[billing.pk]), {"user": sam.pk, "is_available": "on"}
        )
        member = QueueMember.objects.get(queue=billing)
        alice_client.post(reverse("service_desk:queue_member_toggle", args=[member.pk]))
        member.refresh_from_db()
    assert member.user_id == sam.pk and member.is_available is False
    page = alice_client.get(reverse("service_desk:queue_list")).content.decode()
    assert "Sam Service" in page and "billing@acme.example" in page


def test_contact_page_shows_its_tickets(tenant_a, alice_client):
    contact = ContactFactory(tenant=tenant_a)
    make_ticket(tenant_a, subject="Wobbly table", contact=contact)
    page = alice_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert 'data-testid="tickets-card"' in page and "Wobbly table" in page
    assert "opened: Wobbly table" in page  # the contact's timeline has the ticket too
    assert f"{reverse('service_desk:ticket_create')}?contact={contact.pk}" in page


def test_global_search_finds_tickets_by_number_and_subject(tenant_a, tenant_b, alice_client):
    ticket = make_ticket(tenant_a, subject="Quantum flux capacitor")
    make_ticket(tenant_b, subject="Quantum flux elsewhere")
    by_word = alice_client.get(reverse("search"), {"q": "flux"}).content.decode()
    assert "Quantum flux capacitor" in by_word and "elsewhere" not in by_word
    by_number = alice_client.get(reverse("search"), {"q": f"#{ticket.number}"}).content.decode()
    assert "Quantum flux capacitor" in by_number


# --- Access ---------------------------------------------------------------------------------------------


def test_another_tenants_ticket_is_a_404(tenant_a, charlie_client):
    ticket = make_ticket(tenant_a)
    for name in ("ticket_detail", "ticket_update", "ticket_message_create", "ticket_merge", "ticket_take"):
        method = charlie_client.get if name == "ticket_detail" else charlie_client.post
        assert method(reverse(f"service_desk:{name}", args=[ticket.pk])).status_code == 404, name
    assert "Printer on fire" not in charlie_client.get(LIST).content.decode()


def test_sales_may_read_but_not_work_tickets(tenant_a, sally_client):
    ticket = make_ticket(tenant_a)
    page = sally_client.get(reverse("service_desk:ticket_detail", args=[ticket.pk]))
    assert page.status_code == 200 and 'data-testid="reply-box"' not in page.content.decode()
    assert sally_client.get(LIST).status_code == 200
    assert sally_client.get(reverse("service_desk:ticket_create")).status_code == 403
    for name in ("ticket_update", "ticket_message_create", "ticket_merge", "ticket_take"):
        assert sally_client.post(reverse(f"service_desk:{name}", args=[ticket.pk])).status_code == 403, name


def test_only_admins_configure_queues(sam_client, bob_client):
    assert sam_client.get(reverse("service_desk:queue_list")).status_code == 403
    assert bob_client.post(reverse("service_desk:queue_create"), {"name": "X"}).status_code == 403


def test_breaching_soon_lists_open_tickets_due_within_the_hour(tenant_a, alice_client):
    from datetime import timedelta

    from django.utils import timezone

    from sla.models import TicketSla

    soon, later, breached = (make_ticket(tenant_a, subject=name) for name in ("Soon", "Later", "Breached"))
    now = timezone.now()
    with tenant_context(tenant_a.id):
        for ticket, due, late in [
            (soon, now + timedelta(minutes=30), False),
            (later, now + timedelta(hours=3), False),
            (breached, now - timedelta(minutes=5), True),
        ]:
            TicketSla.objects.update_or_create(
                ticket=ticket, defaults={"tenant": tenant_a, "resolution_due": due, "resolution_breached": late}
            )
    assert _numbers(alice_client.get(LIST, {"sla": "breaching"})) == [str(soon.number)]
    assert _numbers(alice_client.get(LIST, {"sla": "breached"})) == [str(breached.number)]


def test_sidebar_badge_counts_open_unassigned_tickets(tenant_a, alice, alice_client):
    make_ticket(tenant_a, subject="Nobody's")
    make_ticket(tenant_a, subject="Alice's", assignee=alice)
    badge = alice_client.get(reverse("service_desk:unassigned_badge")).content.decode()
    assert 'data-testid="unassigned-count">1<' in badge
