"""The sla settings pages and the ticket SLA partial and badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.tenancy.context import tenant_context
from service_desk.models import Ticket
from sla.models import BusinessCalendar, EscalationRule, Holiday, QueueRouting, RoutingRule, SlaPolicy, TicketSla
from tests.service_desk.factories import QueueFactory, TicketFactory
from tests.sla.factories import (
    EscalationRuleFactory,
    HolidayFactory,
    RoutingRuleFactory,
    SlaPolicyFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["sla:business_hours", "sla:policies", "sla:policy_create", "sla:escalation_create", "sla:routing",
         "sla:routing_rule_create"]  # fmt: skip


@pytest.mark.parametrize("name", PAGES)
def test_admins_see_the_settings_pages_and_others_get_403(name, alice_client, bob_client):
    assert alice_client.get(reverse(name)).status_code == 200
    assert bob_client.get(reverse(name)).status_code == 403


def test_every_object_page_is_a_404_for_another_tenant(tenant_a, charlie_client, alice_client):
    objects = {
        "sla:holiday_delete": HolidayFactory(tenant=tenant_a),
        "sla:policy_edit": SlaPolicyFactory(tenant=tenant_a),
        "sla:policy_delete": SlaPolicyFactory(tenant=tenant_a, priority="high"),
        "sla:escalation_edit": EscalationRuleFactory(tenant=tenant_a),
        "sla:escalation_delete": EscalationRuleFactory(tenant=tenant_a),
        "sla:routing_rule_edit": RoutingRuleFactory(tenant=tenant_a, set_priority="high"),
        "sla:routing_rule_move": RoutingRuleFactory(tenant=tenant_a, set_priority="high"),
        "sla:routing_rule_delete": RoutingRuleFactory(tenant=tenant_a, set_priority="high"),
        "sla:queue_mode": QueueFactory(tenant=tenant_a),
    }
    for name, obj in objects.items():
        url = reverse(name, args=[obj.pk])
        assert charlie_client.get(url).status_code == 404, name
        assert charlie_client.post(url, {"mode": "round_robin", "direction": "up"}).status_code == 404, name
    with tenant_context(tenant_a.id):
        assert Holiday.objects.count() == 1 and SlaPolicy.objects.count() == 2 and RoutingRule.objects.count() == 3
        assert not QueueRouting.objects.exists()


def test_saving_business_hours(tenant_a, alice_client):
    data = {"time_zone": "Europe/Berlin", "monday": "08:00-12:00, 13:00-17:00", "saturday": "10:00-14:00"}
    response = alice_client.post(reverse("sla:business_hours"), data)
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        calendar = BusinessCalendar.objects.get()
    assert calendar.time_zone == "Europe/Berlin" and not calendar.always_open
    assert calendar.weekly_hours == [[["08:00", "12:00"], ["13:00", "17:00"]], [], [], [], [], [["10:00", "14:00"]], []]


def test_bad_hours_are_shown_next_to_the_day(tenant_a, alice_client):
    response = alice_client.post(reverse("sla:business_hours"), {"monday": "17:00-09:00", "tuesday": "9-5"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "ends before it starts" in page and "is not a time range like 09:00-17:00" in page
    with tenant_context(tenant_a.id):
        assert BusinessCalendar.objects.get().weekly_hours[0] == [["09:00", "17:00"]]  # unchanged default


def test_a_calendar_must_be_open_sometime(alice_client):
    response = alice_client.post(reverse("sla:business_hours"), {})
    assert "at least one day" in response.content.decode()
    assert alice_client.post(reverse("sla:business_hours"), {"always_open": "on"}).status_code == 302


def test_adding_and_removing_holidays(tenant_a, alice_client):
    assert alice_client.post(reverse("sla:holiday_add"), {"date": "2026-12-25", "name": "Christmas"}).status_code == 302
    again = alice_client.post(reverse("sla:holiday_add"), {"date": "2026-12-25", "name": "Again"})
    assert again.status_code == 400 and "already a holiday" in again.content.decode()
    page = alice_client.get(reverse("sla:business_hours")).content.decode()
    assert "Christmas" in page and "data-confirm" in page
    with tenant_context(tenant_a.id):
        holiday = Holiday.objects.get()
    assert alice_client.post(reverse("sla:holiday_delete", args=[holiday.pk])).status_code == 302
    with tenant_context(tenant_a.id):
        assert not Holiday.objects.exists()


def test_creating_policies_and_the_duplicate_error(tenant_a, alice_client):
    data = {"priority": "high", "first_response_minutes": "30", "resolution_minutes": "240", "is_active": "on"}
    assert alice_client.post(reverse("sla:policy_create"), data).status_code == 302
    duplicate = alice_client.post(reverse("sla:policy_create"), data)
    assert duplicate.status_code == 200 and "already a policy" in duplicate.content.decode()
    page = alice_client.get(reverse("sla:policies")).content.decode()
    assert "30 min" in page and "4 h" in page


def test_suggested_policies_fill_every_priority(tenant_a, alice_client):
    assert "Add suggested policies" in alice_client.get(reverse("sla:policies")).content.decode()
    alice_client.post(reverse("sla:policy_defaults"))
    with tenant_context(tenant_a.id):
        assert sorted(SlaPolicy.objects.values_list("priority", flat=True)) == ["high", "low", "normal", "urgent"]


def test_escalation_rule_needs_an_action(tenant_a, alice_client):
    data = {"name": "Nothing", "target": "resolution", "minutes_before": "0", "is_active": "on"}
    assert "at least one action" in alice_client.post(reverse("sla:escalation_create"), data).content.decode()
    data["notify_assignee"] = "on"
    assert alice_client.post(reverse("sla:escalation_create"), data).status_code == 302
    with tenant_context(tenant_a.id):
        assert EscalationRule.objects.get().name == "Nothing"


def test_routing_rule_create_move_and_queue_mode(tenant_a, alice_client):
    billing = QueueFactory(tenant=tenant_a, name="Billing")
    data = {
        "name": "Invoices",
        "keyword": "invoice",
        "set_queue": billing.pk,
        "add_tags": "Money, billing,",
        "is_active": "on",
    }
    assert alice_client.post(reverse("sla:routing_rule_create"), data).status_code == 302
    data = {"name": "Phones", "channel": "phone", "set_priority": "high", "is_active": "on"}
    assert alice_client.post(reverse("sla:routing_rule_create"), data).status_code == 302
    with tenant_context(tenant_a.id):
        first, second = RoutingRule.objects.order_by("position")
    assert first.add_tags == ["billing", "money"]
    alice_client.post(reverse("sla:routing_rule_move", args=[second.pk]), {"direction": "up"})
    with tenant_context(tenant_a.id):
        assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["Phones", "Invoices"]
    alice_client.post(reverse("sla:queue_mode", args=[billing.pk]), {"mode": "least_loaded"})
    with tenant_context(tenant_a.id):
        assert QueueRouting.objects.get(queue=billing).mode == "least_loaded"
    page = alice_client.get(reverse("sla:routing")).content.decode()
    assert "Invoices" in page and "Phones" in page and 'value="least_loaded" selected' in page


def test_a_routing_rule_needs_an_action(alice_client):
    response = alice_client.post(reverse("sla:routing_rule_create"), {"name": "Nothing", "keyword": "x"})
    assert "at least one action" in response.content.decode()


def test_routing_and_policy_pages_do_not_query_per_row(tenant_a, alice_client):
    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(reverse(name)).status_code == 200
        return len(captured)

    for _ in range(2):
        RoutingRuleFactory(tenant=tenant_a, set_queue=QueueFactory(tenant=tenant_a))
        EscalationRuleFactory(tenant=tenant_a, reassign_to_queue=QueueFactory(tenant=tenant_a))
    queries("sla:routing")  # the first request of a session also loads and refreshes the session
    few = (queries("sla:routing"), queries("sla:policies"))
    for _ in range(5):
        RoutingRuleFactory(tenant=tenant_a, set_queue=QueueFactory(tenant=tenant_a))
        EscalationRuleFactory(tenant=tenant_a, reassign_to_queue=QueueFactory(tenant=tenant_a))
    assert (queries("sla:routing"), queries("sla:policies")) == few


# --- the ticket partial and the list badge -----------------------------------------------------------


@pytest.fixture
def policy(tenant_a, always_open):
    return SlaPolicyFactory(tenant=tenant_a, first_response_minutes=60, resolution_minutes=600)


def render_partial(ticket: Ticket) -> str:
    with tenant_context(ticket.tenant_id):
        fresh = Ticket.objects.get(pk=ticket.pk)
        return render_to_string("sla/_ticket_sla.html", {"ticket": fresh})


def test_partial_shows_due_times_and_paused(tenant_a, policy, alice):
    ticket = TicketFactory(tenant_a)
    html = render_partial(ticket)
    assert "First response" in html and "Resolution" in html and "due in 1 h" in html
    with tenant_context(tenant_a.id):
        TicketSla.objects.filter(ticket_id=ticket.pk).update(
            is_paused=True, resolution_due=None, resolution_remaining_minutes=90, first_response_due=None,
            first_response_met_at=timezone.now(),
        )  # fmt: skip
    html = render_partial(ticket)
    assert "paused" in html and "1 h 30 min of business time left" in html and "met" in html


def test_partial_shows_breaches_and_nothing_without_a_policy(tenant_a, policy):
    ticket = TicketFactory(tenant_a)
    with tenant_context(tenant_a.id):
        TicketSla.objects.filter(ticket_id=ticket.pk).update(
            first_response_breached=True, first_response_due=timezone.now() - timedelta(hours=3)
        )
    assert "breached 3 h ago" in render_partial(ticket)
    without = TicketFactory(tenant_a, priority="urgent")
    assert render_partial(without).strip() == ""


def test_badge_reads_the_selected_sla_without_queries(tenant_a, policy):
    for _ in range(3):
        TicketFactory(tenant_a)
    TicketFactory(tenant_a, priority="urgent")  # no policy: no badge
    template = Template("{% load sla %}{% for t in tickets %}[{% sla_badge t %}]{% endfor %}")
    with tenant_context(tenant_a.id):
        tickets = list(
            Ticket.objects.select_related("sla")
            .only("status", "sla__first_response_due", "sla__resolution_due", "sla__first_response_breached",
                  "sla__resolution_breached")
            .order_by("id")
        )  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            html = template.render(Context({"tickets": tickets}))
    assert len(captured) == 0
    assert html.count("due in 1 h") == 3 and html.endswith("[]")


def test_settings_changes_are_audited(tenant_a, alice, alice_client):
    from audit.models import AuditEvent

    alice_client.post(reverse("sla:business_hours"), {"always_open": "on"})
    data = {"priority": "low", "first_response_minutes": "60", "resolution_minutes": "600", "is_active": "on"}
    alice_client.post(reverse("sla:policy_create"), data)
    with tenant_context(tenant_a.id):
        events = list(AuditEvent.objects.filter(action="setting_change").values_list("object_repr", "actor_id"))
    assert ("Business hours changed", alice.pk) in events
    assert ("SLA policy saved: Low", alice.pk) in events
