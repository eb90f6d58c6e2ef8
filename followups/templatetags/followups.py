"""Template tags for the parts of other pages that show tasks: the cards and the sidebar badge."""

from __future__ import annotations

from typing import Any

from django import template

from followups.selectors import open_tasks_for, overdue_count

register = template.Library()


@register.inclusion_tag("followups/_tasks_card.html", takes_context=True)
def tasks_card(
    context: dict[str, Any], *, contact: Any = None, deal: Any = None, account: Any = None
) -> dict[str, Any]:
    """Open tasks of a contact, deal or account, with an "Add task" button prefilled for it."""
    request = context.get("request")
    params: dict[str, Any] = {}
    if contact is not None:
        params = {"contact": contact.pk}
    elif deal is not None:
        params = {"deal": deal.pk, **({"contact": deal.contact_id} if deal.contact_id else {})}
    elif account is not None:
        params = {"account": account.pk}
    if request is not None:
        params["next"] = request.get_full_path()
    return {
        "tasks": open_tasks_for(contact=contact, deal=deal, account=account),
        "create_params": params,
        "capabilities": context.get("capabilities", frozenset()),
        "request": request,
        "show_assignee": True,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("followups/_overdue_badge.html", takes_context=True)
def overdue_badge(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None or getattr(request, "membership", None) is None:
        return {"overdue": 0}
    return {"overdue": overdue_count(request.user)}


@register.filter
def urlencode_params(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
