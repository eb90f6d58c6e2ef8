"""Webhooks: signed deliveries to a real local receiver, retries with backoff, switching off, SSRF guard."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from werkzeug import Response

from crm.tenancy.context import tenant_context
from customers.services import contact_create
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.signing import SIGNATURE_HEADER, verify
from integrations.webhooks import (
    DISABLE_AFTER_FAILURES,
    MAX_ATTEMPTS,
    webhook_delivery_send,
    webhook_emit,
    webhook_endpoint_create,
    webhook_ping,
)
from notifications.models import Notification


def subscribe(tenant, user, url, events=("contact.created",)):
    with tenant_context(tenant.pk):
        return webhook_endpoint_create(tenant=tenant, url=url, events=list(events), by=user)


def deliveries(tenant):
    with tenant_context(tenant.pk):
        return list(WebhookDelivery.objects.order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_a_new_contact_reaches_the_receiver_signed(tenant_a, alice, httpserver, eager_tasks, local_receivers):
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    endpoint, secret = subscribe(tenant_a, alice, httpserver.url_for("/hooks"))
    with tenant_context(tenant_a.pk):
        contact = contact_create(tenant=tenant_a, data={"first_name": "Ann", "email": "ann@a.example"}, by=alice)

    ((request, _response),) = httpserver.log
    body = request.get_data()
    assert verify(secret=secret, body=body, header=request.headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["event"] == "contact.created" and payload["data"]["object"]["id"] == contact.pk
    assert payload["data"]["object"]["email"] == "ann@a.example"
    assert request.headers["X-CRM-Event-Id"] == payload["id"]
    (delivery,) = deliveries(tenant_a)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.response_status == 200
    assert delivery.response_ms is not None and delivery.endpoint_id == endpoint.pk


def test_a_tampered_or_stale_signature_does_not_verify():
    from integrations.signing import sign

    header = sign(secret="s", body=b"{}", timestamp=1_000_000)
    assert verify(secret="s", body=b"{}", header=header, now=1_000_010)
    assert not verify(secret="s", body=b'{"x":1}', header=header, now=1_000_010)
    assert not verify(secret="other", body=b"{}", header=header, now=1_000_010)
    assert not verify(secret="s", body=b"{}", header=header, now=1_000_000 + 301)  # replayed too late


@pytest.mark.django_db
def test_other_tenants_and_unsubscribed_events_get_nothing(tenant_a, tenant_b, alice, charlie, local_receivers):
    subscribe(tenant_b, charlie, "http://127.0.0.1:9/b")
    subscribe(tenant_a, alice, "http://127.0.0.1:9/a", events=["deal.created"])
    with tenant_context(tenant_a.pk):
        assert webhook_emit(tenant=tenant_a, event="contact.created", data={}) == 0
    assert deliveries(tenant_b) == []


@pytest.mark.django_db
def test_a_server_error_is_retried_later_with_backoff(tenant_a, alice, httpserver, local_receivers):
    httpserver.expect_request("/hooks").respond_with_response(Response("down", status=503))
    subscribe(tenant_a, alice, httpserver.url_for("/hooks"))
    with tenant_context(tenant_a.pk):
        webhook_emit(tenant=tenant_a, event="contact.created", data={"n": 1})
        delivery = WebhookDelivery.objects.get()
        assert webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.response_status == 503 and "503" in delivery.error
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
        # Not due yet: a duplicate task does nothing.
        assert webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk) == "not-due"
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=110)  # doubled
    assert len(httpserver.log) == 2


@pytest.mark.django_db
def test_a_refusal_fails_at_once_and_repeated_failures_switch_the_endpoint_off(
    tenant_a, alice, httpserver, local_receivers
):
    httpserver.expect_request("/hooks").respond_with_response(Response("no such hook", status=410))
    endpoint, _secret = subscribe(tenant_a, alice, httpserver.url_for("/hooks"))
    with tenant_context(tenant_a.pk):
        for _ in range(DISABLE_AFTER_FAILURES):
            webhook_emit(tenant=tenant_a, event="contact.created", data={})
        for delivery in WebhookDelivery.objects.all():
            assert webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk) == DeliveryStatus.FAILED
        endpoint.refresh_from_db()
        assert not endpoint.is_active and "410" in endpoint.disabled_reason
        notice = Notification.objects.get(user=alice)
        assert "switched off" in notice.title
        # Switched off: new events are not even recorded.
        assert webhook_emit(tenant=tenant_a, event="contact.created", data={}) == 0


@pytest.mark.django_db
def test_transient_failures_give_up_after_the_last_attempt(tenant_a, alice, httpserver, local_receivers):
    httpserver.expect_request("/hooks").respond_with_response(Response("busy", status=429))
    subscribe(tenant_a, alice, httpserver.url_for("/hooks"))
    with tenant_context(tenant_a.pk):
        webhook_emit(tenant=tenant_a, event="contact.created", data={})
        delivery = WebhookDelivery.objects.get()
        for _ in range(MAX_ATTEMPTS):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS


@pytest.mark.django_db
def test_private_addresses_are_refused_unless_allowed(tenant_a, alice, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_HOSTS = False
    for url in ("http://127.0.0.1:8000/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x"):
        with pytest.raises(ValidationError, match="private or local"):
            subscribe(tenant_a, alice, url)
    with pytest.raises(ValidationError, match="not an http"):
        subscribe(tenant_a, alice, "ftp://files.example.com/x")


@pytest.mark.django_db(transaction=True)
def test_a_ping_and_a_redelivery_from_the_pages(
    alice_client, tenant_a, alice, httpserver, eager_tasks, local_receivers
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    page = alice_client.post("/integrations/webhooks/new/",
                             {"url": httpserver.url_for("/hooks"), "events": ["contact.created", "deal.stage_changed"],
                              "is_active": "on"})  # fmt: skip
    with tenant_context(tenant_a.pk):
        endpoint = WebhookEndpoint.objects.get()
    assert page.status_code == 302 and endpoint.events == ["contact.created", "deal.stage_changed"]
    alice_client.post(f"/integrations/webhooks/{endpoint.pk}/ping/")
    (delivery,) = deliveries(tenant_a)
    assert delivery.event == "ping" and delivery.status == DeliveryStatus.SUCCEEDED
    alice_client.post(f"/integrations/webhook-deliveries/{delivery.pk}/redeliver/")
    assert len(httpserver.log) == 2
    detail = alice_client.get(f"/integrations/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 200" in detail and "ping" in detail
    assert (
        alice_client.get(f"/integrations/webhooks/{endpoint.pk}/?reveal=secret").content.decode().count("whsec_") == 1
    )


@pytest.mark.django_db
def test_only_admins_see_webhooks(bob_client):
    assert bob_client.get("/integrations/webhooks/").status_code == 403


@pytest.mark.django_db
def test_a_ping_to_a_switched_off_endpoint_is_still_sent(tenant_a, alice, httpserver, local_receivers):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    endpoint, _secret = subscribe(tenant_a, alice, httpserver.url_for("/hooks"))
    with tenant_context(tenant_a.pk):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        endpoint.refresh_from_db()
        delivery = webhook_ping(tenant=tenant_a, endpoint=endpoint, by=alice)
        assert webhook_delivery_send(tenant=tenant_a, delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db
def test_moving_a_deal_tells_its_old_and_new_stage(tenant_a, alice, local_receivers):
    from customers.deals.services import deal_move
    from tests.factories import DealFactory, StageFactory

    subscribe(tenant_a, alice, "http://127.0.0.1:9/hooks", events=["deal.stage_changed"])
    deal = DealFactory(tenant=tenant_a)
    target = StageFactory(tenant=tenant_a, pipeline=deal.pipeline, name="Negotiation", position=5)
    with tenant_context(tenant_a.pk):
        deal_move(tenant=tenant_a, deal=deal, stage=target, expected_version=None, by=alice)
    (delivery,) = deliveries(tenant_a)
    assert delivery.event == "deal.stage_changed"
    assert delivery.payload["data"]["from_stage"]["id"] == deal.stage_id
    assert delivery.payload["data"]["to_stage"] == {"id": target.pk, "name": "Negotiation"}
    assert delivery.payload["data"]["object"]["id"] == deal.pk


@pytest.mark.django_db
def test_a_finished_import_is_announced_once_with_its_counts(tenant_a, alice, local_receivers, settings, tmp_path):
    from tests.imports.conftest import import_file

    settings.MEDIA_ROOT = str(tmp_path)
    subscribe(tenant_a, alice, "http://127.0.0.1:9/hooks", events=["import.finished"])
    done = import_file(tenant_a, alice, b"First Name,E-mail Address\nAnn,ann@example.org\nBo,not-an-email\n")
    (delivery,) = deliveries(tenant_a)
    counts = delivery.payload["data"]["import"]
    assert counts["id"] == done.pk and (counts["created"], counts["rejected"]) == (1, 1)


def scores_frame(rows):
    import pandas as pd

    frame = pd.DataFrame(
        [
            {"contact_id": contact_id, "churn_probability": probability, "risk_band": band, "predicted_value": 100.0,
             "r_score": 3, "f_score": 3, "m_score": 3, "rfm_segment": "Loyal", "cluster": 0,
             "churn_reasons": [{"text": "no order in 210 days", "contribution": 0.31}], "value_reasons": []}
            for contact_id, probability, band in rows
        ]
    )  # fmt: skip
    return frame.set_index("contact_id")


@pytest.mark.django_db
def test_a_scoring_run_announces_customers_whose_risk_rose(tenant_a, alice, local_receivers):
    from django.db import transaction

    from analytics.writeback import write_scores
    from tests.factories import ContactFactory, ModelRunFactory

    subscribe(tenant_a, alice, "http://127.0.0.1:9/hooks", events=["contact.risk_rose"])
    run_1, run_2 = ModelRunFactory.create_batch(2, tenant=tenant_a)
    rising, steady, falling, new = ContactFactory.create_batch(4, tenant=tenant_a)
    with tenant_context(tenant_a.pk), transaction.atomic():
        first = scores_frame([(rising.pk, 0.1, "low"), (steady.pk, 0.5, "medium"), (falling.pk, 0.9, "high")])
        write_scores(tenant_id=tenant_a.pk, run_id=run_1.pk, scored_at=timezone.now(), scores=first)
    assert deliveries(tenant_a) == []  # a first score is no rise
    with tenant_context(tenant_a.pk), transaction.atomic():
        write_scores(tenant_id=tenant_a.pk, run_id=run_2.pk, scored_at=timezone.now(),
                     scores=scores_frame([(rising.pk, 0.8, "high"), (steady.pk, 0.55, "medium"),
                                          (falling.pk, 0.2, "low"), (new.pk, 0.9, "high")]))  # fmt: skip
    (delivery,) = deliveries(tenant_a)
    data = delivery.payload["data"]
    assert delivery.event == "contact.risk_rose" and data["contact"]["id"] == rising.pk
    assert (data["from_band"], data["to_band"], data["run"]) == ("low", "high", run_2.pk)
    assert data["reasons"][0]["text"] == "no order in 210 days"
