"""Reads of tasks: who may see which, my tasks by section, cards, counts and members."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.models import Membership, User
from crm.tenancy.context import require_tenant_id, visible_owner_ids
from followups.models import Task, TaskStatus

DONE_RECENTLY_DAYS = 7
SECTION_LIMIT = 200  # a section shows this many; the rest are counted
CARD_LIMIT = 10


def tasks_visible() -> QuerySet[Task]:
    """Tasks the signed-in member may see: all of them when the role sees every record; otherwise
    those assigned to or created by someone whose records they see (always including themselves),
    and those linked to a contact, account or deal they can see."""
    tasks = Task.objects.all()
    owners = visible_owner_ids()
    if owners is None:
        return tasks
    return tasks.filter(
        Q(assignee_id__in=owners)
        | Q(created_by_id__in=owners)
        | Q(contact__owner_id__in=owners)
        | Q(account__owner_id__in=owners)
        | Q(deal__owner_id__in=owners)
    )


def tasks_for_detail() -> QuerySet[Task]:
    return tasks_visible().select_related("assignee", "created_by", "contact", "account", "deal")


def tasks_for_api() -> QuerySet[Task]:
    return tasks_visible().order_by("id")


def user_zone(user: User) -> tzinfo:
    """The member's time zone (profile), else the workspace's, else UTC."""
    from crm.models import Tenant

    name = user.time_zone or Tenant.objects.filter(pk=require_tenant_id()).values_list("time_zone", flat=True).first()
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@dataclass
class MyTasks:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    no_due: list[Task] = field(default_factory=list)
    done_recently: list[Task] = field(default_factory=list)
    open_total: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming or self.no_due or self.done_recently)


def day_bounds(now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Start of today and of tomorrow in ``zone`` (as aware datetimes; DST days are 23 or 25 h)."""
    local_day = now.astimezone(zone).date()
    start = datetime.combine(local_day, time.min, tzinfo=zone)
    end = datetime.combine(local_day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def my_tasks(*, assignee: User | None, zone: tzinfo, now: datetime | None = None) -> MyTasks:
    """Open tasks in sections by due time in ``zone``, and those done in the last week.

    ``assignee`` None means everyone's (admins' filter). Overdue: due before now. Today: due
    later today, local time. Upcoming: due after today. Two queries, whatever the number of tasks.
    """
    now = now or timezone.now()
    _, end_of_today = day_bounds(now, zone)
    tasks = tasks_for_detail()
    if assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    sections = MyTasks()
    open_tasks = tasks.filter(status=TaskStatus.OPEN).order_by("due_at", "id")
    for task in open_tasks[: SECTION_LIMIT * 4]:
        sections.open_total += 1
        if task.due_at is None:
            sections.no_due.append(task)
        elif task.due_at < now:
            sections.overdue.append(task)
        elif task.due_at < end_of_today:
            sections.today.append(task)
        else:
            sections.upcoming.append(task)
    since = now - timedelta(days=DONE_RECENTLY_DAYS)
    done = tasks.filter(status=TaskStatus.DONE, completed_at__gte=since).order_by("-completed_at", "-id")
    sections.done_recently = list(done[:SECTION_LIMIT])
    return sections


def overdue_count(user: User, *, now: datetime | None = None) -> int:
    """The sidebar badge: served by task_open_assignee_due_idx (tenant, assignee, due_at) WHERE open."""
    return Task.objects.filter(assignee=user, status=TaskStatus.OPEN, due_at__lt=now or timezone.now()).count()


def open_tasks_for(*, contact: Any = None, account: Any = None, deal: Any = None) -> list[Task]:
    """The tasks card of a contact, account or deal page: open tasks, soonest due first."""
    tasks = tasks_visible().filter(status=TaskStatus.OPEN).select_related("assignee")
    if contact is not None:
        tasks = tasks.filter(contact=contact)
    elif deal is not None:
        tasks = tasks.filter(deal=deal)
    elif account is not None:
        tasks = tasks.filter(account=account)
    else:
        return []
    return list(tasks.order_by("due_at", "id")[:CARD_LIMIT])


def members() -> QuerySet[User]:
    """Active members of the current workspace, who can be given tasks."""
    member_ids = Membership.objects.filter(tenant_id=require_tenant_id(), is_active=True).values("user_id")
    return User.objects.filter(pk__in=member_ids, is_active=True).order_by("full_name", "email")
