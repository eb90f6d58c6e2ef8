"""Routing of new tickets: admins' rules (channel/category/tier/keyword -> queue/priority/tags) and automatic
assignment in the chosen queue. CONTRACT, filled in by the sla app's owner: called by
``service_desk.services.ticket_create`` inside its transaction; changes the ticket in place and saves it."""

from __future__ import annotations

from crm.models import Tenant
from service_desk.models import Ticket


def ticket_route_new(*, tenant: Tenant, ticket: Ticket) -> None:
    """Apply the tenant's routing rules and automatic assignment to a ticket just opened."""
    return None
