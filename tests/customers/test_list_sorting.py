"""List sorting with keyset pages: every sort walks every row once, in its order, across pages
(ties and empty values included), and each contact and account sort reads an index."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from crm.sorting import SortOption, after_condition, keyset_page, order_by_sort
from customers.models import Account, Contact, Deal
from customers.sort_keys import LIFECYCLE_FUNNEL, NO_CLOSE_DATE
from customers.sorts import ACCOUNT_SORTS, CONTACT_SORTS, DEAL_SORTS
from tests.factories import AccountFactory, ContactFactory, DealFactory, PipelineFactory, StageFactory

T0 = timezone.now().replace(microsecond=0)


def walk(queryset: Any, sort: SortOption, size: int = 3) -> list[int]:
    """Every id, page by page, each page starting from the previous page's cursor."""
    ids: list[int] = []
    cursor = None
    while True:
        page = keyset_page(queryset, sort=sort, cursor=cursor, size=size)
        ids += [row.pk for row in page.rows]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@pytest.fixture
def contacts(tenant_a, tenant_b) -> list[Contact]:
    specs = [  # last, first, stage, minutes after T0 created, updated
        ("Baker", "Ann", "customer", 0, 5),
        ("Baker", "Ann", "lead", 0, 5),  # same name and times: the id breaks the tie
        ("Adams", "Zoe", "prospect", 1, 1),
        ("Clark", "Bob", "lead", 2, 9),
        ("Baker", "Carl", "churned", 2, 0),
        ("Adams", "Amy", "customer", 3, 3),
        ("Davis", "Dan", "prospect", 0, 7),
        ("Evans", "Eve", "lead", 4, 9),
    ]
    made = [
        ContactFactory(tenant=tenant_a, last_name=last, first_name=first, lifecycle_stage=stage,
                       created_at=T0 + datetime.timedelta(minutes=created),
                       updated_at=T0 + datetime.timedelta(minutes=updated))
        for last, first, stage, created, updated in specs
    ]  # fmt: skip
    ContactFactory(tenant=tenant_b, last_name="Aaron", first_name="Other")  # never on tenant A's pages
    return made


def expected(rows: list[Any], key: Any, descending: bool) -> list[int]:
    return [row.pk for row in sorted(rows, key=key, reverse=descending)]


CONTACT_KEYS = {
    "name": lambda c: (c.last_name, c.first_name, c.pk),
    "name_desc": lambda c: (c.last_name, c.first_name, c.pk),
    "newest": lambda c: (c.created_at, c.pk),
    "oldest": lambda c: (c.created_at, c.pk),
    "updated": lambda c: (c.updated_at, c.pk),
    "stage": lambda c: (LIFECYCLE_FUNNEL.index(c.lifecycle_stage), c.last_name, c.first_name, c.pk),
}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(CONTACT_KEYS))
def test_each_contact_sort_walks_every_row_once_in_order(contacts, as_tenant_a, key):
    sort = CONTACT_SORTS.get(key)
    assert sort.key == key
    assert walk(Contact.objects.all(), sort) == expected(contacts, CONTACT_KEYS[key], sort.descending)


@pytest.fixture
def accounts(tenant_a) -> list[Account]:
    sizes = [120, None, 40, 120, None, 5000, 40]  # ties and unknown sizes
    return [
        AccountFactory(tenant=tenant_a, name=f"Firm {index % 3}", employees=size,
                       created_at=T0 + datetime.timedelta(minutes=index % 2))
        for index, size in enumerate(sizes)
    ]  # fmt: skip


ACCOUNT_KEYS = {
    "name": lambda a: (a.name, a.pk),
    "newest": lambda a: (a.created_at, a.pk),
    "employees": lambda a: (-1 if a.employees is None else a.employees, a.pk),  # unknown last
}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(ACCOUNT_KEYS))
def test_each_account_sort_walks_every_row_once_in_order(accounts, as_tenant_a, key):
    sort = ACCOUNT_SORTS.get(key)
    ids = walk(Account.objects.all(), sort)
    assert ids == expected(accounts, ACCOUNT_KEYS[key], sort.descending)
    if key == "employees":
        unknown = {a.pk for a in accounts if a.employees is None}
        assert set(ids[-len(unknown) :]) == unknown


@pytest.fixture
def deals(tenant_a) -> list[Deal]:
    pipeline = PipelineFactory(tenant=tenant_a)
    stage = StageFactory(tenant=tenant_a, pipeline=pipeline)
    rows = [  # name, amount, close date (None: no date)
        ("Beta", "500", datetime.date(2026, 3, 1)),
        ("Alpha", "500", None),
        ("Beta", "90", datetime.date(2026, 1, 15)),
        ("Gamma", "12000", datetime.date(2026, 3, 1)),
        ("Delta", "90", None),
        ("Alpha", "700", datetime.date(2025, 12, 31)),
    ]
    return [
        DealFactory(tenant=tenant_a, pipeline=pipeline, stage=stage, name=name, amount=Decimal(amount),
                    expected_close_date=close, created_at=T0 + datetime.timedelta(minutes=index % 3))
        for index, (name, amount, close) in enumerate(rows)
    ]  # fmt: skip


DEAL_KEYS = {
    "close": lambda d: (d.expected_close_date or NO_CLOSE_DATE, d.pk),  # no date last
    "amount": lambda d: (d.amount, d.pk),
    "newest": lambda d: (d.created_at, d.pk),
    "name": lambda d: (d.name, d.pk),
}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(DEAL_KEYS))
def test_each_deal_sort_walks_every_row_once_in_order(deals, as_tenant_a, key):
    sort = DEAL_SORTS.get(key)
    assert walk(Deal.objects.all(), sort, size=2) == expected(deals, DEAL_KEYS[key], sort.descending)


def test_unknown_or_missing_sorts_fall_back_to_the_default():
    assert CONTACT_SORTS.get("nonsense").key == "name"
    assert CONTACT_SORTS.get(None).key == "name"
    assert DEAL_SORTS.get("'; drop table").key == "close"


def test_a_sort_must_end_with_the_id():
    with pytest.raises(ValueError, match="last column must be the id"):
        SortOption("bad", "Bad", ("last_name",))


@pytest.mark.django_db
def test_other_apps_can_register_sorts_per_tenant(contacts, as_tenant_a, tenant_a):
    from django.db.models import F
    from django.db.models.fields.json import KeyTextTransform

    from crm.sorting import SortRegistry

    registry = SortRegistry("contacts-test")
    registry.register(SortOption("name", "Name", ("last_name", "first_name", "id")))
    by_json = SortOption("cf_score", "Score", (KeyTextTransform("score", F("custom_fields")), "id"))
    registry.register_provider(lambda tenant: [by_json] if tenant == tenant_a else [])
    assert registry.get("cf_score").key == "name"  # unknown without the tenant
    assert registry.get("cf_score", tenant_a) is by_json
    assert [option.key for option in registry.options(tenant_a)] == ["name", "cf_score"]


@pytest.mark.django_db
def test_a_cursor_of_another_sort_or_a_mangled_one_starts_again(contacts, as_tenant_a):
    newest, name = CONTACT_SORTS.get("newest"), CONTACT_SORTS.get("name")
    first = keyset_page(Contact.objects.all(), sort=newest, size=3)
    again = keyset_page(Contact.objects.all(), sort=name, cursor=first.next_cursor, size=3)
    assert [c.pk for c in again.rows] == walk(Contact.objects.all(), name)[:3]
    assert keyset_page(Contact.objects.all(), sort=name, cursor="!!!", size=3).rows == again.rows


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/customers/contacts/\d+/">([^<]+)</a>', page)


@pytest.mark.django_db
def test_the_contact_list_pages_through_a_sort_by_its_cursor(alice_client, tenant_a):
    from crm.tenancy.context import tenant_context

    with tenant_context(tenant_a.id):  # 60 contacts; ten share each creation time
        Contact.objects.bulk_create(
            Contact(tenant=tenant_a, first_name=f"P{index:02d}", last_name="Same",
                    created_at=T0 + datetime.timedelta(minutes=index // 10))
            for index in range(60)
        )  # fmt: skip
        newest_first = [f"P{c.first_name[1:]} Same" for c in Contact.objects.order_by("-created_at", "-id")]
    first = alice_client.get("/customers/contacts/", {"sort": "newest"}).content.decode()
    assert names_on(first) == newest_first[:50]
    more = re.search(r'href="\?after=([^"&]+)&(?:amp;)?sort=newest"', first)
    assert more, "the show-more link keeps the sort"
    second = alice_client.get("/customers/contacts/", {"sort": "newest", "after": more.group(1)}).content.decode()
    assert names_on(second) == newest_first[50:]
    assert '<option value="newest" selected>' in first


@pytest.mark.django_db
def test_an_invalid_sort_shows_the_default_order(alice_client, contacts):
    page = alice_client.get("/customers/contacts/", {"sort": "'); drop", "after": "garbage"})
    assert page.status_code == 200
    ordered = sorted(contacts, key=CONTACT_KEYS["name"])
    assert names_on(page.content.decode()) == [c.full_name for c in ordered]


@pytest.mark.django_db
def test_the_account_list_sorts_by_size_with_unknown_sizes_last(alice_client, accounts):
    page = alice_client.get("/customers/accounts/", {"sort": "employees"}).content.decode()
    names = re.findall(r'<a href="/customers/accounts/(\d+)/">', page)
    assert [int(pk) for pk in names] == expected(accounts, ACCOUNT_KEYS["employees"], True)


def plan(queryset: Any) -> str:
    """The plan with sequential scans and sorts priced out: a sort left in it means no index serves it."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    return queryset.explain()


NOW = T0
DAY = datetime.date(2026, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("registry", "model", "key", "index", "last_row"),
    [
        (CONTACT_SORTS, Contact, "name", "contact_tenant_name_idx", ["M", "M", 1]),
        (CONTACT_SORTS, Contact, "name_desc", "contact_tenant_name_idx", ["M", "M", 1]),
        (CONTACT_SORTS, Contact, "newest", "contact_created_sort_idx", [NOW, 1]),
        (CONTACT_SORTS, Contact, "oldest", "contact_created_sort_idx", [NOW, 1]),
        (CONTACT_SORTS, Contact, "updated", "contact_updated_sort_idx", [NOW, 1]),
        (CONTACT_SORTS, Contact, "stage", "contact_stage_sort_idx", [1, "M", "M", 1]),
        # Scores: the walk is on analytics_contactscore's index, each contact joined by its key.
        (CONTACT_SORTS, Contact, "churn", "contactscore_churn_idx", [0.5, 1]),
        (CONTACT_SORTS, Contact, "value", "contactscore_value_idx", [Decimal("100"), 1]),
        (ACCOUNT_SORTS, Account, "name", "account_tenant_name_idx", ["M", 1]),
        (ACCOUNT_SORTS, Account, "newest", "account_created_sort_idx", [NOW, 1]),
        (ACCOUNT_SORTS, Account, "employees", "account_employees_sort_idx", [50, 1]),
        (DEAL_SORTS, Deal, "close", "deal_close_sort_idx", [DAY, 1]),
        (DEAL_SORTS, Deal, "amount", "deal_amount_sort_idx", [Decimal("10"), 1]),
    ],
)
def test_each_sort_reads_its_index_under_row_level_security(as_tenant_a, registry, model, key, index, last_row):
    """Page two of every sort is one range scan of its index: no sort node, even though the
    runtime role is subject to row-level security (only LEAKPROOF comparisons reach an index)."""
    sort = registry.get(key)
    queryset = order_by_sort(model.objects.all(), sort).filter(after_condition(sort, last_row))
    text = plan(queryset[:51])
    assert index in text, text
    assert not re.search(r"\bSort\b", text), text


@pytest.mark.django_db
def test_sorting_by_a_score_lists_the_scored_contacts_riskiest_first(contacts, as_tenant_a, tenant_a):
    from analytics.models import ContactScore
    from tests.factories import ModelRunFactory

    run = ModelRunFactory(tenant=tenant_a)
    risks = [0.9, None, 0.2, 0.9, 0.5]  # a tie, and a contact the model gave no probability
    for contact, risk in zip(contacts, risks, strict=False):
        ContactScore.objects.create(tenant=tenant_a, contact=contact, run=run, churn_probability=risk,
                                    predicted_value=Decimal(100), scored_at=T0)  # fmt: skip
    order = walk(Contact.objects.all(), CONTACT_SORTS.get("churn"), size=2)
    scored = contacts[: len(risks)]
    assert order == expected(scored, lambda c: (-1 if risks[scored.index(c)] is None else risks[scored.index(c)],
                                                c.pk), descending=True)  # fmt: skip
    assert len(order) == 5  # the three contacts no run has scored are not in this order
