"""The signed HTTP endpoint mail providers post raw MIME to."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from crm.tenancy.context import tenant_context
from inbox.models import InboundMessage, InboundStatus, Source
from inbox.services import inbox_http_secret_regenerate, inbox_route_for, signature_for
from interactions.models import Interaction
from tests.factories import ContactFactory
from tests.inbox.conftest import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(tenant_a, alice):
    with tenant_context(tenant_a.id):
        secret = inbox_http_secret_regenerate(tenant=tenant_a, by=alice)
    return {"url": reverse("inbox:inbound-http", args=[inbox_route_for(tenant_a).token]), "secret": secret}


def post(endpoint, body, *, secret=None, timestamp=None, signature=None, content_type="message/rfc822"):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signature = signature or signature_for(secret=secret or endpoint["secret"], timestamp=timestamp, body=body)
    return Client().post(
        endpoint["url"],
        data=body,
        content_type=content_type,
        headers={"X-CRM-Signature": signature, "X-CRM-Timestamp": timestamp},
    )


def test_a_signed_message_is_stored_and_logged(endpoint, tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    response = post(endpoint, mail())
    assert response.status_code == 201
    assert response.json()["status"] == InboundStatus.LOGGED
    assert response.json()["duplicate"] is False
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.get().source == Source.HTTP
        assert Interaction.objects.get().contact == contact


def test_posting_the_same_message_again_is_idempotent(endpoint, tenant_a):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    first = post(endpoint, mail())
    second = post(endpoint, mail())
    assert second.status_code == 200
    assert second.json() | {"duplicate": False} == first.json()
    with tenant_context(tenant_a.id):
        assert Interaction.objects.count() == 1


def test_a_form_field_carries_the_message_too(endpoint, tenant_a):
    body = urlencode({"message": mail().decode(), "recipient": "x"}).encode()
    response = post(endpoint, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.get().subject == "Quote please"


def test_multipart_form_posts_work(endpoint, tenant_a):
    boundary = "form-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="recipient"\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="body-mime"\r\n\r\n'
        ).encode()
        + mail()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = post(endpoint, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.content
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.get().message_id == "<m1@customer.example>"


def test_missing_signature_is_401(endpoint, tenant_a):
    response = Client().post(endpoint["url"], data=mail(), content_type="message/rfc822")
    assert response.status_code == 401
    assert "X-CRM-Signature" in response.json()["error"]


def test_a_wrong_signature_is_403_and_stores_nothing(endpoint, tenant_a):
    response = post(endpoint, mail(), secret="not-the-secret")
    assert response.status_code == 403
    assert "signature does not match" in response.json()["error"]
    tampered = post(endpoint, mail(), signature=signature_for(secret=endpoint["secret"], timestamp="1", body=mail()))
    assert tampered.status_code == 403
    with tenant_context(tenant_a.id):
        assert not InboundMessage.objects.exists()


def test_a_replayed_request_with_an_old_timestamp_is_403(endpoint, tenant_a):
    old = str(int(time.time()) - 3600)
    response = post(endpoint, mail(), timestamp=old)  # correctly signed, an hour ago
    assert response.status_code == 403
    assert "timestamp" in response.json()["error"]
    with tenant_context(tenant_a.id):
        assert not InboundMessage.objects.exists()


def test_a_regenerated_secret_refuses_the_old_one(endpoint, tenant_a, alice):
    with tenant_context(tenant_a.id):
        inbox_http_secret_regenerate(tenant=tenant_a, by=alice)
    assert post(endpoint, mail()).status_code == 403


def test_an_oversize_body_is_413(endpoint, tenant_a, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 1000
    response = post(endpoint, mail(body="x" * 5000))
    assert response.status_code == 413
    assert "limit" in response.json()["error"]


def test_an_unknown_token_is_404(endpoint):
    response = Client().post(reverse("inbox:inbound-http", args=["nope"]), data=mail(), content_type="message/rfc822")
    assert response.status_code == 404
    assert response.json()["error"]


def test_broken_mime_is_422_with_the_reason(endpoint, tenant_a):
    response = post(endpoint, b'From: a@x\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n\r\ncut')
    assert response.status_code == 422
    assert "truncated" in response.json()["error"]


def test_only_post_is_allowed(endpoint):
    assert Client().get(endpoint["url"]).status_code == 405


def test_the_token_decides_the_tenant(endpoint, tenant_a, tenant_b):
    ContactFactory(tenant=tenant_b, email="jane@customer.example")
    post(endpoint, mail())
    with tenant_context(tenant_b.id):
        assert not InboundMessage.objects.exists()
        assert not Interaction.objects.exists()


def test_a_signed_in_browser_of_another_tenant_cannot_steer_the_ingest(endpoint, tenant_a, charlie_client):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    timestamp = str(int(time.time()))
    response = charlie_client.post(
        endpoint["url"],
        data=mail(),
        content_type="message/rfc822",
        headers={
            "X-CRM-Signature": signature_for(secret=endpoint["secret"], timestamp=timestamp, body=mail()),
            "X-CRM-Timestamp": timestamp,
        },
    )
    assert response.status_code == 201
    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.get().status == InboundStatus.LOGGED
