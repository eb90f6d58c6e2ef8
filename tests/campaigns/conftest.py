"""Campaign fixtures: a tenant whose mail goes to a real local SMTP server, an audience in a static
list, and helpers to run the campaign's tasks in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from campaigns.models import Campaign, StaticList, StaticListMember
from crm.tenancy.context import tenant_context
from tests.factories import ContactFactory
from tests.mail.conftest import configure_mail, eager_tasks, smtp_server  # noqa: F401  (fixtures)
from tests.peers import SmtpServer


@pytest.fixture
def mail_to_peer(tenant_a: Any, smtp_server: SmtpServer) -> SmtpServer:  # noqa: F811
    configure_mail(tenant_a, smtp_server)
    return smtp_server


def make_audience(tenant: Any, n: int, **contact: Any) -> tuple[StaticList, list[Any]]:
    contacts = [
        ContactFactory(tenant=tenant, email=f"person{i}@example.org", first_name=f"P{i}", email_consent=True, **contact)
        for i in range(n)
    ]
    with tenant_context(tenant.id):
        static_list = StaticList.objects.create(tenant=tenant, name=f"Audience {StaticList.objects.count()}")
        StaticListMember.objects.bulk_create(
            [StaticListMember(tenant=tenant, static_list=static_list, contact=c) for c in contacts]
        )
    return static_list, contacts


def add_to_list(tenant: Any, static_list: StaticList, contacts: list[Any]) -> None:
    with tenant_context(tenant.id):
        StaticListMember.objects.bulk_create(
            [StaticListMember(tenant=tenant, static_list=static_list, contact=c) for c in contacts]
        )


def new_campaign(tenant: Any, static_list: StaticList, **fields: Any) -> Campaign:
    from tests.campaigns.factories import CampaignFactory

    return CampaignFactory(tenant=tenant, list_ids=[static_list.pk], **fields)


@pytest.fixture
def as_a(tenant_a: Any) -> Iterator[Any]:
    with tenant_context(tenant_a.id):
        yield tenant_a
