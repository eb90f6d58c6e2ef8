"""Tasks (follow-ups), their reminders, and the calendar feed tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ReminderChoice(models.IntegerChoices):
    """Minutes before the due time; "no reminder" is a null ``remind_before_minutes``."""

    AT_DUE = 0, _("At the due time")
    MINUTES_15 = 15, _("15 minutes before")
    HOUR_1 = 60, _("1 hour before")
    DAY_1 = 1440, _("1 day before")


class Task(TenantModel):
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, db_index=False, related_name="+",
        verbose_name=_("assigned to"),
    )  # fmt: skip
    priority = models.CharField(_("priority"), max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    remind_before_minutes = models.PositiveIntegerField(
        _("reminder"), null=True, blank=True, choices=ReminderChoice.choices, default=ReminderChoice.AT_DUE
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("contact"),
    )  # fmt: skip
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("account"),
    )  # fmt: skip
    deal = models.ForeignKey(
        "customers.Deal", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("deal"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+",
        editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # My tasks (Overdue / Today / Upcoming) and the sidebar's overdue badge: open tasks only.
            models.Index(
                fields=["tenant", "assignee", "due_at"], condition=Q(status="open"), name="task_open_assignee_due_idx"
            ),
            # "Done recently" on my tasks.
            models.Index(
                fields=["tenant", "assignee", "completed_at"], condition=Q(status="done"), name="task_done_assignee_idx"
            ),
            # The tasks cards and timelines; also PostgreSQL's key checks on delete (by the key alone).
            models.Index(fields=["contact", "created_at"], name="task_contact_fk_idx"),
            models.Index(fields=["account", "created_at"], name="task_account_fk_idx"),
            models.Index(fields=["deal", "created_at"], name="task_deal_fk_idx"),
            # The calendar feed and admins' "all assignees" view: open tasks by due time.
            models.Index(fields=["tenant", "due_at"], condition=Q(status="open"), name="task_open_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE

    def remind_at(self) -> datetime | None:
        """When the reminder goes out, or None (no due time, no reminder, or done)."""
        if self.due_at is None or self.remind_before_minutes is None or self.is_done:
            return None
        return self.due_at - timedelta(minutes=self.remind_before_minutes)


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Reminder(TenantModel):
    """One reminder of a task, delivered once by email and once in the app (followups/reminders.py).

    ``state`` moves pending -> sending (claimed by a conditional UPDATE with a fresh claim token)
    -> sent or failed. Rescheduling the task puts the row back to pending with a new time.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, db_index=False, related_name="+")
    remind_at = models.DateTimeField(_("remind at"))
    state = models.CharField(_("state"), max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    notified_at = models.DateTimeField(_("in-app notification at"), null=True, blank=True, editable=False)
    emailed_at = models.DateTimeField(_("email sent at"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)

    class Meta:
        indexes = [
            # The dispatcher: due pending reminders, oldest first.
            models.Index(fields=["tenant", "remind_at"], condition=Q(state="pending"), name="reminder_due_idx"),
            # The sweeper: claims that never finished.
            models.Index(fields=["tenant", "claimed_at"], condition=Q(state="sending"), name="reminder_stuck_idx"),
            models.Index(fields=["task"], name="reminder_task_fk_idx"),  # key checks on task delete
        ]
        constraints = [
            # One reminder per task: rescheduling updates it rather than adding another.
            models.UniqueConstraint(fields=["tenant", "task"], name="reminder_tenant_task_uniq"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.pk} ({self.state}) at {self.remind_at:%Y-%m-%d %H:%M}"


class CalendarFeed(TenantModel):
    """A member's secret calendar address. Only the SHA-256 of the secret is kept; the address is
    shown once when made, and regenerating replaces it (the old one stops working)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="calendarfeed_tenant_user_uniq"),  # one each
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="calendarfeed_tenant_hash_uniq"),  # lookup
        ]

    def __str__(self) -> str:
        return f"Calendar feed of user {self.user_id}"
