"""Fixtures of the SMS tests: a real HTTP gateway (pytest-httpserver), a workspace set up to send through
it, contacts with and without SMS consent, and Celery tasks run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from crm.celery import app as celery_app
from crm.tenancy.context import tenant_context
from sms.services import sms_settings_save
from tests.factories import ContactFactory

GATEWAY_TOKEN = "gw-token-8f3a1c-very-secret"


@pytest.fixture
def gateway() -> Iterator[HTTPServer]:
    """A real HTTP server playing the SMS provider. Threaded, so a slow answer (the timeout test)
    does not hold up the retry that follows it."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks queued on commit run in-process (retries too, at once: Celery runs eager retries immediately)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def sms_http(tenant_a: Any, alice: Any, gateway: HTTPServer, settings: Any) -> Any:
    """Tenant A sends through the test gateway; answers time out after half a second."""
    settings.SMS_HTTP_TIMEOUT = 0.5
    with tenant_context(tenant_a.id):
        config, secret = sms_settings_save(
            tenant=tenant_a, by=alice, backend="http", gateway_url=gateway.url_for("/v1/messages"),
            gateway_token=GATEWAY_TOKEN, sender_id="ACME",
        )  # fmt: skip
    config.callback_secret = secret  # what the admin was shown once; the callback tests sign with it
    return config


@pytest.fixture
def ann(tenant_a: Any, alice: Any) -> Any:
    """A contact with a mobile number who agreed to receive SMS, owned by alice."""
    return ContactFactory(
        tenant=tenant_a, first_name="Ann", last_name="Lee", phone="+4915112345678", sms_consent=True, owner=alice
    )


@pytest.fixture
def ben(tenant_a: Any) -> Any:
    """A contact with a mobile number who never agreed to SMS."""
    return ContactFactory(tenant=tenant_a, first_name="Ben", last_name="Ortiz", phone="+4915187654321")
