"""The bell in the top bar: its unread count is one indexed count per page."""

from __future__ import annotations

from typing import Any

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell_button.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or getattr(request, "membership", None) is None or user is None:
        return {"unread": None}
    return {"unread": unread_count(user)}
