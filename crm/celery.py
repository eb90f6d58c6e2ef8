"""The Celery app. Without REDIS_URL tasks run eagerly in-process (embedded default)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_unsafe_database_role(**_: Any) -> None:
    """A worker whose database role could bypass row-level security must not start."""
    from crm.db.startup import check_runtime_database_role

    check_runtime_database_role()
