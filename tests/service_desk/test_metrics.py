"""The service metrics page: volume, backlog, response and resolution times, SLA compliance, CSAT and the
per-agent table, on tickets whose right figures are known; scoped to the workspace and the capability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.roles import CAPABILITIES, Capability, Role
from crm.tenancy.context import tenant_context
from service_desk.metrics import format_duration, service_metrics
from service_desk.models import Ticket
from sla.models import TicketSla
from support.models import CsatSurvey
from tests.service_desk.factories import QueueFactory, make_ticket

pytestmark = pytest.mark.django_db

URL = reverse("service_desk:metrics")
H = timedelta(hours=1)


def _ticket(tenant: Any, *, age: timedelta, first: timedelta | None = None, solved: timedelta | None = None,
            status: str = "open", **kwargs: Any) -> Ticket:  # fmt: skip
    """A ticket opened ``age`` ago, first answered ``first`` and solved ``solved`` after it was opened."""
    ticket = make_ticket(tenant, **kwargs)
    created = timezone.now() - age
    with tenant_context(tenant.id):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            status=status,
            first_responded_at=created + first if first is not None else None,
            solved_at=created + solved if solved is not None else None,
        )
        ticket.refresh_from_db()
    return ticket


def _sla(tenant: Any, ticket: Ticket, **fields: Any) -> None:
    with tenant_context(tenant.id):
        TicketSla.objects.update_or_create(ticket=ticket, defaults={"tenant": tenant, **fields})


def _survey(tenant: Any, ticket: Ticket, agent: Any, rating: int) -> None:
    with tenant_context(tenant.id):
        CsatSurvey.objects.create(
            tenant=tenant, ticket=ticket, agent=agent, queue=ticket.queue, status="answered",
            rating=rating, answered_at=timezone.now(),
        )  # fmt: skip


@pytest.fixture
def desk(tenant_a: Any, alice: Any, sam: Any) -> dict[str, Any]:
    """Three tickets this week answered after 1 h, 2 h and 3 h (two solved after 2 h and 6 h), one old
    open ticket, SLA clocks and two survey answers."""
    support = QueueFactory(tenant=tenant_a, name="Acme Frontline")
    billing = QueueFactory(tenant=tenant_a, name="Billing")
    t1 = _ticket(tenant_a, age=26 * H, first=1 * H, solved=2 * H, status="solved", assignee=sam, queue=support)
    t2 = _ticket(tenant_a, age=25 * H, first=2 * H, assignee=sam, queue=support)
    t3 = _ticket(
        tenant_a, age=50 * H, first=3 * H, solved=6 * H, status="solved", assignee=alice, queue=billing,
        channel="phone",
    )  # fmt: skip
    old = _ticket(tenant_a, age=timedelta(days=60), first=10 * H, status="new", channel="chat")
    _sla(tenant_a, t1, first_response_met_at=t1.first_responded_at, resolution_met_at=t1.solved_at)
    _sla(tenant_a, t2, first_response_met_at=t2.first_responded_at)
    _sla(
        tenant_a, t3, first_response_breached=True, first_response_due=t3.created_at + H,
        resolution_breached=True, resolution_due=t3.created_at + 4 * H,
    )  # fmt: skip
    _survey(tenant_a, t1, sam, 5)
    _survey(tenant_a, t3, alice, 2)
    return {"support": support, "billing": billing, "t1": t1, "t2": t2, "t3": t3, "old": old}


@pytest.fixture
def other_tenant(tenant_b: Any, charlie: Any) -> Ticket:
    """Globex: a slow ticket and a happy customer that must never count for Acme."""
    ticket = _ticket(tenant_b, age=20 * H, first=100 * H, solved=200 * H, status="solved", assignee=charlie)
    _sla(tenant_b, ticket, first_response_breached=True, first_response_due=ticket.created_at + H)
    _survey(tenant_b, ticket, charlie, 5)
    return ticket


def test_figures_of_known_tickets(tenant_a, desk, other_tenant, alice, sam):
    with tenant_context(tenant_a.id):
        report = service_metrics(days=30)

    assert report.created == 3 and report.solved == 2
    assert sum(report.created_per_day) == 3 and len(report.days) == 30
    assert report.first_response.count == 3
    assert report.first_response.median == 2 * H
    assert report.first_response.p90 == timedelta(hours=2, minutes=48)  # 2 h + 0.8 of the 2 h → 3 h step
    assert report.resolution.median == 4 * H
    assert report.resolution.p90 == timedelta(hours=5, minutes=36)
    assert (report.first_response_sla.met, report.first_response_sla.breached) == (2, 1)
    assert report.first_response_sla.percent == 66.7
    assert report.resolution_sla.percent == 50.0
    assert {(row.key, row.count) for row in report.by_channel} == {("email", 2), ("phone", 1)}
    assert [(row.label, row.count) for row in report.by_queue] == [("Acme Frontline", 2), ("Billing", 1)]
    # The backlog is what is open now, whatever its age: t2 and the 60-day-old ticket.
    assert {(row.key, row.count) for row in report.backlog_by_status} == {("open", 1), ("new", 1)}
    assert {(row.label, row.count) for row in report.backlog_by_queue} == {("Acme Frontline", 1), ("No queue", 1)}
    assert (report.csat_answers, report.csat) == (2, 50.0)

    agents = {row.name: row for row in report.agents}
    assert set(agents) == {"Sam Service", "Alice Admin"}
    assert (agents["Sam Service"].assigned, agents["Sam Service"].solved) == (2, 1)
    assert agents["Sam Service"].first_response_median == timedelta(hours=1, minutes=30)
    assert agents["Sam Service"].csat == 100.0
    assert (agents["Alice Admin"].assigned, agents["Alice Admin"].solved, agents["Alice Admin"].csat) == (1, 1, 0.0)


def test_period_and_queue_filter(tenant_a, desk):
    with tenant_context(tenant_a.id):
        quarter = service_metrics(days=90)
        support = service_metrics(days=30, queue_id=desk["support"].pk)

    assert quarter.created == 4  # the 60-day-old ticket is in the last 90 days
    assert quarter.first_response.count == 4
    assert support.created == 2
    assert support.first_response.median == timedelta(hours=1, minutes=30)
    assert support.csat_answers == 1 and support.csat == 100.0
    assert support.backlog == 1
    assert [row.name for row in support.agents] == ["Sam Service"]


def test_page_shows_the_figures(tenant_a, desk, other_tenant, alice_client):
    response = alice_client.get(URL, {"days": "7"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="kpi-first-median">2 h 00 m<' in page
    assert 'data-testid="kpi-created">3<' in page
    assert 'data-testid="kpi-csat">50.0%<' in page
    assert 'data-testid="kpi-sla-first">66.7%<' in page
    assert "Sam Service" in page and "Charlie" not in page
    assert 'id="metrics-data"' in page and "<script>" not in page  # chart data as json, no inline code

    queue = alice_client.get(URL, {"days": "30", "queue": desk["billing"].pk}).content.decode()
    assert 'data-testid="kpi-created">1<' in queue and 'data-testid="kpi-first-median">3 h 00 m<' in queue


def test_another_workspaces_tickets_never_count(tenant_a, tenant_b, desk, other_tenant, charlie_client):
    page = charlie_client.get(URL).content.decode()
    assert 'data-testid="kpi-created">1<' in page
    assert 'data-testid="kpi-first-median">4 d 4 h<' in page
    assert "Sam Service" not in page and "Acme Frontline" not in page
    # Acme's queue as a filter is no choice in Globex: the whole workspace is shown, nothing of Acme.
    filtered = charlie_client.get(URL, {"queue": desk["support"].pk}).content.decode()
    assert 'data-testid="kpi-created">1<' in filtered and "Sam Service" not in filtered


def test_empty_states(tenant_a, alice_client):
    page = alice_client.get(URL).content.decode()
    assert "No tickets in this period" in page
    assert "echarts" not in page


def test_a_role_without_tickets_view_gets_403(tenant_a, bob_client, monkeypatch):
    assert bob_client.get(URL).status_code == 200
    monkeypatch.setitem(CAPABILITIES, Role.ANALYST, CAPABILITIES[Role.ANALYST] - {Capability.TICKETS_VIEW})
    assert bob_client.get(URL).status_code == 403


def test_query_count_does_not_grow_with_tickets_agents_or_queues(tenant_a, desk, alice_client, sam):
    alice_client.get(URL)  # the first request of a session also saves the session
    with CaptureQueriesContext(connection) as few:
        assert alice_client.get(URL).status_code == 200
    from tests.factories import MembershipFactory

    for n in range(4):
        agent = MembershipFactory(tenant=tenant_a, role="service").user
        queue = QueueFactory(tenant=tenant_a, name=f"Extra {n}")
        for hours in (1, 5):
            ticket = _ticket(tenant_a, age=30 * H, first=hours * H, solved=8 * H, status="solved",
                             assignee=agent, queue=queue, channel="chat")  # fmt: skip
            _sla(tenant_a, ticket, first_response_met_at=ticket.first_responded_at)
            _survey(tenant_a, ticket, agent, 4)
    with CaptureQueriesContext(connection) as many:
        page = alice_client.get(URL).content.decode()
    assert "Extra 3" in page
    assert len(many) == len(few), "\n".join(q["sql"][:120] for q in many.captured_queries)
    assert len(many) == len(few)


def test_format_duration():
    assert format_duration(None) == "—"
    assert format_duration(timedelta(minutes=12)) == "12 min"
    assert format_duration(timedelta(hours=2, minutes=5)) == "2 h 05 m"
    assert format_duration(timedelta(days=3, hours=4, minutes=20)) == "3 d 4 h"
