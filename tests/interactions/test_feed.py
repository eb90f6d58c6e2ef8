"""The activity feed: filters, keyset paging with a bounded number of queries, empty states, tenants."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions.selectors import FEED_PAGE_SIZE
from tests.factories import ContactFactory, DealFactory, InteractionFactory

pytestmark = pytest.mark.django_db
FEED = "/interactions/"


def titles(page: str) -> list[str]:
    return re.findall(r'<a class="fw-semibold" href="/interactions/\d+/">([^<]+)</a>', page)


def test_the_feed_lists_newest_first_with_channel_duration_and_outcome(alice_client: Any, tenant_a: Any) -> None:
    now = timezone.now()
    InteractionFactory(tenant=tenant_a, subject="Older", occurred_at=now - timedelta(days=2))
    InteractionFactory(tenant=tenant_a, subject="Newer", occurred_at=now - timedelta(hours=1), duration_seconds=95,
                       outcome="no_answer")  # fmt: skip
    InteractionFactory(tenant=tenant_a, kind="social", channel="wechat", subject="Hello", direction="inbound")
    page = alice_client.get(FEED).content.decode()
    assert titles(page) == ["Social message: Hello", "Call: Newer", "Call: Older"]
    assert "WeChat" in page and "1:35 · No answer" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=email", ["Email: Quote sent"]),
        ("direction=inbound", ["Social message: Ping"]),
        ("channel=whatsapp", ["Social message: Ping"]),
        ("logged_by=me", ["Email: Quote sent"]),
        ("q=zyg", ["Call: Intro"]),
        ("from=2026-03-02&to=2026-03-02", ["Call: Intro"]),
        ("kind=meeting", []),
    ],
)
def test_each_filter_narrows_the_feed(
    alice_client: Any, alice: Any, tenant_a: Any, query: str, expected: list[str]
) -> None:
    march = timezone.make_aware(timezone.datetime(2026, 3, 2, 12))
    zygmunt = ContactFactory(tenant=tenant_a, first_name="Zygmunt", last_name="Nowak")
    InteractionFactory(tenant=tenant_a, contact=zygmunt, subject="Intro", occurred_at=march)
    InteractionFactory(tenant=tenant_a, kind="email", subject="Quote sent", logged_by=alice,
                       occurred_at=march - timedelta(days=5))  # fmt: skip
    InteractionFactory(tenant=tenant_a, kind="social", channel="whatsapp", direction="inbound", subject="Ping",
                       occurred_at=march + timedelta(days=5))  # fmt: skip
    page = alice_client.get(f"{FEED}?{query}").content.decode()
    assert titles(page) == expected
    if not expected:
        assert "Nothing matches these filters" in page


def test_the_deal_filter_shows_a_deals_interactions(alice_client: Any, tenant_a: Any) -> None:
    deal = DealFactory(tenant=tenant_a)
    InteractionFactory(tenant=tenant_a, deal=deal, subject="About the deal")
    InteractionFactory(tenant=tenant_a, subject="Something else")
    assert titles(alice_client.get(f"{FEED}?deal={deal.pk}").content.decode()) == ["Call: About the deal"]


def test_bad_filter_values_are_reported_not_fatal(alice_client: Any, tenant_a: Any) -> None:
    InteractionFactory(tenant=tenant_a, subject="Still listed")
    response = alice_client.get(f"{FEED}?kind=fax&from=yesterday")
    page = response.content.decode()
    assert response.status_code == 200 and "Use a date like 2026-01-31." in page and "Unknown value." in page
    assert titles(page) == ["Call: Still listed"]


def test_the_empty_feed_says_what_will_appear(alice_client: Any, tenant_a: Any) -> None:
    page = alice_client.get(FEED).content.decode()
    assert "Nothing logged yet" in page and 'data-testid="feed-empty"' in page


def test_show_more_pages_through_everything_once_in_bounded_queries(
    alice_client: Any, tenant_a: Any, django_assert_max_num_queries: Any
) -> None:
    moment = timezone.now() - timedelta(hours=1)
    contacts = ContactFactory.create_batch(5, tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a)
    total = FEED_PAGE_SIZE * 2 + 7
    for index in range(total):  # several share an instant: the id breaks the tie
        InteractionFactory(tenant=tenant_a, contact=contacts[index % 5], deal=deal if index % 3 else None,
                           subject=f"n{index}", occurred_at=moment - timedelta(minutes=index // 4))  # fmt: skip
    seen: list[str] = []
    url = FEED + "?direction=outbound"
    pages = 0
    while url:
        # Session, membership, tenant, the page's rows, members for the filter: no query per row.
        with django_assert_max_num_queries(12) as captured:
            page = alice_client.get(url, **({"HTTP_HX_REQUEST": "true"} if pages else {})).content.decode()
        assert not any("OFFSET" in query["sql"] for query in captured.captured_queries)
        seen += titles(page)
        more = re.search(r'hx-get="(/interactions/\?after=[^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else ""
        pages += 1
    assert pages == 3 and len(seen) == total and len(set(seen)) == total


def test_an_htmx_filter_change_returns_only_the_list(alice_client: Any, tenant_a: Any) -> None:
    InteractionFactory(tenant=tenant_a, subject="Intro")
    page = alice_client.get(f"{FEED}?kind=call", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and 'id="feed-rows"' in page and titles(page) == ["Call: Intro"]


def test_other_tenants_and_roles(charlie_client: Any, bob_client: Any, tenant_a: Any) -> None:
    InteractionFactory(tenant=tenant_a, subject="Acme secret")
    assert "Acme secret" not in charlie_client.get(FEED).content.decode()
    assert "Acme secret" in bob_client.get(FEED).content.decode()  # analysts read the log
    assert reverse("interactions:feed") == FEED


def test_going_back_to_a_filtered_feed_gets_the_whole_page(alice_client: Any, tenant_a: Any) -> None:
    page = alice_client.get(f"{FEED}?kind=call", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in page.content.decode()
