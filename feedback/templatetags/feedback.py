"""The feedback card shown on ticket and interaction pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from feedback.forms import FeedbackForm
from feedback.selectors import active_areas, items_for

register = template.Library()


@register.inclusion_tag("feedback/_feedback_card.html", takes_context=True)
def feedback_card(context: dict[str, Any], *, ticket: Any = None, interaction: Any = None) -> dict[str, Any]:
    """Feedback taken from this ticket or interaction, with a form to add more (two queries)."""
    capabilities = context.get("capabilities", frozenset())
    if ticket is not None:
        items = list(items_for(ticket_id=ticket.pk))
        action = reverse("feedback:ticket_add", args=[ticket.pk])
        can_edit = "tickets.edit" in capabilities
    else:
        items = list(items_for(interaction_id=interaction.pk))
        action = reverse("feedback:interaction_add", args=[interaction.pk])
        can_edit = "interactions.edit" in capabilities
    request = context.get("request")
    areas = list(active_areas()) if can_edit else []
    return {
        "items": items,
        "action": action,
        "can_edit": can_edit,
        "areas": areas,
        "form": FeedbackForm(),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        "is_admin": "tenant.configure" in capabilities,
    }
