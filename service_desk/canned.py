"""Merge fields of canned responses, filled in with mail's sandboxed renderer (``mail/merge.py``):
a fixed list of names replaced by plain strings, never a template engine."""

from __future__ import annotations

from django.utils.translation import gettext as _

from crm.models import User
from mail import merge
from service_desk.models import Ticket

TICKET_FIELDS = {
    "ticket.number": "Ticket number",
    "ticket.subject": "Ticket subject",
    "agent.name": "Your name",
}
CONTACT_FIELDS = (
    "contact.first_name",
    "contact.last_name",
    "contact.full_name",
    "contact.email",
    "contact.title",
    "account.name",
)


def field_names() -> dict[str, str]:
    """Every merge field a canned response may use, with what it means."""
    standard = {name: str(merge.STANDARD_FIELDS[name]) for name in CONTACT_FIELDS}
    return standard | {name: _(label) for name, label in TICKET_FIELDS.items()}


def merge_problems(text: str) -> list[merge.MergeProblem]:
    return merge.problems(text, allowed=field_names())


def merge_values(*, ticket: Ticket, agent: User) -> dict[str, str]:
    contact = ticket.contact
    account = ticket.account or (contact.account if contact is not None else None)
    values = dict.fromkeys(CONTACT_FIELDS, "")
    if contact is not None:
        values |= {
            "contact.first_name": contact.first_name,
            "contact.last_name": contact.last_name,
            "contact.full_name": contact.full_name,
            "contact.email": contact.email,
            "contact.title": contact.title,
        }
    values["account.name"] = account.name if account is not None else ""
    values |= {
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        "agent.name": agent.full_name or agent.display_name,
    }
    return values


def render_for(*, text: str, ticket: Ticket, agent: User) -> str:
    """The response's text with the ticket's values filled in (plain text: the reply box escapes it)."""
    return merge.render(text, merge_values(ticket=ticket, agent=agent))
