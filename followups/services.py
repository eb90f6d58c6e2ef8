"""Writes of tasks. Every change that moves the due time or ends the task re-plans its reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from customers.models import Account, Contact, Deal
from followups.models import Reminder, ReminderChoice, ReminderState, Task, TaskPriority, TaskStatus


class TaskInputError(ValueError):
    """Bad task input; ``field`` names the form/API field it belongs to (None: the whole task)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TaskData:
    title: str
    assignee: User
    notes: str = ""
    due_at: datetime | None = None
    priority: str = TaskPriority.NORMAL
    remind_before_minutes: int | None = ReminderChoice.AT_DUE
    contact: Contact | None = None
    account: Account | None = None
    deal: Deal | None = None


def _validate(tenant: Tenant, data: TaskData) -> TaskData:
    title = " ".join(data.title.split())
    if not title:
        raise TaskInputError(_("A task needs a title."), field="title")
    if len(title) > 200:
        raise TaskInputError(_("The title is longer than 200 characters."), field="title")
    if data.priority not in TaskPriority.values:
        raise TaskInputError(_("Priority must be one of: low, normal, high."), field="priority")
    if data.remind_before_minutes is not None and data.remind_before_minutes not in ReminderChoice.values:
        raise TaskInputError(_("Choose a reminder from the list."), field="remind_before_minutes")
    if data.due_at is not None and timezone.is_naive(data.due_at):
        raise TaskInputError(_("The due time needs a time zone."), field="due_at")
    if not Membership.objects.filter(tenant=tenant, user=data.assignee, is_active=True).exists():
        raise TaskInputError(_("The assignee is not a member of this workspace."), field="assignee")
    for name, record in (("contact", data.contact), ("account", data.account), ("deal", data.deal)):
        if record is not None and record.tenant_id != tenant.pk:
            raise TaskInputError(_("This record does not exist."), field=name)
    account = data.account
    if account is None and data.contact is not None and data.contact.account_id:
        account = data.contact.account  # a contact's task also shows on its company's timeline
    return TaskData(**{**data.__dict__, "title": title, "account": account})


@transaction.atomic
def task_create(*, tenant: Tenant, by: User, data: TaskData) -> Task:
    data = _validate(tenant, data)
    task = Task.objects.create(tenant=tenant, created_by=by, **data.__dict__)
    _plan_reminder(tenant, task)
    return task


@transaction.atomic
def task_update(*, tenant: Tenant, task: Task, by: User, data: TaskData) -> Task:
    """Save the edit; a changed due time, reminder choice or assignee re-plans (and re-arms) the
    reminder, so the new time - or the new assignee - gets one."""
    data = _validate(tenant, data)
    reassigned = task.assignee_id != data.assignee.pk
    for name, value in data.__dict__.items():
        setattr(task, name, value)
    task.updated_at = timezone.now()
    task.save()
    _plan_reminder(tenant, task, rearm=reassigned)
    return task


@transaction.atomic
def task_complete(*, tenant: Tenant, task: Task, by: User) -> Task:
    """Mark done (idempotent: completing a done task keeps its first completion time)."""
    updated = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, completed_at=timezone.now(), updated_at=timezone.now()
    )
    task.refresh_from_db()
    if updated:
        _plan_reminder(tenant, task)
    return task


@transaction.atomic
def task_reopen(*, tenant: Tenant, task: Task, by: User) -> Task:
    updated = Task.objects.filter(pk=task.pk, status=TaskStatus.DONE).update(
        status=TaskStatus.OPEN, completed_at=None, updated_at=timezone.now()
    )
    task.refresh_from_db()
    if updated:
        _plan_reminder(tenant, task)
    return task


@transaction.atomic
def task_delete(*, tenant: Tenant, task: Task, by: User) -> None:
    task.delete()  # its reminder goes with it (cascade); a send in flight then updates no row


def _plan_reminder(tenant: Tenant, task: Task, *, rearm: bool = False) -> Reminder | None:
    """Keep the task's one reminder row in step with its due time.

    No reminder wanted (no due time, "no reminder", done, or due already passed): the row goes.
    Same time as planned: left alone, so a sent reminder is not sent again by an unrelated edit.
    A new time: the row is re-armed (pending, no claim), so the new time gets its own reminder.
    """
    remind_at = task.remind_at()
    if remind_at is None or (task.due_at is not None and task.due_at <= timezone.now()):
        Reminder.objects.filter(task=task).delete()
        return None
    reminder = Reminder.objects.select_for_update().filter(task=task).first()
    if reminder is not None and reminder.remind_at == remind_at and not rearm:
        return reminder
    fresh = {
        "remind_at": remind_at,
        "state": ReminderState.PENDING,
        "claim_token": None,
        "claimed_at": None,
        "attempts": 0,
        "notified_at": None,
        "emailed_at": None,
        "error": "",
    }
    if reminder is None:
        return Reminder.objects.create(tenant=tenant, task=task, **fresh)
    for name, value in fresh.items():
        setattr(reminder, name, value)
    reminder.save()
    return reminder
