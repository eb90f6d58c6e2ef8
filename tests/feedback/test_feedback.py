"""Product feedback: product areas, feedback on tickets and interactions, and the report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import ContactScore
from crm.tenancy.context import tenant_context
from feedback.models import FeedbackItem, ProductArea
from feedback.selectors import feedback_report
from tests.factories import ContactFactory, InteractionFactory, ModelRunFactory, OrderFactory
from tests.feedback.factories import FeedbackItemFactory, ProductAreaFactory
from tests.service_desk.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_admins_manage_product_areas(tenant_a, alice_client, bob_client):
    assert bob_client.get(reverse("feedback:areas")).status_code == 403
    assert (
        alice_client.post(reverse("feedback:areas"), {"name": " Mobile   app ", "is_active": "on"}).status_code == 302
    )
    duplicate = alice_client.post(reverse("feedback:areas"), {"name": "mobile app"})
    assert "already a product area" in duplicate.content.decode()
    with tenant_context(tenant_a.id):
        area = ProductArea.objects.get()
    assert area.name == "Mobile app"
    alice_client.post(reverse("feedback:area_edit", args=[area.pk]), {"name": "Mobile", "description": "iOS"})
    with tenant_context(tenant_a.id):
        area.refresh_from_db()
    assert (area.name, area.description, area.is_active) == ("Mobile", "iOS", False)


def test_an_area_with_feedback_is_switched_off_not_deleted(tenant_a, alice_client):
    used = FeedbackItemFactory(tenant=tenant_a).area
    unused = ProductAreaFactory(tenant=tenant_a)
    alice_client.post(reverse("feedback:area_delete", args=[used.pk]))
    alice_client.post(reverse("feedback:area_delete", args=[unused.pk]))
    with tenant_context(tenant_a.id):
        assert list(ProductArea.objects.values_list("pk", "is_active")) == [(used.pk, False)]


def test_agents_note_feedback_on_a_ticket(tenant_a, alice_client, alice):
    contact = ContactFactory(tenant=tenant_a)
    ticket = TicketFactory(tenant_a, contact=contact)
    area = ProductAreaFactory(tenant=tenant_a, name="Billing")
    url = reverse("feedback:ticket_add", args=[ticket.pk])
    response = alice_client.post(url, {"area": area.pk, "kind": "bug", "note": "Totals wrong", "next": "/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    with tenant_context(tenant_a.id):
        item = FeedbackItem.objects.get()
    assert (item.ticket_id, item.contact_id, item.kind, item.created_by_id) == (ticket.pk, contact.pk, "bug", alice.pk)
    offsite = alice_client.post(url, {"area": area.pk, "kind": "praise", "next": "https://evil.example/"})
    assert offsite["Location"] == reverse("service_desk:ticket_detail", args=[ticket.pk])


def test_the_ticket_card_lists_feedback_and_offers_active_areas(tenant_a, alice_client):
    from django.template.loader import render_to_string

    ticket = TicketFactory(tenant_a)
    ProductAreaFactory(tenant=tenant_a, name="Reporting")
    ProductAreaFactory(tenant=tenant_a, name="Retired", is_active=False)
    with tenant_context(tenant_a.id):
        FeedbackItem.objects.create(tenant=tenant_a, area=ProductArea.objects.get(name="Reporting"), kind="praise",
                                    note="Loves the charts", ticket=ticket)  # fmt: skip
        html = render_to_string("feedback/_ticket_feedback.html", {"ticket": ticket, "capabilities": {"tickets.edit"}})
    assert "Loves the charts" in html and "Praise" in html and "Add feedback" in html
    assert "Retired" not in html
    with tenant_context(tenant_a.id):
        read_only = render_to_string("feedback/_ticket_feedback.html", {"ticket": ticket, "capabilities": set()})
    assert "Loves the charts" in read_only and "Add feedback" not in read_only


def test_feedback_on_an_interaction_and_its_page_shows_the_card(tenant_a, alice_client):
    interaction = InteractionFactory(tenant=tenant_a)
    area = ProductAreaFactory(tenant=tenant_a, name="Integrations")
    alice_client.post(
        reverse("feedback:interaction_add", args=[interaction.pk]),
        {"area": area.pk, "kind": "feature_request", "note": "SAP sync"},
    )
    page = alice_client.get(reverse("interactions:detail", args=[interaction.pk])).content.decode()
    assert "Product feedback" in page and "SAP sync" in page


def test_inactive_areas_and_bad_kinds_are_refused(tenant_a, alice_client):
    ticket = TicketFactory(tenant_a)
    retired = ProductAreaFactory(tenant=tenant_a, is_active=False)
    active = ProductAreaFactory(tenant=tenant_a)
    alice_client.post(reverse("feedback:ticket_add", args=[ticket.pk]), {"area": retired.pk, "kind": "bug"})
    alice_client.post(reverse("feedback:ticket_add", args=[ticket.pk]), {"area": active.pk, "kind": "rant"})
    with tenant_context(tenant_a.id):
        assert not FeedbackItem.objects.exists()


def test_roles_without_the_right_get_403_and_other_tenants_404(tenant_a, bob_client, charlie_client):
    item = FeedbackItemFactory(tenant=tenant_a)
    ticket = TicketFactory(tenant_a)
    assert (
        bob_client.post(
            reverse("feedback:ticket_add", args=[ticket.pk]), {"area": item.area_id, "kind": "bug"}
        ).status_code
        == 403
    )
    assert bob_client.post(reverse("feedback:item_delete", args=[item.pk])).status_code == 403
    for url in (
        reverse("feedback:ticket_add", args=[ticket.pk]),
        reverse("feedback:interaction_add", args=[item.interaction_id]),
        reverse("feedback:item_delete", args=[item.pk]),
        reverse("feedback:area_edit", args=[item.area_id]),
        reverse("feedback:area_delete", args=[item.area_id]),
    ):
        assert charlie_client.post(url, {"area": item.area_id, "kind": "bug", "name": "x"}).status_code == 404, url
    with tenant_context(tenant_a.id):
        assert FeedbackItem.objects.count() == 1 and ProductArea.objects.get().name == item.area.name


def test_removing_feedback_asks_and_deletes(tenant_a, alice_client):
    item = FeedbackItemFactory(tenant=tenant_a)
    page = alice_client.get(reverse("interactions:detail", args=[item.interaction_id])).content.decode()
    assert "data-confirm" in page and reverse("feedback:item_delete", args=[item.pk]) in page
    alice_client.post(reverse("feedback:item_delete", args=[item.pk]))
    with tenant_context(tenant_a.id):
        assert not FeedbackItem.objects.exists()


def test_report_counts_by_area_kind_and_month_and_lists_customers(tenant_a, tenant_b):
    billing, mobile = (
        ProductAreaFactory(tenant=tenant_a, name="Billing"),
        ProductAreaFactory(tenant=tenant_a, name="Mobile"),
    )
    big = ContactFactory(tenant=tenant_a, first_name="Big", last_name="Spender")
    OrderFactory(tenant=tenant_a, contact=big, amount=Decimal("900.00"))
    OrderFactory(tenant=tenant_a, contact=big, amount=Decimal("100.00"))
    OrderFactory(tenant=tenant_a, contact=big, amount=Decimal("5000.00"), status="cancelled")
    with tenant_context(tenant_a.id):
        ContactScore.objects.create(tenant=tenant_a, contact=big, run=ModelRunFactory(tenant=tenant_a),
                                    churn_probability=0.8, risk_band="high", scored_at=timezone.now())  # fmt: skip
    for kind in ("bug", "bug", "praise"):
        FeedbackItemFactory(
            tenant=tenant_a, area=billing, kind=kind, interaction=InteractionFactory(tenant=tenant_a, contact=big)
        )
    old = FeedbackItemFactory(tenant=tenant_a, area=mobile, kind="feature_request")
    with tenant_context(tenant_a.id):
        FeedbackItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=62))
    FeedbackItemFactory(tenant=tenant_b)  # another tenant's: never counted
    with tenant_context(tenant_a.id), CaptureQueriesContext(connection) as queries:
        report = feedback_report()
    assert len(queries) <= 5
    assert [(row["name"], row["bug"], row["praise"], row["feature_request"], row["total"]) for row in report.rows] == [
        ("Billing", 2, 1, 0, 3),
        ("Mobile", 0, 0, 1, 1),
    ]
    assert report.totals == {"feature_request": 1, "bug": 2, "praise": 1}
    assert len(report.months) == 12 and report.trend["bug"][-1] == 2 and sum(report.trend["feature_request"]) == 1
    first = report.customers[0]
    assert (first.pk, first.feedback_count, first.order_value) == (big.pk, 3, Decimal("1000.00"))
    assert first.score.risk_band == "high"


def test_report_page_filters_and_empty_state(tenant_a, alice_client, bob_client):
    empty = alice_client.get(reverse("feedback:report")).content.decode()
    assert "No feedback yet" in empty and "echarts" not in empty
    billing = ProductAreaFactory(tenant=tenant_a, name="Billing")
    FeedbackItemFactory(tenant=tenant_a, area=billing, kind="bug")
    FeedbackItemFactory(tenant=tenant_a, kind="praise")
    page = bob_client.get(reverse("feedback:report"), {"area": billing.pk}).content.decode()
    assert 'id="feedback-trend-data" type="application/json"' in page and "feedback/report.js" in page
    assert "<script>" not in page
    assert page.count('<td><a href="?area=') == 1


def test_report_page_does_not_query_per_customer(tenant_a, alice_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            alice_client.get(reverse("feedback:report"))
        return len(captured)

    FeedbackItemFactory(tenant=tenant_a)
    queries()
    few = queries()
    for _ in range(6):
        FeedbackItemFactory(tenant=tenant_a)
    assert queries() == few
