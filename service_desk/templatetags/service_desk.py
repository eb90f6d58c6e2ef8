"""Template tags for the parts of other pages that show tickets: the card on contact and account pages."""

from __future__ import annotations

from typing import Any

from django import template

from service_desk.selectors import tickets_for_record

register = template.Library()


@register.inclusion_tag("service_desk/_tickets_card.html", takes_context=True)
def tickets_card(context: dict[str, Any], *, contact: Any = None, account: Any = None) -> dict[str, Any]:
    """A contact's or account's newest tickets with a "New ticket" button prefilled for the contact."""
    return {
        **tickets_for_record(contact=contact, account=account),
        "contact": contact,
        "account": account,
        "capabilities": context.get("capabilities", frozenset()),
    }
