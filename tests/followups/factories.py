"""Factories for tasks (used here and by tests/crm/test_cross_tenant_urls.py)."""

from __future__ import annotations

import factory

from followups.models import Task
from tests.factories import TenantOwnedFactory


class TaskFactory(TenantOwnedFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Follow up {n}")
    remind_before_minutes = None
