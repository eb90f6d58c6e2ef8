"""Tasks on contact and account timelines.

A task sits where something happened: an open task at its creation ("Task: call back, due Fri"),
a done task at its completion. Placing open tasks at their due date would put future items above
today's real activity and move them every time the date is pushed; the due date is shown in the
entry instead. Completing a task moves it once, to the moment the work was done.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from followups.selectors import tasks_visible


@timeline_source("task")
def task_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    tasks = tasks_visible().select_related("assignee")
    if contact is not None:
        tasks = tasks.filter(contact=contact)
    elif account is not None:  # an account's entries name their contact
        tasks = tasks.filter(account=account).select_related("contact")
    else:
        return []
    rows = (
        tasks.annotate(timeline_at=Coalesce(F("completed_at"), F("created_at")))
        .filter(before_position(before, source="task", at_field="timeline_at"))
        .order_by("-timeline_at", "-id")[:limit]
    )
    entries = []
    for row in rows:
        done = row.completed_at is not None
        meta = [
            _("Done") if done else _("Open"),
            _("due %(when)s") % {"when": date_format(localtime(row.due_at), "SHORT_DATETIME_FORMAT")}
            if row.due_at and not done
            else "",
            row.assignee.display_name if row.assignee else "",
            row.contact.full_name if account is not None and row.contact else "",
        ]
        entries.append(
            TimelineEntry(
                position=TimelinePosition(row.timeline_at, "task", row.pk),
                icon="bi-check2-square" if done else "bi-square",
                title=(_("Task done: %(title)s") if done else _("Task: %(title)s")) % {"title": row.title},
                detail=Truncator(row.notes).chars(240),
                meta=" · ".join(part for part in meta if part),
                url=reverse("followups:task-edit", args=[row.pk]),
            )
        )
    return entries
