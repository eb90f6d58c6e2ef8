"""Issue 4's "Done when", walked through as a sales rep would: every step through the pages and endpoints the
browser uses (Django test client), against real servers — aiosmtpd for system mail and for the workspace's
outgoing mail, pymap for the workspace's IMAP inbox, and the inbox app's own dropbox SMTP receiver.

The dropbox receiver writes from its own thread, so the test commits for real (transactional); queued Celery
tasks run in-process (eager), as the other mail and inbox tests run them.
"""

from __future__ import annotations

import html
import re
import smtplib
import zoneinfo
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.roles import Role
from crm.tenancy.context import tenant_context
from followups.models import Reminder, ReminderState, Task
from followups.tasks import dispatch_reminders
from inbox.models import InboundMessage, Source
from inbox.services import dropbox_address, inbox_route_for
from inbox.tasks import schedule_imap_polls
from interactions.models import Interaction
from mail.models import OutboundEmail, OutboundStatus
from notifications.models import Notification
from tests.conftest import _persona, client_for
from tests.factories import AccountFactory, ContactFactory
from tests.followups.smtp import Inbox, smtp_server, smtp_settings
from tests.inbox.conftest import configure_imap, imap_server, private_media  # noqa: F401  (fixtures)
from tests.inbox.test_smtp import smtp_server as dropbox_server  # noqa: F401  (the dropbox receiver)
from tests.mail.conftest import configure_mail, eager_tasks  # noqa: F401  (eager_tasks: a fixture)
from tests.mail.conftest import smtp_server as workspace_smtp  # noqa: F401  (the tenant's SMTP server)

pytestmark = pytest.mark.django_db(transaction=True)

REP_ZONE = "Asia/Kolkata"  # the rep types times in her own zone (UTC+05:30, no DST to trip over)


@pytest.fixture
def system_smtp(settings: Any) -> Iterator[Inbox]:
    """The site's own mail (reminders) goes to a real SMTP server."""
    with smtp_server() as (inbox, port):
        smtp_settings(settings, port)
        yield inbox


@pytest.fixture
def rita(tenant_a: Any) -> Any:
    user = _persona("rita@acme.example", "Rita Rep", tenant_a, Role.SALES)
    user.time_zone = REP_ZONE
    user.save(update_fields=["time_zone"])
    return user


@pytest.fixture
def ann(tenant_a: Any) -> Any:
    account = AccountFactory(tenant=tenant_a, name="Customer Co")
    return ContactFactory(
        tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@customer.example", account=account
    )


class _Forms(HTMLParser):
    """The forms of a page as a browser submits them: their attributes and their fields' current values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attributes}
        if tag == "form":
            self.forms.append({"attrs": attrs, "fields": {}})
            return
        if not self.forms or (tag != "option" and not attrs.get("name")):
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attrs.get("type", "text") not in ("submit", "button", "file", "reset"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = (attrs["name"], "multiple" in attrs)
            if self._select[1]:
                fields[attrs["name"]] = []
        elif tag == "option" and self._select:
            name, multiple = self._select
            value = attrs.get("value", "")
            if multiple:
                if "selected" in attrs:
                    fields[name].append(value)
            elif "selected" in attrs or name not in fields:  # nothing selected: the first option is sent
                fields[name] = value
        elif tag == "textarea":
            self._textarea = attrs["name"]
            fields[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            fields = self.forms[-1]["fields"]
            fields[self._textarea] = fields[self._textarea].removeprefix("\n")  # as browsers read it
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.forms[-1]["fields"][self._textarea] += data


def form_on(page: str, *, url: str, **match: str) -> tuple[str, dict[str, Any]]:
    """Where the one form on ``page`` (at ``url``) matching ``match`` posts to, and what it sends as rendered.
    ``match`` names form attributes (data_testid=...) or, as field__name=value, a field's value."""
    parser = _Forms()
    parser.feed(page)

    def matches(form: dict[str, Any]) -> bool:
        for key, value in match.items():
            if key.startswith("field__"):
                if form["fields"].get(key.removeprefix("field__")) != value:
                    return False
            elif form["attrs"].get(key.replace("_", "-")) != value:
                return False
        return True

    [form] = [form for form in parser.forms if matches(form)]
    fields = {key: value for key, value in form["fields"].items() if key != "csrfmiddlewaretoken"}
    return urljoin(url, form["attrs"].get("action", "")), fields


def contact_page(client: Client, contact: Any) -> str:
    response = client.get(reverse("customers:contact-detail", args=[contact.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def interactions(tenant: Any, contact: Any, **filters: Any) -> list[Interaction]:
    with tenant_context(tenant.id):
        return list(Interaction.objects.filter(contact=contact, **filters).order_by("pk"))


def inbound(tenant: Any) -> list[InboundMessage]:
    with tenant_context(tenant.id):
        return list(InboundMessage.objects.order_by("pk"))


def reply(*, answering: list[str], message_id: str, subject: str, body: str, to: str = "rita@acme.example") -> bytes:
    """Ann's answer as her mail client writes it, sent now: In-Reply-To the last mail of the thread, References
    the whole thread."""
    message = EmailMessage()
    message["From"] = "Ann Lee <ann@customer.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["In-Reply-To"] = answering[-1]
    message["References"] = " ".join(answering)
    message.set_content(body)
    return message.as_bytes(policy=SMTP)


def entry(url: str, title: str) -> str:
    """A timeline entry as the contact page shows it: its title, linked to its page."""
    return f'href="{url}">{title}</a>'


def test_a_sales_rep_logs_follows_up_emails_hears_back_and_sees_it_in_their_calendar(
    tenant_a: Any,
    rita: Any,
    ann: Any,
    system_smtp: Inbox,
    workspace_smtp: Any,  # noqa: F811
    imap_server: dict[str, Any],  # noqa: F811
    dropbox_server: Any,  # noqa: F811
    eager_tasks: None,  # noqa: F811
) -> None:
    rep = client_for(rita)
    page_url = reverse("customers:contact-detail", args=[ann.pk])

    # 1. "Log a call" on the contact page opens the quick-log form (htmx); the call lands on the timeline.
    opener = re.search(r'hx-get="([^"]+)" hx-target="#quick-log-body" data-testid="log-call"', contact_page(rep, ann))
    assert opener, "the contact page offers to log a call"
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page_url}"}  # what htmx sends
    partial = rep.get(html.unescape(opener.group(1)), headers=htmx)
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    action, fields = form_on(partial.content.decode(), url=page_url)
    assert fields["kind"] == "call" and fields["occurred_at"]  # now, in the rep's own time zone
    fields |= {
        "duration": "6:15",
        "outcome": "connected",
        "subject": "Pricing for the spring order",
        "body": "Wants 200 units, asks for a written proposal.",
    }
    logged = rep.post(action, fields, headers=htmx)
    assert logged.status_code == 200, logged.content.decode()
    assert "Call: Pricing for the spring order logged." in html.unescape(logged.content.decode())
    [call] = interactions(tenant_a, ann, kind="call")
    assert (call.duration_seconds, call.outcome, call.logged_by_id) == (375, "connected", rita.pk)
    assert abs(call.occurred_at - timezone.now()) < timedelta(minutes=2)  # the prefilled "now" read in her zone
    call_entry = entry(f"/interactions/{call.pk}/", "Call: Pricing for the spring order")
    assert call_entry in contact_page(rep, ann)

    # 2. "Schedule a follow-up" from the logged note: the task form, prefilled; due soon, with a reminder.
    follow_up = re.search(r'href="([^"]+)" data-testid="follow-up"', logged.content.decode())
    assert follow_up, "the logged call offers a follow-up"
    follow_up_url = html.unescape(follow_up.group(1))
    task_page = rep.get(follow_up_url)
    assert task_page.status_code == 200
    action, fields = form_on(task_page.content.decode(), url=follow_up_url, data_testid="task-form")
    assert fields["title"] == "Follow up: Pricing for the spring order"
    assert (fields["contact"], fields["assignee"], fields["next"]) == (
        str(ann.pk),
        str(rita.pk),
        f"http://testserver{page_url}",
    )
    due = (timezone.localtime(timezone=zoneinfo.ZoneInfo(REP_ZONE)) + timedelta(minutes=10)).replace(
        second=0, microsecond=0
    )
    fields |= {
        "due_at": due.strftime("%Y-%m-%dT%H:%M"),  # typed in her zone
        "remind_before_minutes": "15",
        "notes": "Send the written proposal.",
    }
    created = rep.post(action, fields)
    assert created.status_code == 302, created.content.decode()
    assert created["Location"] == f"http://testserver{page_url}"  # back where she came from
    with tenant_context(tenant_a.id):
        task = Task.objects.get()
        assert (task.contact_id, task.assignee_id, task.due_at, task.remind_before_minutes) == (
            ann.pk,
            rita.pk,
            due,
            15,
        )
        assert Reminder.objects.get(task=task).state == ReminderState.PENDING
    assert entry(f"/tasks/{task.pk}/edit/", f"Task: {task.title}") in contact_page(rep, ann)

    # The reminder dispatcher, as celery beat calls it: one email to the rep, one notification; then nothing.
    assert dispatch_reminders() == 1
    [reminder_mail] = system_smtp.messages
    assert system_smtp.recipients == [["rita@acme.example"]]
    assert reminder_mail["Subject"] == f"Reminder: {task.title}"
    reminder_text = cast(bytes, reminder_mail.get_payload(decode=True)).decode()
    assert "Contact: Ann Lee" in reminder_text and "Send the written proposal." in reminder_text
    assert f"({due.tzname()})" in reminder_text  # the due time in her zone
    with tenant_context(tenant_a.id):
        [note] = Notification.objects.filter(user=rita)
        assert Reminder.objects.get(task=task).state == ReminderState.SENT
    assert (note.title, note.url) == (f"Reminder: {task.title}", f"/tasks/{task.pk}/edit/")
    assert f"Reminder: {task.title}" in html.unescape(rep.get(reverse("notifications:list")).content.decode())
    assert dispatch_reminders() == 0
    assert len(system_smtp.messages) == 1
    with tenant_context(tenant_a.id):
        assert Notification.objects.filter(user=rita).count() == 1

    # 3. An email from the compose page, through the workspace's SMTP settings; logged on the timeline.
    configure_mail(tenant_a, workspace_smtp)
    email_button = re.search(r'href="([^"]+)" data-testid="email-contact"', contact_page(rep, ann))
    assert email_button, "the contact page offers to email her"
    compose_url = html.unescape(email_button.group(1))
    compose_page = rep.get(compose_url)
    assert compose_page.status_code == 200
    action, fields = form_on(compose_page.content.decode(), url=compose_url, enctype="multipart/form-data")
    assert fields["to"] == "ann@customer.example"
    fields |= {"subject": "Proposal for {{ account.name }}", "body": "Hi Ann, the proposal as promised."}
    sent = rep.post(action, fields)
    with tenant_context(tenant_a.id):
        email = OutboundEmail.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("mail:detail", args=[email.pk])
    assert email.status == OutboundStatus.SENT
    [delivered] = workspace_smtp.handler.messages
    assert delivered["Message-ID"] == email.message_id and re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", email.message_id)
    assert delivered["Subject"] == "Proposal for Customer Co"
    assert workspace_smtp.handler.envelopes[0].rcpt_tos == ["ann@customer.example"]
    [sent_entry] = interactions(tenant_a, ann, kind="email")
    assert (sent_entry.pk, sent_entry.direction) == (email.interaction_id, "outbound")
    assert entry(f"/interactions/{sent_entry.pk}/", "Email: Proposal for Customer Co") in contact_page(rep, ann)

    # 4a. Ann answers; the reply lands in the workspace's IMAP mailbox and the poll (as beat runs it) logs it.
    configure_imap(tenant_a, imap_server)
    imap_server["append"](
        reply(
            answering=[email.message_id],
            message_id="<reply-1@customer.example>",
            subject="Re: Proposal for Customer Co",
            body="Looks good, we will sign this week.",
        )
    )
    assert schedule_imap_polls() == 1
    [first_reply] = inbound(tenant_a)
    assert (first_reply.source, first_reply.parent_interaction_id) == (Source.IMAP, email.interaction_id)
    [_sent, answer] = interactions(tenant_a, ann, kind="email")
    assert (answer.pk, answer.direction) == (first_reply.interaction_id, "inbound")
    assert "Looks good, we will sign this week." in answer.body
    schedule_imap_polls()  # polled again: nothing is logged twice
    assert len(inbound(tenant_a)) == 1 and len(interactions(tenant_a, ann, kind="email")) == 2

    # 4b. A second reply BCCs the workspace's dropbox address and arrives through the real SMTP receiver.
    dropbox = dropbox_address(inbox_route_for(tenant_a))
    second = reply(
        answering=[email.message_id, "<reply-1@customer.example>"],
        message_id="<reply-2@customer.example>",
        subject="Re: Proposal for Customer Co - delivery date",
        body="One more thing: can you deliver by March?",
    )
    with smtplib.SMTP(dropbox_server.hostname, dropbox_server.port) as client:
        assert client.sendmail("ann@customer.example", [dropbox], second) == {}
    [_first, second_reply] = inbound(tenant_a)
    assert second_reply.source == Source.DROPBOX and second_reply.interaction_id
    assert second_reply.parent_interaction_id == email.interaction_id  # the thread of the email we sent
    assert len(interactions(tenant_a, ann, kind="email", direction="inbound")) == 2

    timeline = contact_page(rep, ann)
    for expected in (
        call_entry,
        entry(f"/interactions/{email.interaction_id}/", "Email: Proposal for Customer Co"),
        entry(f"/interactions/{first_reply.interaction_id}/", "Email: Re: Proposal for Customer Co"),
        entry(f"/interactions/{second_reply.interaction_id}/", "Email: Re: Proposal for Customer Co - delivery date"),
    ):
        assert expected in timeline, expected
    assert "Looks good, we will sign this week." in timeline and "can you deliver by March?" in timeline
    opened = rep.get(f"/interactions/{second_reply.interaction_id}/")  # the entry's own page
    assert opened.status_code == 200 and "can you deliver by March?" in html.unescape(opened.content.decode())

    # And the rep answers with the entry page's Reply button: threaded to Ann's message.
    reply_button = re.search(r'href="([^"]*reply_to=[^"]*)"[^>]*>\s*<i class="bi bi-reply"', opened.content.decode())
    assert reply_button, "an incoming email's page offers Reply"
    reply_url = html.unescape(reply_button.group(1))
    action, fields = form_on(rep.get(reply_url).content.decode(), url=reply_url, enctype="multipart/form-data")
    assert fields["subject"] == "Re: Proposal for Customer Co - delivery date"
    assert "> One more thing: can you deliver by March?" in fields["body"]
    fields["body"] = "Yes, March works." + fields["body"]
    assert rep.post(action, fields).status_code == 302
    [_proposal, our_answer] = workspace_smtp.handler.messages
    assert our_answer["In-Reply-To"] == "<reply-2@customer.example>"
    # The whole thread, oldest first: our proposal, then the reply being answered (RFC 5322 3.6.4).
    thread = [email.message_id, "<reply-1@customer.example>", "<reply-2@customer.example>"]
    assert our_answer["References"].split() == thread
    with tenant_context(tenant_a.id):
        answer_row = OutboundEmail.objects.get(message_id=our_answer["Message-ID"])
    assert answer_row.parent_interaction_id == second_reply.interaction_id
    assert entry(
        f"/interactions/{answer_row.interaction_id}/", "Email: Re: Proposal for Customer Co - delivery date"
    ) in (contact_page(rep, ann))

    # 5. The rep's calendar feed: made on its page, read without a session as a calendar app does.
    calendar_url = reverse("followups:calendar")
    action, fields = form_on(rep.get(calendar_url).content.decode(), url=calendar_url, field__action="create")
    calendar_page = rep.post(action, fields)
    assert calendar_page.status_code == 200
    feed_url = re.search(r'value="([^"]+)" readonly data-testid="feed-url"', calendar_page.content.decode())
    assert feed_url, "the page shows the new calendar address once"
    feed = Client().get(urlsplit(html.unescape(feed_url.group(1))).path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    [event] = [item for item in calendar.walk("VEVENT") if str(item.get("UID")) == f"task-{tenant_a.id}-{task.pk}@crm"]
    assert str(event["SUMMARY"]) == f"☐ {task.title}"  # an open task: an empty box before its title
    assert event.decoded("DTSTART") == task.due_at
    assert "Contact: Ann Lee" in str(event["DESCRIPTION"])
