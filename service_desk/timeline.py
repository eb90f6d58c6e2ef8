"""Tickets on contact and account timelines: one entry where the ticket was opened, saying where it stands."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from service_desk.models import Ticket


@timeline_source("ticket")
def ticket_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    tickets = Ticket.objects.select_related("assignee")
    if contact is not None:
        tickets = tickets.filter(contact=contact)
    elif account is not None:
        tickets = tickets.filter(account=account).select_related("contact")
    else:
        return []
    rows = tickets.filter(before_position(before, source="ticket", at_field="created_at")).order_by(
        "-created_at", "-id"
    )[:limit]
    entries = []
    for row in rows:
        meta = [
            row.get_status_display(),
            row.get_priority_display(),
            row.assignee.display_name if row.assignee else _("unassigned"),
            row.contact.full_name if account is not None and row.contact else "",
        ]
        entries.append(
            TimelineEntry(
                position=TimelinePosition(row.created_at, "ticket", row.pk),
                icon="bi-life-preserver",
                title=_("Ticket #%(number)s opened: %(subject)s") % {"number": row.number, "subject": row.subject},
                detail=Truncator(row.description).chars(240),
                meta=" · ".join(str(part) for part in meta if part),
                url=reverse("service_desk:ticket_detail", args=[row.pk]),
            )
        )
    return entries
