"""The per-user calendar feed (.ics at a secret address) and meeting invitations."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from crm.tenancy.context import tenant_context
from followups.calendar import meeting_invite
from followups.models import CalendarFeed, TaskStatus
from interactions.models import InteractionContact, InteractionKind, InteractionUser
from tests.factories import ContactFactory, InteractionFactory, MembershipFactory, UserFactory
from tests.followups.factories import TaskFactory

pytestmark = pytest.mark.django_db


def make_feed(client) -> str:
    page = client.post(reverse("followups:calendar"), {"action": "create"}).content.decode()
    return page.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_has_my_open_tasks_and_meetings_and_parses(alice_client, client, tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    due = timezone.now().replace(microsecond=0) + timedelta(days=2)
    task = TaskFactory(tenant=tenant_a, assignee=alice, due_at=due, title="Quote, revised; v2", contact=contact)
    TaskFactory(tenant=tenant_a, assignee=alice, due_at=due, status=TaskStatus.DONE, title="Already done")
    TaskFactory(tenant=tenant_a, assignee=alice, due_at=None, title="Whenever")
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    logged = InteractionFactory(
        tenant=tenant_a, kind=InteractionKind.MEETING, subject="Kick-off", logged_by=alice, occurred_at=start,
        duration_seconds=3600, contact=contact,
    )  # fmt: skip
    other = UserFactory(email="olga@acme.example")
    MembershipFactory(user=other, tenant=tenant_a)
    invited = InteractionFactory(
        tenant=tenant_a,
        kind=InteractionKind.MEETING,
        subject="Review",
        logged_by=other,
        occurred_at=start,
        contact=contact,
    )
    with tenant_context(tenant_a.id):
        InteractionUser.objects.create(tenant=tenant_a, interaction=invited, user=alice)
    InteractionFactory(tenant=tenant_a, kind=InteractionKind.MEETING, subject="Too old", logged_by=alice,
                       occurred_at=timezone.now() - timedelta(days=40), contact=contact)  # fmt: skip
    InteractionFactory(tenant=tenant_a, kind=InteractionKind.CALL, subject="A call", logged_by=alice, contact=contact)

    url = make_feed(alice_client)
    response = client.get(url)  # no session: calendar apps just fetch the address
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response.content)
    assert set(found) == {
        f"task-{tenant_a.id}-{task.pk}@crm",
        f"meeting-{tenant_a.id}-{logged.pk}@crm",
        f"meeting-{tenant_a.id}-{invited.pk}@crm",
    }
    todo = found[f"task-{tenant_a.id}-{task.pk}@crm"]
    assert str(todo["summary"]) == "☐ Quote, revised; v2"
    assert b"Quote\\, revised\\; v2" in response.content  # RFC 5545 text escaping
    assert todo.decoded("dtstart") == due and todo.decoded("dtstart").utcoffset() == timedelta(0)
    assert "DTSTAMP" in todo
    meeting = found[f"meeting-{tenant_a.id}-{logged.pk}@crm"]
    assert meeting.decoded("dtend") - meeting.decoded("dtstart") == timedelta(hours=1)
    with tenant_context(tenant_a.id):
        assert CalendarFeed.objects.get(user=alice).last_used_at is not None


def test_the_token_is_stored_hashed_shown_once_and_can_be_revoked_or_replaced(alice_client, client, tenant_a, alice):
    url = make_feed(alice_client)
    secret = url.rsplit("-", 1)[-1].removesuffix(".ics")
    with tenant_context(tenant_a.id):
        stored = CalendarFeed.objects.get(user=alice).token_hash
    assert secret not in stored and len(stored) == 64
    page = alice_client.get(reverse("followups:calendar")).content.decode()
    assert url not in page and "Make a new address" in page  # shown once only

    replacement = make_feed(alice_client)
    assert client.get(url).status_code == 404
    assert client.get(replacement).status_code == 200
    alice_client.post(reverse("followups:calendar"), {"action": "revoke"})
    assert client.get(replacement).status_code == 404


def test_a_token_never_shows_another_users_items(
    alice_client, client, tenant_a, tenant_b, alice, charlie, charlie_client
):
    TaskFactory(tenant=tenant_a, assignee=alice, due_at=timezone.now() + timedelta(days=1), title="Alice's task")
    TaskFactory(tenant=tenant_b, assignee=charlie, due_at=timezone.now() + timedelta(days=1), title="Charlie's task")
    bob = UserFactory(email="bob2@acme.example")
    MembershipFactory(user=bob, tenant=tenant_a)
    TaskFactory(tenant=tenant_a, assignee=bob, due_at=timezone.now() + timedelta(days=1), title="Bob's task")
    alice_feed = client.get(make_feed(alice_client)).content.decode()
    charlie_url = make_feed(charlie_client)
    charlie_feed = client.get(charlie_url).content.decode()
    assert "Alice's task" in alice_feed and "Bob's task" not in alice_feed and "Charlie's task" not in alice_feed
    assert "Charlie's task" in charlie_feed and "Alice's task" not in charlie_feed
    # Charlie's secret presented as tenant A's: no such feed there.
    secret = charlie_url.rsplit("/", 1)[1].split("-", 1)[1]
    assert (
        client.get(
            reverse("followups:calendar-feed", args=[f"{tenant_a.id}-{secret.removesuffix('.ics')}"])
        ).status_code
        == 404
    )
    assert client.get(reverse("followups:calendar-feed", args=["garbage"])).status_code == 404


def test_a_member_who_left_the_workspace_loses_the_feed(alice_client, client, tenant_a, alice):
    url = make_feed(alice_client)
    alice.memberships.update(is_active=False)
    assert client.get(url).status_code == 404


def test_the_calendar_page_has_an_empty_state(alice_client):
    page = alice_client.get(reverse("followups:calendar")).content.decode()
    assert "No calendar address yet" in page and 'data-testid="make-feed"' in page


def test_a_meeting_invite_is_a_request_with_the_attendees(tenant_a, alice):
    contact = ContactFactory(tenant=tenant_a, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    colleague_contact = ContactFactory(tenant=tenant_a, first_name="Bea", last_name="Byron", email="bea@example.com")
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    meeting = InteractionFactory(
        tenant=tenant_a, kind=InteractionKind.MEETING, subject="Plan; next steps", body="Agenda:\n1. price",
        occurred_at=start, duration_seconds=1800, contact=contact, logged_by=alice,
    )  # fmt: skip
    with tenant_context(tenant_a.id):
        InteractionContact.objects.create(tenant=tenant_a, interaction=meeting, contact=colleague_contact)
        InteractionUser.objects.create(tenant=tenant_a, interaction=meeting, user=alice)
        body = meeting_invite(interaction=meeting, organizer_email="alice@acme.example")
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["method"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"meeting-{tenant_a.id}-{meeting.pk}@crm"  # the same event as in the feed
    assert event.decoded("dtstart") == start and event.decoded("dtend") == start + timedelta(minutes=30)
    assert str(event["organizer"]) == "mailto:alice@acme.example"
    attendees = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
    assert sorted(str(a) for a in attendees) == ["mailto:ada@example.com", "mailto:bea@example.com"]
    assert str(event["summary"]) == "Plan; next steps" and b"Plan\\; next steps" in body
    with pytest.raises(ValueError, match="Only a meeting"):
        call = InteractionFactory(tenant=tenant_a, kind=InteractionKind.CALL, contact=contact)
        with tenant_context(tenant_a.id):
            meeting_invite(interaction=call, organizer_email="alice@acme.example")
