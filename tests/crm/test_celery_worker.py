"""A real Celery worker on real Redis runs each task inside its own tenant only."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery.exceptions import TimeoutError as CeleryTimeout

from crm.celery import app as celery_app
from crm.tenancy.tasks import MissingTenantError
from tests.crm.worker_tasks import visible_contacts
from tests.db_urls import database_url
from tests.factories import ContactFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def celery_worker_process(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """Start `celery worker` against the test database and Redis; yield its queue name."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": database_url("default"),
        "DATABASE_OWNER_URL": database_url("owner"),
        "REDIS_URL": REDIS_URL,
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--include", "tests.crm.worker_tasks",
         "--queues", queue, "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    previous = dict(celery_app.conf)
    celery_app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False, task_default_queue=queue
    )
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        celery_app.conf.update(
            {key: previous[key] for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
        )
        if worker.returncode not in (0, -15):
            print(log.read_text())


def run_on_worker(queue: str, *args: object) -> dict[str, object]:
    try:
        return visible_contacts.apply_async(args=args, queue=queue).get(timeout=60)
    except CeleryTimeout:
        pytest.fail("the worker did not answer within 60 s")


@pytest.mark.worker
def test_a_task_on_a_real_worker_sees_only_its_tenant(celery_worker_process, tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a, email="ann@a.example")
    ContactFactory(tenant=tenant_a, email="amy@a.example")
    ContactFactory(tenant=tenant_b, email="bea@b.example")

    seen_by_a = run_on_worker(celery_worker_process, tenant_a.id)
    seen_by_b = run_on_worker(celery_worker_process, tenant_b.id)

    expected_a = ["amy@a.example", "ann@a.example"]
    assert seen_by_a == {"current_tenant": tenant_a.id, "scoped": expected_a, "unscoped": expected_a, "raw": expected_a}
    assert seen_by_b["scoped"] == seen_by_b["unscoped"] == seen_by_b["raw"] == ["bea@b.example"]


@pytest.mark.worker
def test_a_task_without_a_tenant_refuses_to_run(celery_worker_process):
    # Sent by name, as another service might, so the client-side signature check cannot stop it.
    result = celery_app.send_task("tests.visible_contacts", args=[], queue=celery_worker_process)
    with pytest.raises(MissingTenantError, match="needs a tenant id"):
        result.get(timeout=60)


@pytest.mark.django_db
def test_an_eager_task_with_an_unknown_tenant_refuses_to_run(settings):
    with pytest.raises(MissingTenantError, match="does not exist or is inactive"):
        visible_contacts.apply(args=[987654321]).get()
