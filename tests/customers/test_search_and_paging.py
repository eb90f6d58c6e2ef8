"""Finding customers: prefix search (served by btree ranges under RLS) and keyset pages."""

from __future__ import annotations

import re

import pytest

from tests.factories import AccountFactory, ContactFactory, DealFactory


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/customers/contacts/\d+/">([^<]+)</a>', page)


@pytest.fixture
def people(tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann.lee@initech.example",
                   phone="+12025550143")  # fmt: skip
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Smith", email="asmith@globex.example")
    ContactFactory(tenant=tenant_a, first_name="Leo", last_name="Annan", email="leo@annan.example")
    ContactFactory(tenant=tenant_b, first_name="Ann", last_name="Lee", email="ann@theirs.example")
    AccountFactory(tenant=tenant_a, name="Initech Labs")
    AccountFactory(tenant=tenant_a, name="Labs of Initech")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ann lee", ["Ann Lee"]),
        ("ANN", ["Leo Annan", "Ann Lee", "Ann Smith"]),  # last-name matches rank first
        ("asmith@", ["Ann Smith"]),
        ("202 555", ["Ann Lee"]),  # digits read in the tenant's region: +1 202 555…
        ("+1202", ["Ann Lee"]),
        ("zed", []),
    ],
)
def test_global_search_matches_word_prefixes_in_this_tenant_only(alice_client, people, query, expected):
    page = alice_client.get("/search/", {"q": query}).content.decode()
    contacts = page.split('<div class="card-header">Accounts</div>')[0]
    assert names_on(contacts) == expected
    assert "theirs.example" not in page


@pytest.mark.django_db
def test_accounts_are_found_by_the_start_of_their_name(alice_client, people):
    page = alice_client.get("/search/", {"q": "initech l"}).content.decode()
    assert "Initech Labs" in page and "Labs of Initech" not in page


@pytest.mark.django_db
def test_the_contact_list_filter_uses_the_same_search(alice_client, people):
    page = alice_client.get("/customers/contacts/", {"q": "ann"}).content.decode()
    assert names_on(page) == ["Leo Annan", "Ann Lee", "Ann Smith"]  # the list stays in last-name order


@pytest.mark.django_db
def test_keyset_pages_walk_every_contact_once_in_order(alice_client, tenant_a):
    for index in range(120):
        ContactFactory(tenant=tenant_a, first_name=f"F{index % 7}", last_name=f"L{index % 11:02d}")
    seen: list[tuple[str, str]] = []
    url = "/customers/contacts/"
    while url:
        page = alice_client.get(url).content.decode()
        seen += [tuple(name.split(" ", 1)) for name in names_on(page)]
        more = re.search(r'href="(\?after=[^"&]+)', page)
        url = f"/customers/contacts/{more.group(1)}" if more else ""
    assert len(seen) == 120
    assert [(last, first) for first, last in seen] == sorted((last, first) for first, last in seen)


@pytest.mark.django_db
def test_deals_are_found_by_the_start_of_their_name_in_this_tenant_only(alice_client, tenant_a, tenant_b):
    DealFactory(tenant=tenant_a, name="Initech renewal 2027")
    DealFactory(tenant=tenant_a, name="Renewal for Initech")
    DealFactory(tenant=tenant_b, name="Initech rollout (theirs)")
    page = alice_client.get("/search/", {"q": "initech"}).content.decode()
    deals = page.split('<div class="card-header">Deals</div>')[1]
    assert re.findall(r'<a href="/deals/\d+/">([^<]+)</a>', deals) == ["Initech renewal 2027"]


QUICK = {"HX-Request": "true", "HX-Target": "quick-search"}  # what the top bar's htmx sends


@pytest.mark.django_db
def test_the_top_bar_drops_down_grouped_results_as_you_type(alice_client, people, tenant_a):
    DealFactory(tenant=tenant_a, name="Initech expansion")
    response = alice_client.get("/search/", {"q": "initech"}, headers=QUICK)
    html = response.content.decode()
    assert "<html" not in html  # the dropdown partial only
    headers = re.findall(r'<h6 class="dropdown-header">([^<]+)</h6>', html)
    assert headers == ["Accounts", "Deals"]  # no contact is called Initech; empty groups are left out
    assert "Initech Labs" in html and "Initech expansion" in html
    assert "All results for “initech”" in html


@pytest.mark.django_db
def test_the_dropdown_says_when_nothing_matches(alice_client, people):
    response = alice_client.get("/search/", {"q": "zzz"}, headers=QUICK)
    assert "Nothing matches." in response.content.decode()
