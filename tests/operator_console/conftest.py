from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from crm.celery import app as celery_app
from tests.conftest import client_for
from tests.factories import UserFactory


@pytest.fixture
def operator(db: None) -> Any:
    return UserFactory(email="ops@platform.example", full_name="Olga Operator", is_superuser=True, is_staff=True)


@pytest.fixture
def operator_client(operator: Any) -> Client:
    return client_for(operator)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
