"""The beat dispatcher and the per-tenant poll on a real Celery worker, against a real IMAP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from crm.celery import app as celery_app
from crm.tenancy.context import tenant_context
from inbox.models import InboundMessage, InboxSettings
from inbox.tasks import schedule_imap_polls
from interactions.models import Interaction
from tests.db_urls import database_url
from tests.factories import ContactFactory
from tests.inbox.conftest import configure_imap, mail

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
SWAPPED = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")


@pytest.fixture
def inbox_worker(transactional_db, tmp_path):
    """`celery worker` on real Redis against the test database, on a private queue (its name)."""
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    queue = f"test-inbox-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.inbox.worker_settings",
        "TEST_CELERY_QUEUE": queue,
        "TEST_MEDIA_ROOT": str(tmp_path / "media"),
        "DATABASE_URL": database_url("default"),
        "DATABASE_OWNER_URL": database_url("owner"),
        "REDIS_URL": REDIS_URL,
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--queues", queue, "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    previous = {key: celery_app.conf[key] for key in SWAPPED}
    celery_app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False, task_default_queue=queue
    )
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait()
        celery_app.conf.update(previous)
        print(log.read_text())  # shown by pytest when the test fails


def wait_for_poll(tenant, after):
    """Until the worker has recorded a poll newer than ``after`` (the task runs asynchronously)."""
    for _ in range(600):
        with tenant_context(tenant.id):
            polled_at = InboxSettings.objects.get().last_poll_at
        if polled_at is not None and (after is None or polled_at > after):
            return polled_at
        time.sleep(0.1)
    pytest.fail("the worker did not poll the mailbox")


@pytest.mark.worker
def test_beat_dispatch_polls_on_the_worker_and_a_second_tick_logs_nothing_new(
    inbox_worker,
    imap_server,
    tenant_a,
    tenant_b,
):
    queue = inbox_worker
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    configure_imap(tenant_a, imap_server)
    imap_server["append"](mail())

    assert schedule_imap_polls.apply_async(queue=queue).get(timeout=60) == 1
    first = wait_for_poll(tenant_a, None)
    assert schedule_imap_polls.apply_async(queue=queue).get(timeout=60) == 1
    wait_for_poll(tenant_a, first)

    with tenant_context(tenant_a.id):
        assert InboundMessage.objects.count() == 1
        assert Interaction.objects.count() == 1
        assert InboxSettings.objects.get().last_poll_count == 0  # the second poll found nothing new
    with tenant_context(tenant_b.id):
        assert not InboundMessage.objects.exists()
