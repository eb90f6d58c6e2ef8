"""Where scores act besides the contact page: the at-risk list's "Create task", exports and the API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from analytics.models import ContactScore
from crm.tenancy.context import tenant_context
from tests.customers.test_export import exported_csv
from tests.factories import ContactFactory, ModelRunFactory

SCORED_AT = datetime(2026, 11, 1, tzinfo=UTC)
REASONS = {"churn": [{"feature": "recency_days", "text": "no order in 210 days", "contribution": 0.31}], "value": []}


@pytest.fixture
def at_risk(tenant_a):
    """Ann, scored high risk and valuable by a promoted run; Ben, added after the run (no scores)."""
    with tenant_context(tenant_a.id):
        run = ModelRunFactory(tenant=tenant_a, promoted=True, finished_at=SCORED_AT)
        ann = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Risky")
        ben = ContactFactory(tenant=tenant_a, first_name="Ben", last_name="Newcomer")
        ContactScore.objects.create(
            tenant=tenant_a, contact=ann, run=run, churn_probability=0.87, risk_band="high",
            predicted_value=Decimal("1234.50"), r_score=1, f_score=2, m_score=5, rfm_segment="At risk", cluster=0,
            reasons=REASONS, scored_at=SCORED_AT,
        )  # fmt: skip
    return {"run": run, "ann": ann, "ben": ben}


@pytest.mark.django_db
def test_the_at_risk_list_offers_a_task_prefilled_for_the_customer(alice_client, at_risk):
    ann = at_risk["ann"]
    page = alice_client.get("/analytics/").content.decode()
    assert "Ann Risky" in page and "no order in 210 days" in page
    link = (
        f"/tasks/new/?contact={ann.pk}&amp;title=Call%20Ann%20Risky%20about%20their%20churn%20risk&amp;next=/analytics/"
    )
    assert link in page
    form = alice_client.get(link.replace("&amp;", "&")).content.decode()
    assert "Call Ann Risky about their churn risk" in form


@pytest.mark.django_db
def test_an_analyst_sees_the_list_but_no_task_button(bob_client, at_risk):
    page = bob_client.get("/analytics/").content.decode()
    assert "Ann Risky" in page and 'data-testid="at-risk-task"' not in page


@pytest.mark.django_db
def test_exports_carry_the_scores_and_leave_them_empty_for_an_unscored_contact(alice_client, at_risk):
    header, *rows = exported_csv(alice_client.get("/customers/contacts/export/?format=csv"))
    assert header[-5:] == ["Churn probability", "Churn risk", "Predicted value", "RFM segment", "Scored at"]
    by_name = {row[1]: row for row in rows}
    assert by_name["Ann"][-5:-1] == ["0.87", "high", "1234.50", "At risk"]
    assert by_name["Ben"][-5:] == ["", "", "", "", ""]


@pytest.mark.django_db
def test_the_api_returns_each_contacts_scores_with_their_reasons(alice_client, at_risk, django_assert_max_num_queries):
    ann, ben, run = at_risk["ann"], at_risk["ben"], at_risk["run"]
    scores = alice_client.get(f"/api/v1/contacts/{ann.pk}/").json()["scores"]
    assert scores["churn_probability"] == 0.87 and scores["risk_band"] == "high"
    assert scores["predicted_value"] == "1234.50" and scores["rfm_segment"] == "At risk" and scores["run"] == run.pk
    assert scores["reasons"] == REASONS
    assert alice_client.get(f"/api/v1/contacts/{ben.pk}/").json()["scores"] is None
    with django_assert_max_num_queries(8):  # the scores come joined, not one query per contact
        listed = alice_client.get("/api/v1/contacts/").json()["results"]
    assert {row["id"]: row["scores"] is not None for row in listed} == {ann.pk: True, ben.pk: False}
