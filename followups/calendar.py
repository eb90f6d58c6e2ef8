"""iCalendar (RFC 5545): a member's feed of open tasks and meetings, and meeting invitations.

All times are written in UTC ("...Z"): every client converts them to its own zone, and no
VTIMEZONE blocks are needed. The icalendar library escapes text (commas, semicolons, newlines)
and folds long lines. UIDs are stable per record, so a meeting in the feed and the invitation
mailed for it are the same event to the calendar app.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import icalendar
from django.db.models import Q
from django.utils import timezone

from crm.models import Tenant, User
from followups.models import CalendarFeed, Task, TaskStatus

PRODID = "-//CRM//Tasks and meetings//EN"
MEETINGS_PAST = timedelta(days=30)
MEETINGS_AHEAD = timedelta(days=365)
DEFAULT_MEETING = timedelta(minutes=30)
TASK_LENGTH = timedelta(minutes=15)  # a task shows as a short event at its due time
FEED_LIMIT = 2000


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _uid(kind: str, pk: int, tenant_id: int) -> str:
    return f"{kind}-{tenant_id}-{pk}@crm"


def task_uid(task: Task) -> str:
    return _uid("task", task.pk, task.tenant_id)  # type: ignore[arg-type]


def meeting_uid(interaction: object) -> str:
    return _uid("meeting", interaction.pk, interaction.tenant_id)  # type: ignore[attr-defined]


def _calendar(method: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _meeting_event(interaction: object, *, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    start = _utc(interaction.occurred_at)  # type: ignore[attr-defined]
    seconds = interaction.duration_seconds  # type: ignore[attr-defined]
    event.add("uid", meeting_uid(interaction))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", start)
    event.add("dtend", start + (timedelta(seconds=seconds) if seconds else DEFAULT_MEETING))
    event.add("summary", interaction.subject or "Meeting")  # type: ignore[attr-defined]
    if interaction.body:  # type: ignore[attr-defined]
        event.add("description", interaction.body)  # type: ignore[attr-defined]
    return event


def _attendees(interaction: object) -> list[tuple[str, str]]:
    """(email, name) of the contact, the other contacts and the colleagues who take part."""
    people: list[tuple[str, str]] = []
    contact = interaction.contact  # type: ignore[attr-defined]
    if contact is not None and contact.email:
        people.append((contact.email, contact.full_name))
    for other in interaction.participant_contacts.all():  # type: ignore[attr-defined]
        if other.email:
            people.append((other.email, other.full_name))
    for user in interaction.participant_users.all():  # type: ignore[attr-defined]
        people.append((user.email, str(user)))
    seen: set[str] = set()
    unique = []
    for email, name in people:
        if email.lower() not in seen:
            seen.add(email.lower())
            unique.append((email, name))
    return unique


def meeting_invite(*, interaction: object, organizer_email: str) -> bytes:
    """A METHOD:REQUEST invitation for a meeting Interaction (occurred_at = start), to attach to an
    email as ``text/calendar; method=REQUEST``. Call inside the interaction's tenant."""
    if getattr(interaction, "kind", None) != "meeting":
        raise ValueError("Only a meeting can be sent as an invitation.")
    calendar = _calendar("REQUEST")
    event = _meeting_event(interaction, stamp=timezone.now())
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{organizer_email}")
    event.add("organizer", organizer)
    for email, name in _attendees(interaction):
        if email.lower() == organizer_email.lower():
            continue
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = icalendar.vText(name or email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def feed_calendar(*, user: User, tenant: Tenant, now: datetime | None = None) -> bytes:
    """The member's open tasks with a due time, and meetings they logged or take part in (30 days
    back to a year ahead). Call inside the tenant's context."""
    from interactions.models import Interaction, InteractionUser

    now = now or timezone.now()
    calendar = _calendar()
    calendar.add("x-wr-calname", f"CRM · {tenant.name}")
    tasks = (
        Task.objects.filter(assignee=user, status=TaskStatus.OPEN, due_at__isnull=False)
        .select_related("contact", "deal")
        .order_by("due_at", "id")[:FEED_LIMIT]
    )
    for task in tasks:
        assert task.due_at is not None
        event = icalendar.Event()
        event.add("uid", task_uid(task))
        event.add("dtstamp", _utc(task.updated_at))
        event.add("dtstart", _utc(task.due_at))
        event.add("dtend", _utc(task.due_at) + TASK_LENGTH)
        event.add("summary", f"☐ {task.title}")
        details = [task.notes] if task.notes else []
        if task.contact:
            details.append(f"Contact: {task.contact.full_name}")
        if task.deal:
            details.append(f"Deal: {task.deal.name}")
        if details:
            event.add("description", "\n".join(details))
        event.add("categories", ["Task"])
        event.add("priority", {"high": 1, "normal": 5, "low": 9}.get(task.priority, 5))
        calendar.add_component(event)
    meetings = (
        Interaction.objects.filter(
            Q(logged_by=user) | Q(pk__in=InteractionUser.objects.filter(user=user).values("interaction_id")),
            kind="meeting",
            occurred_at__gte=now - MEETINGS_PAST,
            occurred_at__lte=now + MEETINGS_AHEAD,
        )
        .order_by("occurred_at", "id")[:FEED_LIMIT]
    )  # fmt: skip
    for meeting in meetings:
        calendar.add_component(_meeting_event(meeting, stamp=meeting.created_at))
    return bytes(calendar.to_ical())


# --- The secret feed address ------------------------------------------------------------------
# The address is /tasks/calendar/<tenant id>-<secret>.ics: calendar apps fetch it without a
# session, so it names its workspace (to set the tenant before the row-level-secured lookup);
# the 256-bit secret proves it. Only the SHA-256 of the secret is stored.


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_token_create(*, tenant: Tenant, user: User) -> str:
    """Make (or replace) the member's feed address; returns the token, which is never stored."""
    from django.db import transaction

    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(tenant=tenant, user=user).delete()
        CalendarFeed.objects.create(tenant=tenant, user=user, token_hash=_hash(secret))
    return f"{tenant.pk}-{secret}"


def feed_token_revoke(*, tenant: Tenant, user: User) -> bool:
    return CalendarFeed.objects.filter(tenant=tenant, user=user).delete()[0] > 0


def split_token(token: str) -> tuple[int, str] | None:
    tenant_part, _, secret = token.partition("-")
    if not tenant_part.isdigit() or len(secret) < 20:
        return None
    return int(tenant_part), secret


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The feed whose secret this is, in the current tenant (the caller set it from the token)."""
    return CalendarFeed.objects.select_related("user").filter(token_hash=_hash(secret)).first()
