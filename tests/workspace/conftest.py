"""Tasks run in-process here: the invitation email is sent by a task, and its link is what the tests follow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm.celery import app as celery_app


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
