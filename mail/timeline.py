"""Emails that could not be sent, on contact and account timelines, with the reason and a link.

The email itself is on the timeline as its interaction (interactions/timeline.py); this source adds
one entry per failed email, so the failure is seen where the rep looks, and goes away once a retry
succeeds."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from mail.models import OutboundEmail, OutboundStatus


@timeline_source("mail-failure")
def failed_email_entries(
    *, contact: Any, account: Any, before: TimelinePosition | None, limit: int
) -> list[TimelineEntry]:
    emails = OutboundEmail.objects.filter(status=OutboundStatus.FAILED, failed_at__isnull=False)
    if contact is not None:
        emails = emails.filter(contact=contact)
    elif account is not None:
        emails = emails.filter(contact__account=account)
    else:
        return []
    rows = (
        emails.filter(before_position(before, source="mail-failure", at_field="failed_at"))
        .only("subject", "last_error", "failed_at")
        .order_by("-failed_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            position=TimelinePosition(row.failed_at, "mail-failure", row.pk),  # type: ignore[arg-type]
            icon="bi-envelope-exclamation text-danger",
            title=_("Email not sent: %(subject)s") % {"subject": row.subject},
            detail=row.last_error,
            meta=_("Open the email to retry it."),
            url=reverse("mail:detail", args=[row.pk]),
        )
        for row in rows
    ]
