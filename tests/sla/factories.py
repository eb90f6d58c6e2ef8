"""Factories of sla rows, and helpers that put a ticket's history in the past."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import factory
from django.db.models import Model
from django.utils import timezone

from crm.tenancy.context import tenant_context
from service_desk.models import Ticket, TicketStatusChange
from sla.models import BusinessCalendar, EscalationRule, Holiday, RoutingRule, SlaPolicy
from tests.factories import TenantOwnedFactory


class SlaPolicyFactory(TenantOwnedFactory):
    class Meta:
        model = SlaPolicy

    priority = "normal"
    first_response_minutes = 60
    resolution_minutes = 480


class EscalationRuleFactory(TenantOwnedFactory):
    class Meta:
        model = EscalationRule

    name = factory.Sequence(lambda n: f"Escalation {n}")
    target = "resolution"
    minutes_before = 0
    # Rules act on moments after their creation: made a day ago, they cover the tests' recent tickets.
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class RoutingRuleFactory(TenantOwnedFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: n)


class BusinessCalendarFactory(TenantOwnedFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ("tenant",)


class HolidayFactory(TenantOwnedFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory, tenant=factory.SelfAttribute("..tenant"))
    date = factory.Sequence(lambda n: datetime(2026, 1, 1).date() + timedelta(days=n))
    name = factory.Sequence(lambda n: f"Holiday {n}")


# tests/crm/test_cross_tenant_urls.py: every model an sla URL carries the id of (Queue: SERVICE_DESK_FACTORIES).
SLA_FACTORIES: dict[type[Model], Any] = {
    Holiday: HolidayFactory,
    SlaPolicy: SlaPolicyFactory,
    EscalationRule: EscalationRuleFactory,
    RoutingRule: RoutingRuleFactory,
}


def backdate(ticket: Ticket, created_at: datetime, history: list[tuple[datetime, str]] | None = None) -> None:
    """Move a ticket's creation (and optionally its status history) to the given times."""
    with tenant_context(ticket.tenant_id):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)
        if history is not None:
            TicketStatusChange.objects.filter(ticket=ticket).delete()
            previous = ""
            for changed_at, status in history:
                TicketStatusChange.objects.create(
                    tenant_id=ticket.tenant_id,
                    ticket=ticket,
                    from_status=previous,
                    to_status=status,
                    changed_at=changed_at,
                )
                previous = status
            Ticket.objects.filter(pk=ticket.pk).update(status=history[-1][1])
        else:
            TicketStatusChange.objects.filter(ticket=ticket).update(changed_at=created_at)
        ticket.refresh_from_db()


def reload(model: Any, **lookup: Any) -> Any:
    return model.objects.get(**lookup)
