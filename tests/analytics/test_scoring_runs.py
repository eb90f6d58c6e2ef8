"""Scoring runs end to end on the seeded demo data: the models must find the planted signal, the
scores land on every contact with their reasons, and a bad run never touches the scores in use."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from analytics.models import ContactScore, ModelRun, RunStatus, ScoreSnapshot
from analytics.scoring import analytics_run_execute
from analytics.services import analytics_run_start
from crm.models import Tenant
from crm.tenancy.context import tenant_context
from customers.demo.seed import seed_demo
from customers.models import Contact
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401  (the real-worker fixture)
from tests.factories import ContactFactory, ModelRunFactory

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SEEDED = 5000  # enough for a stable holdout; 3,000 left the value model's margin at 9.7%


@pytest.fixture
def scored(db):
    """The demo tenants seeded (SEEDED customers for Acme, generated for NOW) and one run executed on Acme."""
    seed_demo(customers=SEEDED, now=NOW)
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme.id):
        run = analytics_run_start(tenant=acme, by=None)
        analytics_run_execute(run_id=run.id, now=NOW)  # the moment the demo data was generated for
        run.refresh_from_db()
    return acme, run


def test_a_run_finds_the_planted_signal_and_scores_every_contact_with_reasons(scored):
    acme, run = scored
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.promoted
    churn, value = run.churn_card["metrics"], run.value_card["metrics"]
    assert churn["roc_auc"] >= 0.80
    assert churn["brier"] < churn["base_rate_brier"]
    assert value["mae"] <= 0.9 * value["baseline_mae"]
    with tenant_context(acme.id):
        contacts = Contact.objects.count()
        scores = ContactScore.objects.filter(run=run)
        assert scores.count() == contacts  # one row per contact
        riskiest = scores.filter(churn_probability__isnull=False).order_by("-churn_probability").first()
        assert riskiest.risk_band == "high" and riskiest.rfm_segment
        reasons = riskiest.reasons["churn"]
        assert 1 <= len(reasons) <= 3 and all(reason["text"] and reason["contribution"] for reason in reasons)
        assert ScoreSnapshot.objects.filter(run=run).count() == contacts
        assert not ContactScore.objects.filter(predicted_value__lt=Decimal(0)).exists()


def test_an_analyst_reads_the_model_card_and_why_a_customer_is_at_risk(scored, client):
    acme, run = scored
    client.login(email="analyst@acme.example", password="demo-password-2026")
    card = client.get(f"/analytics/runs/{run.pk}/").content.decode()
    assert 'data-testid="churn-metrics"' in card and 'data-testid="value-metrics"' in card
    assert run.clusters and run.clusters[0]["name"] in card
    with tenant_context(acme.id):
        score = ContactScore.objects.filter(risk_band="high").order_by("-churn_probability").first()
    page = client.get(f"/customers/contacts/{score.contact_id}/").content.decode()
    assert "Why this churn risk" in page and score.reasons["churn"][0]["text"] in page
    assert score.rfm_segment in page


@pytest.mark.django_db
def test_a_tenant_without_orders_gets_a_clear_message_and_keeps_its_scores(tenant_a):
    with tenant_context(tenant_a.id):
        earlier = ModelRunFactory(tenant=tenant_a)
        contact = ContactFactory(tenant=tenant_a)
        ContactScore.objects.create(tenant=tenant_a, contact=contact, run=earlier, churn_probability=0.42,
                                    risk_band="medium", scored_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
        run = analytics_run_start(tenant=tenant_a, by=None)
        analytics_run_execute(run_id=run.id)
        run.refresh_from_db()
        kept = ContactScore.objects.get(contact=contact)
    assert run.status == RunStatus.FAILED and "order" in run.error.lower()
    assert (kept.churn_probability, kept.risk_band, kept.run_id) == (0.42, "medium", earlier.pk)


@pytest.mark.django_db
def test_a_second_start_returns_the_run_already_queued(tenant_a):
    with tenant_context(tenant_a.id):
        first = analytics_run_start(tenant=tenant_a, by=None)
        second = analytics_run_start(tenant=tenant_a, by=None)
        assert first.pk == second.pk and ModelRun.objects.count() == 1
        analytics_run_execute(run_id=first.pk)
        assert analytics_run_execute(run_id=first.pk) is None  # a second delivery of the task does nothing


@pytest.mark.django_db
def test_analysts_run_the_models_and_others_cannot(bob_client, tenant_a, client):
    response = bob_client.post("/analytics/runs/start/")
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        assert ModelRun.objects.filter(status=RunStatus.QUEUED).exists()
    assert "Scoring runs" in bob_client.get("/analytics/runs/").content.decode()


@pytest.mark.django_db
def test_the_runs_page_has_an_empty_state(alice_client):
    assert "No runs yet" in alice_client.get("/analytics/runs/").content.decode()


@pytest.mark.django_db
def test_a_worse_model_stays_a_candidate(tenant_a):
    with tenant_context(tenant_a.id):
        ModelRunFactory(tenant=tenant_a, status=RunStatus.SUCCEEDED, promoted=True, finished_at=NOW,
                        churn_card={"metrics": {"roc_auc": 0.999}}, value_card={"metrics": {"mae": 0.01}})  # fmt: skip
        from analytics.services import _promotion

        promote, note = _promotion(({"metrics": {"mae": 5.0}}, {"metrics": {"roc_auc": 0.85}}), 0.02)
    assert not promote and "Kept as a candidate" in note and "0.850 is below the current 0.999" in note


@pytest.mark.worker
def test_run_now_goes_through_a_real_worker_with_progress_to_the_end(celery_worker_process, client):  # noqa: F811
    seed_demo(customers=800)
    acme = Tenant.objects.get(slug="acme")
    client.login(email="analyst@acme.example", password="demo-password-2026")
    assert client.post("/analytics/runs/start/").status_code == 302
    for _ in range(240):  # the worker runs it: wait for the outcome, not for a time
        with tenant_context(acme.id):
            run = ModelRun.objects.get()
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            break
        time.sleep(0.5)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 1.0 and {"extract", "model", "write", "write_copy", "write_insert"} <= set(run.timings)
    page = client.get("/analytics/runs/").content.decode()
    assert f"Run {run.pk} finished." in page


@pytest.mark.django_db
def test_the_nightly_dispatcher_queues_a_run_for_each_tenant_that_wants_one(tenant_a, tenant_b):
    from analytics.models import AnalyticsConfig
    from analytics.tasks import schedule_nightly_runs

    with tenant_context(tenant_b.id):
        AnalyticsConfig.objects.create(tenant=tenant_b, nightly=False)
    assert schedule_nightly_runs() == 1
    with tenant_context(tenant_a.id):
        assert ModelRun.objects.filter(status=RunStatus.QUEUED, requested_by=None).count() == 1
    with tenant_context(tenant_b.id):
        assert not ModelRun.objects.exists()


def test_beat_schedules_only_tasks_that_exist():
    from django.conf import settings

    from crm.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_the_demo_opens_scored_when_seeded_with_score(db):
    """`make run` seeds with --score: the demo's contacts have churn risk and value from the start;
    a tenant too small for the models gets the run's message instead of a crash."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_demo", "--customers", "2000", "--if-empty", "--score", stdout=out)
    assert "scored Acme Corporation: Finished." in out.getvalue()
    assert "scored Globex (Shanghai):" in out.getvalue()
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme.id):
        assert ContactScore.objects.count() == Contact.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"churn_window_days": "10"}, "Choose between 30 and 730 days."),
        ({"value_horizon_days": "5000"}, "Choose between 30 and 730 days."),
        ({"tolerance": "0.9"}, "Use a share between 0 and 0.5"),
        ({"churn_label": "custom", "churn_label_field": ""}, "Pick the yes/no field that marks churned customers."),
    ],
)
def test_bad_analytics_settings_are_refused_with_the_reason(alice_client, tenant_a, change, error):
    from analytics.models import AnalyticsConfig

    data = {"value_horizon_days": "365", "churn_window_days": "180", "churn_label": "inactivity", "tolerance": "0.02",
            **change}  # fmt: skip
    response = alice_client.post("/analytics/settings/", data)
    assert response.status_code == 200 and error in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not AnalyticsConfig.objects.filter(churn_window_days=10).exists()
        assert not AnalyticsConfig.objects.filter(tolerance=0.9).exists()
