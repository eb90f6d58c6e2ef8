"""Delivering reminders: once in the app, at most once by email, however many dispatchers run.

How a reminder is claimed and why it cannot go out twice:

1. One transaction claims the row with a conditional UPDATE
   (``state = 'pending' AND remind_at <= now`` -> ``'sending'`` with a fresh ``claim_token``).
   PostgreSQL serialises concurrent UPDATEs of a row; the loser re-checks the condition after the
   winner commits and updates nothing, so exactly one worker owns the reminder. The in-app
   notification is written in that same transaction: it exists if and only if the claim
   committed, so in the app it is delivered exactly once.
2. The email is sent outside any transaction (never hold a row lock across network I/O), then the
   row is marked ``sent`` - only if it still carries our claim token, so a reminder re-armed by an
   edit meanwhile is not marked by a stale send.
3. If the process dies between (1) and the end of (2), the row stays ``sending``. We cannot know
   whether the SMTP server accepted the message, so the sweeper marks such rows ``failed`` and
   never back to ``pending``: email is AT MOST ONCE. The alternative, re-queueing stuck rows
   (at least once), would send a duplicate whenever the crash came after the server accepted the
   message; a missed reminder is visible (the in-app one still arrived, and the row says why),
   a duplicate is not undoable. Only errors that prove nothing was sent - failing to connect to
   the mail server - put the row back to ``pending`` for the next run, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.models import Tenant
from followups.models import Reminder, ReminderState, Task
from followups.selectors import user_zone
from notifications.services import notify

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BATCH = 200
# Longer than any send can take (EMAIL_TIMEOUT and the task's time limit are far shorter).
STUCK_AFTER = timedelta(minutes=15)


def reminders_due_exist(*, now: datetime | None = None) -> bool:
    """Cheap check for the dispatcher (reminder_due_idx / reminder_stuck_idx)."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(state=ReminderState.PENDING, remind_at__lte=now).exists()
        or Reminder.objects.filter(state=ReminderState.SENDING, claimed_at__lt=now - STUCK_AFTER).exists()
    )


def reminders_send_due(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Sweep stuck claims, then deliver every due reminder of the current tenant; returns how many
    this call delivered (others running at the same time deliver the rest)."""
    reminders_sweep_stuck(now=now)
    now = now or timezone.now()
    due = (
        Reminder.objects.filter(state=ReminderState.PENDING, remind_at__lte=now)
        .order_by("remind_at", "id")
        .values_list("id", flat=True)
    )
    return sum(1 for reminder_id in list(due[:BATCH]) if reminder_deliver(tenant=tenant, reminder_id=reminder_id))


def reminders_sweep_stuck(*, now: datetime | None = None) -> int:
    """Claims older than STUCK_AFTER: the sender died mid-way. Failed, never re-sent (see above)."""
    now = now or timezone.now()
    return Reminder.objects.filter(state=ReminderState.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=ReminderState.FAILED,
        claim_token=None,
        error=_("Interrupted while sending the email; not retried, so it cannot arrive twice."),
    )


def reminder_deliver(*, tenant: Tenant, reminder_id: int) -> bool:
    """Claim one reminder and deliver it; False when someone else has it or it is not due."""
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        claimed = Reminder.objects.filter(pk=reminder_id, state=ReminderState.PENDING, remind_at__lte=now).update(
            state=ReminderState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            return False
        reminder = Reminder.objects.select_related("task", "task__assignee", "task__contact", "task__deal").get(
            pk=reminder_id
        )
        task = reminder.task
        assignee = task.assignee
        if assignee is None or not assignee.is_active:
            reminder.state, reminder.error, reminder.claim_token = ReminderState.FAILED, _("No one to remind."), None
            reminder.save(update_fields=["state", "error", "claim_token"])
            return False
        if reminder.notified_at is None:
            try:
                notify(
                    tenant=tenant,
                    user=assignee,
                    title=_("Reminder: %(title)s") % {"title": task.title},
                    body=_due_line(task),
                    url=reverse("followups:task-edit", args=[task.pk]),
                    kind="task_reminder",
                )
            except ValueError as error:  # e.g. the assignee left the workspace: nobody to remind
                reminder.state, reminder.error, reminder.claim_token = ReminderState.FAILED, str(error), None
                reminder.save(update_fields=["state", "error", "claim_token"])
                return False
            reminder.notified_at = now
            reminder.save(update_fields=["notified_at"])
    return _send_email(reminder, task, token)


def _send_email(reminder: Reminder, task: Task, token: uuid.UUID) -> bool:
    mine = Reminder.objects.filter(pk=reminder.pk, claim_token=token, state=ReminderState.SENDING)
    message = _reminder_email(task, token)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        # Nothing reached the server: safe to try again on the next run (the in-app one is done).
        retry = reminder.attempts < MAX_ATTEMPTS
        mine.update(
            state=ReminderState.PENDING if retry else ReminderState.FAILED,
            claim_token=None,
            error=_("Could not reach the mail server: %(error)s") % {"error": error},
        )
        logger.warning("reminder %s: mail server unreachable (%s); retry=%s", reminder.pk, error, retry)
        return False
    try:
        connection.send_messages([message])
    except (OSError, smtplib.SMTPException) as error:
        # The server may or may not have taken it: failed, not retried (at most once).
        mine.update(
            state=ReminderState.FAILED, claim_token=None, error=_("Sending failed: %(error)s") % {"error": error}
        )
        logger.warning("reminder %s: sending failed (%s)", reminder.pk, error)
        return False
    finally:
        connection.close()
    mine.update(state=ReminderState.SENT, emailed_at=timezone.now(), error="")
    return True


def _due_line(task: Task) -> str:
    if task.due_at is None:
        return ""
    assert task.assignee is not None
    local = task.due_at.astimezone(user_zone(task.assignee))
    return _("Due %(when)s (%(zone)s)") % {"when": date_format(local, "DATETIME_FORMAT"), "zone": local.tzname()}


def _reminder_email(task: Task, token: uuid.UUID) -> EmailMessage:
    assert task.assignee is not None
    link = f"{settings.SITE_URL}{reverse('followups:task-edit', args=[task.pk])}"
    lines = [task.title, _due_line(task)]
    if task.contact:
        lines.append(_("Contact: %(name)s") % {"name": task.contact.full_name})
    if task.deal:
        lines.append(_("Deal: %(name)s") % {"name": task.deal.name})
    if task.notes:
        lines += ["", task.notes]
    lines += ["", _("Open the task: %(link)s") % {"link": link}]
    domain = (settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "crm.local").lower()
    return EmailMessage(
        subject=_("Reminder: %(title)s") % {"title": task.title},
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[task.assignee.email],
        # One Message-ID per claim: should a copy ever be re-sent by a relay, mail clients fold them.
        headers={"Message-ID": f"<reminder-{task.tenant_id}-{task.pk}-{token.hex}@{domain}>"},
    )
