"""The contact and account timeline: interactions, orders and deal stages in one stream."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.timeline import TIMELINE_PAGE_SIZE
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, OrderFactory


def titles(page: str) -> list[str]:
    return re.findall(r'<span class="fw-semibold">(?:<a href="[^"]+">)?([^<]+)', page)


@pytest.mark.django_db
def test_the_timeline_merges_sources_newest_first(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    now = timezone.now()
    InteractionFactory(tenant=tenant_a, contact=contact, subject="First call", occurred_at=now - timedelta(days=3))
    OrderFactory(tenant=tenant_a, contact=contact, amount=Decimal("120"), currency="USD",
                 ordered_at=now - timedelta(days=2))  # fmt: skip
    InteractionFactory(tenant=tenant_a, contact=contact, subject="Thank-you note", kind="email",
                       occurred_at=now - timedelta(days=1))  # fmt: skip
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert titles(page) == ["Email: Thank-you note", "Order of 120.00 USD", "Call: First call"]


@pytest.mark.django_db
def test_show_older_pages_through_every_entry_once(alice_client, tenant_a):
    account = AccountFactory(tenant=tenant_a)
    contact = ContactFactory(tenant=tenant_a, account=account)
    moment = timezone.now() - timedelta(hours=1)
    total = TIMELINE_PAGE_SIZE + 12
    for index in range(total):  # several entries share an instant, across sources
        at = moment - timedelta(minutes=index // 3)
        if index % 2:
            InteractionFactory(tenant=tenant_a, contact=contact, account=account, subject=f"i{index}", occurred_at=at)
        else:
            OrderFactory(tenant=tenant_a, contact=contact, account=account, amount=Decimal(index + 1), ordered_at=at)
    seen: list[str] = []
    page = alice_client.get(f"/customers/accounts/{account.pk}/").content.decode()
    while True:
        seen += titles(page)
        more = re.search(r'hx-get="([^"]+/timeline/\?before=[^"]+)"', page)
        if not more:
            break
        page = alice_client.get(more.group(1)).content.decode()
    assert len(seen) == total and len(set(seen)) == total


@pytest.mark.django_db
def test_an_empty_timeline_says_so(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a)
    assert "Nothing has happened yet" in alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()


@pytest.mark.django_db
def test_moving_a_deal_shows_on_its_contacts_timeline(alice_client, tenant_a):
    from tests.factories import DealFactory, StageFactory

    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, contact=contact, name="Initech renewal")
    target = StageFactory(tenant=tenant_a, pipeline=deal.pipeline, name="Proposal", position=5)
    alice_client.post(f"/deals/{deal.pk}/move/", {"stage": target.pk, "version": deal.version})
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert f"Deal Initech renewal moved from {deal.stage.name} to Proposal" in titles(page)
