"""Reminders: by email to a real SMTP server and in the app, once, however many dispatchers run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connections
from django.utils import timezone

from crm.celery import app as celery_app
from crm.tenancy.context import tenant_context
from followups import services
from followups.models import Reminder, ReminderChoice, ReminderState
from followups.reminders import STUCK_AFTER, reminders_send_due
from followups.services import TaskData
from followups.tasks import dispatch_reminders, send_due_reminders
from notifications.models import Notification
from tests.db_urls import database_url
from tests.factories import ContactFactory
from tests.followups.smtp import free_port, smtp_server, smtp_settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def smtp(settings):
    with smtp_server() as (inbox, port):
        smtp_settings(settings, port)
        yield inbox


def make_task(tenant, user, *, due_in, before=ReminderChoice.MINUTES_15, title="Call Ada back", **extra):
    with tenant_context(tenant.id):
        return services.task_create(
            tenant=tenant,
            by=user,
            data=TaskData(
                title=title, assignee=user, due_at=timezone.now() + due_in, remind_before_minutes=before, **extra
            ),
        )


def state(tenant, task):
    with tenant_context(tenant.id):
        return Reminder.objects.get(task=task)


def notifications(tenant, user):
    with tenant_context(tenant.id):
        return list(Notification.objects.filter(user=user).order_by("pk"))


@pytest.mark.django_db
def test_a_due_reminder_is_emailed_and_notified_once_when_the_dispatcher_runs_twice(tenant_a, alice, smtp, eager_tasks):
    contact = ContactFactory(tenant=tenant_a, first_name="Ada", last_name="Lovelace")
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=10), contact=contact, notes="Ask about the engine.")

    assert dispatch_reminders() == 1
    assert dispatch_reminders() == 0  # nothing due any more

    [message] = smtp.messages
    assert smtp.recipients == [["alice@acme.example"]]
    assert message["Subject"] == "Reminder: Call Ada back"
    body = message.get_payload(decode=True).decode()
    assert "Contact: Ada Lovelace" in body and "Ask about the engine." in body
    assert f"http://127.0.0.1:8000/tasks/{task.pk}/edit/" in body  # absolute, so it opens from a mail client
    assert message["Message-ID"].startswith(f"<reminder-{tenant_a.id}-{task.pk}-")
    [note] = notifications(tenant_a, alice)
    assert (note.title, note.kind, note.url) == ("Reminder: Call Ada back", "task_reminder", f"/tasks/{task.pk}/edit/")
    reminder = state(tenant_a, task)
    assert reminder.state == ReminderState.SENT and reminder.emailed_at and reminder.notified_at


@pytest.mark.django_db
def test_a_reminder_is_not_sent_before_it_is_due(tenant_a, alice, smtp, eager_tasks):
    task = make_task(tenant_a, alice, due_in=timedelta(hours=2), before=ReminderChoice.HOUR_1)
    assert dispatch_reminders() == 0
    with tenant_context(tenant_a.id):
        assert reminders_send_due(tenant=tenant_a) == 0
    assert smtp.messages == [] and notifications(tenant_a, alice) == []
    assert state(tenant_a, task).state == ReminderState.PENDING


@pytest.mark.django_db
def test_rescheduling_after_a_reminder_went_out_reminds_again_at_the_new_time(tenant_a, alice, smtp, eager_tasks):
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    dispatch_reminders()
    assert len(smtp.messages) == 1
    with tenant_context(tenant_a.id):  # pushed to tomorrow: pending again, not due yet
        data = TaskData(
            title=task.title, assignee=alice, due_at=task.due_at + timedelta(days=1), remind_before_minutes=15
        )
        services.task_update(tenant=tenant_a, task=task, by=alice, data=data)
    assert state(tenant_a, task).state == ReminderState.PENDING
    dispatch_reminders()
    assert len(smtp.messages) == 1
    with tenant_context(tenant_a.id):  # and pulled in again: due now, reminded a second time
        data = TaskData(
            title=task.title, assignee=alice, due_at=timezone.now() + timedelta(minutes=3), remind_before_minutes=15
        )
        services.task_update(tenant=tenant_a, task=task, by=alice, data=data)
    dispatch_reminders()
    assert len(smtp.messages) == 2 and len(notifications(tenant_a, alice)) == 2


@pytest.mark.django_db
def test_a_completed_task_sends_no_reminder(tenant_a, alice, smtp, eager_tasks):
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    with tenant_context(tenant_a.id):
        services.task_complete(tenant=tenant_a, task=task, by=alice)
    dispatch_reminders()
    assert smtp.messages == [] and notifications(tenant_a, alice) == []


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_retried_without_a_second_notification(tenant_a, alice, settings, eager_tasks):
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    smtp_settings(settings, free_port())  # nothing listens there
    dispatch_reminders()
    reminder = state(tenant_a, task)
    assert reminder.state == ReminderState.PENDING and "Could not reach the mail server" in reminder.error
    assert len(notifications(tenant_a, alice)) == 1
    with smtp_server() as (inbox, port):
        smtp_settings(settings, port)
        dispatch_reminders()
    assert len(inbox.messages) == 1 and len(notifications(tenant_a, alice)) == 1
    assert state(tenant_a, task).state == ReminderState.SENT


@pytest.mark.django_db
def test_a_reminder_stuck_in_sending_is_marked_failed_and_never_sent_again(tenant_a, alice, smtp, eager_tasks):
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    with tenant_context(tenant_a.id):  # a worker claimed it and died before finishing
        Reminder.objects.filter(task=task).update(
            state=ReminderState.SENDING, claimed_at=timezone.now() - STUCK_AFTER - timedelta(minutes=1)
        )
    assert dispatch_reminders() == 1  # the sweep runs in the tenant's task
    reminder = state(tenant_a, task)
    assert reminder.state == ReminderState.FAILED and "not retried" in reminder.error
    dispatch_reminders()
    assert smtp.messages == []


@pytest.mark.django_db
def test_reminders_stay_in_their_tenant(tenant_a, tenant_b, alice, charlie, smtp, eager_tasks):
    make_task(tenant_a, alice, due_in=timedelta(minutes=5), title="A's")
    make_task(tenant_b, charlie, due_in=timedelta(minutes=5), title="B's")
    assert dispatch_reminders() == 2
    assert sorted((r[0], m["Subject"]) for r, m in zip(smtp.recipients, smtp.messages, strict=True)) == [
        ("alice@acme.example", "Reminder: A's"),
        ("charlie@globex.example", "Reminder: B's"),
    ]
    assert [n.title for n in notifications(tenant_a, alice)] == ["Reminder: A's"]
    assert [n.title for n in notifications(tenant_b, charlie)] == ["Reminder: B's"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_each_reminder_exactly_once(tenant_a, alice, smtp):
    tasks = [make_task(tenant_a, alice, due_in=timedelta(minutes=5), title=f"Task {n}") for n in range(5)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            send_due_reminders.apply(args=[tenant_a.id]).get()  # the per-tenant task, in this thread
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(f"Reminder: {t.title}" for t in tasks)
    assert sorted(n.title for n in notifications(tenant_a, alice)) == sorted(f"Reminder: {t.title}" for t in tasks)
    assert {state(tenant_a, t).state for t in tasks} == {ReminderState.SENT}
    assert {state(tenant_a, t).attempts for t in tasks} == {1}


@pytest.fixture
def reminder_worker(transactional_db, tmp_path):
    """A real `celery worker` on Redis, with real SMTP to an aiosmtpd server in this process."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    queue = f"test-reminders-{uuid.uuid4().hex[:8]}"
    with smtp_server() as (inbox, port):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.followups.worker_settings",
            "DATABASE_URL": database_url("default"),
            "DATABASE_OWNER_URL": database_url("owner"),
            "REDIS_URL": REDIS_URL,
            "TEST_SMTP_PORT": str(port),
            "TEST_CELERY_QUEUE": queue,
        }
        log = tmp_path / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--queues", queue, "--pool", "solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        previous = dict(celery_app.conf)
        celery_app.conf.update(
            broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False, task_default_queue=queue
        )
        try:
            yield queue, inbox
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            celery_app.conf.update(
                {k: previous[k] for k in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")}
            )
            if worker.returncode not in (0, -15):
                print(log.read_text())


@pytest.mark.worker
def test_the_dispatcher_on_a_real_worker_delivers_the_reminder_once(reminder_worker, tenant_a, alice):
    queue, inbox = reminder_worker
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    assert dispatch_reminders.apply_async(queue=queue).get(timeout=60) == 1
    # The per-tenant run it queued goes through the same worker; wait for it to finish.
    for _ in range(600):
        if (
            state(tenant_a, task).state != ReminderState.PENDING
            and state(tenant_a, task).state != ReminderState.SENDING
        ):
            break
        time.sleep(0.1)
    assert dispatch_reminders.apply_async(queue=queue).get(timeout=60) == 0  # a second beat tick: nothing due
    reminder = state(tenant_a, task)
    assert reminder.state == ReminderState.SENT, reminder.error
    assert [m["Subject"] for m in inbox.messages] == ["Reminder: Call Ada back"]
    assert [n.title for n in notifications(tenant_a, alice)] == ["Reminder: Call Ada back"]


@pytest.mark.django_db
def test_handing_a_task_to_someone_else_reminds_the_new_assignee(tenant_a, alice, smtp, eager_tasks):
    from tests.factories import MembershipFactory, UserFactory

    dora = UserFactory(email="dora@acme.example")
    MembershipFactory(user=dora, tenant=tenant_a)
    task = make_task(tenant_a, alice, due_in=timedelta(minutes=5))
    dispatch_reminders()
    with tenant_context(tenant_a.id):
        data = TaskData(title=task.title, assignee=dora, due_at=task.due_at, remind_before_minutes=15)
        services.task_update(tenant=tenant_a, task=task, by=alice, data=data)
    dispatch_reminders()
    assert smtp.recipients == [["alice@acme.example"], ["dora@acme.example"]]
    assert len(notifications(tenant_a, dora)) == 1
