"""Factories of support rows (tests/crm/test_cross_tenant_urls.py uses SUPPORT_FACTORIES)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from support.models import NpsStatus, NpsSurvey
from tests.factories import TenantOwnedFactory


class NpsSurveyFactory(TenantOwnedFactory):
    class Meta:
        model = NpsSurvey

    name = factory.Sequence(lambda n: f"NPS survey {n}")
    segment_name = "Everyone"
    status = NpsStatus.SENT


SUPPORT_FACTORIES: dict[type[Model], Any] = {NpsSurvey: NpsSurveyFactory}
