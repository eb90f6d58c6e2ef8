from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from support.tokens import portal_token

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_portal_url(context: dict[str, Any], ticket: Any) -> str:
    """The customer's signed link to a ticket, absolute (agents paste it into chats and emails)."""
    path = reverse("support:portal", args=[portal_token(tenant_id=ticket.tenant_id, ticket_id=ticket.pk)])
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@register.simple_tag
def ticket_survey(ticket: Any) -> Any:
    """The ticket's satisfaction survey (answered or not), or None: one query, on the ticket page only."""
    from support.models import CsatSurvey

    return CsatSurvey.objects.filter(ticket_id=ticket.pk).only("status", "rating", "comment", "answered_at").first()
