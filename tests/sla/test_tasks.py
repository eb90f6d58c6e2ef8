"""The per-minute beat task: a sweep per tenant with open tickets, recomputing, flagging and escalating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from crm.tenancy.context import tenant_context
from notifications.models import Notification
from service_desk.models import Ticket
from sla.models import TicketSla
from sla.tasks import dispatch_sweeps, sweep_tenant
from tests.service_desk.factories import TicketFactory
from tests.sla.factories import EscalationRuleFactory, SlaPolicyFactory, backdate

pytestmark = pytest.mark.django_db


def test_the_sweep_is_scheduled_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]
    assert entry == {"task": "sla.dispatch_sweeps", "schedule": 60.0}


def test_dispatch_queues_a_sweep_only_for_tenants_with_open_tickets(tenant_a, tenant_b, always_open, eager_tasks):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)
    TicketFactory(tenant_a)
    assert dispatch_sweeps.delay().get() == 1


def test_a_sweep_recomputes_flags_breaches_and_escalates_once(tenant_a, always_open, sam, eager_tasks):
    SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=120)
    EscalationRuleFactory(tenant=tenant_a, target="resolution", notify_assignee=True)
    ticket = TicketFactory(tenant_a, assignee=sam)
    backdate(ticket, timezone.now() - timedelta(hours=3))
    with tenant_context(tenant_a.id):
        Ticket.objects.filter(pk=ticket.pk).update(version=ticket.version + 1)  # changed since computed
    result = sweep_tenant.delay(tenant_a.id).get()
    assert result == {"refreshed": 1, "escalated": 1, "skipped": 0}
    assert sweep_tenant.delay(tenant_a.id).get() == {"refreshed": 0, "escalated": 0, "skipped": 0}
    with tenant_context(tenant_a.id):
        sla = TicketSla.objects.get(ticket_id=ticket.pk)
        assert sla.resolution_breached and sla.first_response_breached
        assert Notification.objects.filter(user=sam).count() == 1


def test_a_sweep_needs_a_tenant():
    from crm.tenancy.tasks import MissingTenantError

    with pytest.raises(MissingTenantError):
        sweep_tenant.apply(args=[None]).get()
