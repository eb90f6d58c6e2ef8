"""Every URL that carries an object id answers 404 to another tenant, for every method.

The URL patterns are enumerated, so a view added later is covered without
editing this file: it must declare its model with ``crm.access.object_view``
and the model needs a factory in FACTORIES below, or this test fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from analytics.models import DataQualityRun, ModelRun
from campaigns.models import StaticList
from crm.models import BulkJob, SavedView, Team
from customers.duplicates.models import DuplicateCandidate, DuplicateRun
from customers.models import Account, Contact, CustomField, Deal, ExchangeRate, Order, Pipeline
from followups.models import Task
from interactions.models import Interaction, InteractionAttachment
from tests.campaigns.factories import CAMPAIGN_FACTORIES
from tests.factories import (
    AccountFactory,
    BulkJobFactory,
    ContactFactory,
    CustomFieldFactory,
    DataQualityRunFactory,
    DealFactory,
    DuplicateCandidateFactory,
    DuplicateRunFactory,
    ExchangeRateFactory,
    InteractionFactory,
    ModelRunFactory,
    OrderFactory,
    PipelineFactory,
    SavedViewFactory,
    StaticListFactory,
    TeamFactory,
)
from tests.feedback.factories import FEEDBACK_FACTORIES
from tests.followups.factories import TaskFactory
from tests.imports.factories import IMPORT_FACTORIES
from tests.inbox.factories import INBOX_FACTORIES
from tests.integrations.factories import INTEGRATION_FACTORIES
from tests.interactions.factories import InteractionAttachmentFactory
from tests.mail.factories import MAIL_FACTORIES
from tests.privacy.factories import PRIVACY_FACTORIES
from tests.segments.factories import SEGMENT_FACTORIES
from tests.service_desk.factories import SERVICE_DESK_FACTORIES
from tests.shipments.factories import SHIPMENT_FACTORIES
from tests.sla.factories import SLA_FACTORIES
from tests.sms.factories import SMS_FACTORIES
from tests.support.factories import SUPPORT_FACTORIES
from tests.workspace.factories import WORKSPACE_FACTORIES

FACTORIES: dict[type[Model], Any] = {
    Contact: ContactFactory,
    Account: AccountFactory,
    Order: OrderFactory,
    Deal: DealFactory,
    Pipeline: PipelineFactory,
    CustomField: CustomFieldFactory,
    ExchangeRate: ExchangeRateFactory,
    ModelRun: ModelRunFactory,
    Team: TeamFactory,
    DataQualityRun: DataQualityRunFactory,
    DuplicateCandidate: DuplicateCandidateFactory,
    DuplicateRun: DuplicateRunFactory,
    SavedView: SavedViewFactory,
    BulkJob: BulkJobFactory,
    StaticList: StaticListFactory,
    Task: TaskFactory,
    Interaction: InteractionFactory,
    InteractionAttachment: InteractionAttachmentFactory,
    **MAIL_FACTORIES,
    **PRIVACY_FACTORIES,
    **SERVICE_DESK_FACTORIES,
    **INBOX_FACTORIES,
    **SMS_FACTORIES,
    **CAMPAIGN_FACTORIES,
    **SUPPORT_FACTORIES,
    **SEGMENT_FACTORIES,
    **SLA_FACTORIES,
    **FEEDBACK_FACTORIES,
    **WORKSPACE_FACTORIES,
    **IMPORT_FACTORIES,
    **INTEGRATION_FACTORIES,
    **SHIPMENT_FACTORIES,
}
METHODS = ["get", "post", "put", "patch", "delete"]


def object_id_parameter(pattern: URLPattern) -> str | None:
    """The name of the path parameter carrying an object id, if the route has one."""
    for name, converter in pattern.pattern.converters.items():
        if isinstance(converter, IntConverter):
            return name
    groups = pattern.pattern.regex.groupindex  # API routers use regex routes
    return next((name for name in groups if name == "pk" or name.endswith("_id")), None)


def object_url_patterns() -> Iterator[tuple[str, URLPattern]]:
    """(reversible name, pattern) of every route whose path carries an object id."""

    def walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif object_id_parameter(entry):
                yield f"{namespace}{entry.name}", entry

    yield from walk(get_resolver().url_patterns, "")


def model_of(pattern: URLPattern) -> type[Model] | None:
    view = pattern.callback
    if hasattr(view, "tenant_model"):
        return view.tenant_model
    serializer = getattr(getattr(view, "cls", None), "serializer_class", None)
    return serializer.Meta.model if serializer else None


# One entry per route name (API routers add a second, format-suffixed pattern).
OBJECT_ROUTES = sorted(
    # The platform operator's routes (tenant and deletion ids) 404 for every tenant member, superusers only:
    # tests/operator_console/test_views.py enumerates them.
    (n, p)
    for n, p in dict(object_url_patterns()).items()
    if not n.startswith("operator_console:")
)


def test_object_routes_are_found():
    names = [name for name, _ in OBJECT_ROUTES]
    assert {"customers:contact-detail", "customers:account-detail", "api:contact-detail"} <= set(names)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), OBJECT_ROUTES, ids=[name for name, _ in OBJECT_ROUTES])
def test_another_tenants_object_is_a_404_for_every_method(name, pattern, tenant_a, alice_client, charlie_client):
    model = model_of(pattern)
    assert model is not None, f"{name}: decorate the view with crm.access.object_view(Model)"
    assert model in FACTORIES, f"{name}: add a factory for {model.__name__} to FACTORIES"
    obj = FACTORIES[model](tenant=tenant_a)
    parameter = object_id_parameter(pattern)
    url = reverse(name, kwargs={parameter: obj.pk})
    missing_url = reverse(name, kwargs={parameter: obj.pk + 10_000_000})

    assert alice_client.get(url).status_code != 404, "the owner tenant must reach its own object"
    for method in METHODS:
        response = getattr(charlie_client, method)(url)
        missing = getattr(charlie_client, method)(missing_url)
        assert response.status_code == missing.status_code, f"{method.upper()} {url} tells existence apart"
        assert response.status_code in (404, 405), f"{method.upper()} {url} gave {response.status_code}"
        assert method != "get" or response.status_code == 404
        assert str(obj) not in response.content.decode()
