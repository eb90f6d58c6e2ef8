"""Template helpers for SLA clocks: a compact badge for ticket lists and durations in words.

They read ``ticket.sla`` as loaded with the ticket (the list selects it with ``select_related("sla")``),
so a list of tickets costs no query per row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def minutes_human(minutes: int | None) -> str:
    """480 -> "8 h", 90 -> "1 h 30 min", 2880 -> "48 h"; business minutes read best in hours."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(sign)s%(h)d h %(m)d min") % {"sign": sign, "h": hours, "m": rest}
    if hours:
        return _("%(sign)s%(h)d h") % {"sign": sign, "h": hours}
    return _("%(sign)s%(m)d min") % {"sign": sign, "m": rest}


def _span(delta: timedelta) -> str:
    minutes = round(abs(delta) / timedelta(minutes=1))
    if minutes < 60:
        return _("%(n)d min") % {"n": max(minutes, 1)}
    if minutes < 48 * 60:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d d") % {"n": minutes // (24 * 60)}


def ticket_sla(ticket: Any) -> Any:
    try:
        return ticket.sla
    except ObjectDoesNotExist:
        return None


def clock(due: datetime | None, breached: bool, met_at: datetime | None, paused: bool, remaining: int | None,
          now: datetime) -> dict[str, Any]:  # fmt: skip
    """What to show for one clock: a label, a Bootstrap colour and a title."""
    if met_at is not None:
        return {"state": "met", "label": _("met"), "color": "success", "due": due, "met_at": met_at}
    if breached or (due is not None and due <= now):
        overdue = _span(now - due) if due is not None else ""
        label = _("breached %(span)s ago") % {"span": overdue} if overdue else _("breached")
        return {"state": "breached", "label": label, "color": "danger", "due": due}
    if paused or due is None:
        left_text = minutes_human(remaining) if remaining is not None else ""
        return {"state": "paused", "label": _("paused"), "color": "secondary", "due": None, "remaining": left_text}
    left = due - now
    color = "warning" if left <= timedelta(hours=1) else "light"
    return {"state": "running", "label": _("due in %(span)s") % {"span": _span(left)}, "color": color, "due": due}


def sla_clocks(ticket: Any, now: datetime | None = None) -> dict[str, Any] | None:
    sla = ticket_sla(ticket)
    if sla is None or sla.policy_id is None:
        return None
    now = now or timezone.now()
    return {
        "first_response": clock(
            sla.first_response_due,
            sla.first_response_breached,
            sla.first_response_met_at,
            sla.is_paused,
            sla.first_response_remaining_minutes,
            now,
        ),
        "resolution": clock(
            sla.resolution_due,
            sla.resolution_breached,
            sla.resolution_met_at,
            sla.is_paused,
            sla.resolution_remaining_minutes,
            now,
        ),
        "sla": sla,
    }


@register.inclusion_tag("sla/_sla_badge.html")
def sla_badge(ticket: Any) -> dict[str, Any]:
    """The most pressing clock of an open ticket as one small badge; nothing when no policy applies.

    Reads only ``ticket.status`` and the contract fields of ``ticket.sla`` (due times and breach flags),
    which is all the ticket list loads: no query per row.
    """
    sla = ticket_sla(ticket)
    if sla is None or ticket.status not in ("new", "open", "pending", "on_hold"):
        return {"clock": None}
    now = timezone.now()
    if sla.first_response_breached or sla.resolution_breached:
        which = _("First response") if sla.first_response_breached else _("Resolution")
        due = sla.first_response_due if sla.first_response_breached else sla.resolution_due
        return {"clock": clock(due, True, None, False, None, now), "which": which}
    if ticket.status == "pending":
        return {"clock": clock(None, False, None, True, None, now), "which": _("Resolution")}
    candidates = [
        (due, label)
        for due, label in ((sla.first_response_due, _("First response")), (sla.resolution_due, _("Resolution")))
        if due is not None
    ]
    if not candidates:
        return {"clock": None}
    due, which = min(candidates, key=lambda candidate: candidate[0])
    return {"clock": clock(due, False, None, False, None, now), "which": which}


@register.simple_tag
def sla_panel(ticket: Any) -> dict[str, Any] | None:
    """Both clocks of a ticket for its detail page: ``{% sla_panel ticket as clocks %}``."""
    return sla_clocks(ticket)
