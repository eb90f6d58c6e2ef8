"""Exactly once on real workers: real Celery workers on real Redis send a campaign to a real SMTP
server (aiosmtpd, slowed down so a batch takes a while). Two workers and duplicate tasks deliver each
message once; a worker killed with SIGKILL mid-batch causes no duplicate, and after the sweeper the
rest of the audience still gets it; only the group being handed over at the kill is left "uncertain"
(campaigns/sending.py states the exact guarantee)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.utils import timezone

from campaigns.models import Campaign, CampaignDelivery, CampaignStatus, DeliveryStatus
from campaigns.sending import HANDOVER_GROUP, STALE_CLAIM, UNCERTAIN, campaign_prepare, deliveries_sweep
from campaigns.tasks import send_campaign
from crm.celery import app as celery_app
from crm.tenancy.context import tenant_context
from tests.campaigns.conftest import make_audience, new_campaign
from tests.db_urls import database_url
from tests.mail.conftest import configure_mail
from tests.peers import Collector

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
AUDIENCE = 60


class SlowCollector(Collector):
    """Takes 50 ms per message, like a real server over a network: a batch lasts long enough to be killed."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[Any]:
    from aiosmtpd.controller import Controller

    from tests.peers import SmtpServer, free_port

    handler = SlowCollector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """start() runs another `celery worker` (solo pool) on a queue of this test, against the test database."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    queue = f"test-campaigns-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url("default"),
        "DATABASE_OWNER_URL": database_url("owner"),
        "REDIS_URL": REDIS_URL,
    }
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker{len(started)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--queues", queue, "--pool", "solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--hostname", f"w{len(started)}@%h"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    previous = dict(celery_app.conf)
    celery_app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False, task_default_queue=queue
    )
    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        celery_app.conf.update(
            {key: previous[key] for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
        )


def prepared_campaign(tenant: Any) -> Campaign:
    static_list, _contacts = make_audience(tenant, AUDIENCE)
    campaign = new_campaign(tenant, static_list, status=CampaignStatus.SENDING, started_at=timezone.now())
    with tenant_context(tenant.id):
        campaign_prepare(tenant=tenant, campaign_id=campaign.pk)
    return campaign


def wait_for(condition: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail("timed out waiting for the workers")


def status_of(tenant: Any, campaign: Campaign) -> str:
    with tenant_context(tenant.id):
        return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


@pytest.mark.worker
def test_two_workers_and_duplicate_tasks_send_each_message_once(workers, tenant_a, slow_smtp):
    configure_mail(tenant_a, slow_smtp)
    campaign = prepared_campaign(tenant_a)
    workers()
    workers()
    for _n in range(4):  # two senders per worker, as a duplicated or redelivered task would add
        send_campaign.delay(tenant_a.id, campaign.pk)

    wait_for(lambda: status_of(tenant_a, campaign) == CampaignStatus.SENT)

    received = Counter(address for recipients in slow_smtp.handler.recipients for address in recipients)
    assert len(received) == AUDIENCE and set(received.values()) == {1}
    with tenant_context(tenant_a.id):
        assert set(CampaignDelivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"sent"}


@pytest.mark.worker
def test_a_worker_killed_mid_batch_causes_no_duplicate_and_drops_nobody_it_never_tried(workers, tenant_a, slow_smtp):
    configure_mail(tenant_a, slow_smtp)
    campaign = prepared_campaign(tenant_a)
    doomed = workers()
    send_campaign.delay(tenant_a.id, campaign.pk)
    wait_for(lambda: len(slow_smtp.handler.envelopes) >= 5)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=20)
    time.sleep(0.5)  # a message the server was still reading is settled
    with tenant_context(tenant_a.id):
        stuck = CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.SENDING).count()
        assert stuck > 0  # the batch was cut short
        # Later, the beat's sweeper finds the claim stale (its worker is gone).
        requeued, uncertain = deliveries_sweep(now=timezone.now() + STALE_CLAIM + timezone.timedelta(seconds=1))
    assert uncertain <= HANDOVER_GROUP and requeued + uncertain == stuck

    workers()
    send_campaign.delay(tenant_a.id, campaign.pk)
    wait_for(lambda: status_of(tenant_a, campaign) == CampaignStatus.SENT)

    received = Counter(address for recipients in slow_smtp.handler.recipients for address in recipients)
    assert set(received.values()) == {1}, "nobody may get the campaign twice"
    with tenant_context(tenant_a.id):
        rows = {row.address: (row.status, row.reason) for row in CampaignDelivery.objects.filter(campaign=campaign)}
    sent = {address for address, (status, _reason) in rows.items() if status == DeliveryStatus.SENT}
    unsure = {address for address, value in rows.items() if value == (DeliveryStatus.FAILED, UNCERTAIN)}
    assert sent <= set(received) and len(unsure) == uncertain
    assert sent | unsure == set(rows)  # everyone else got it
    assert len(received) >= AUDIENCE - uncertain
