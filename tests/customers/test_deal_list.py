"""The deal list: filters, sorting, pages, export and a constant number of queries."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Deal, StageKind
from tests.conftest import client_for
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
)


def deal_names(page: str) -> list[str]:
    return re.findall(r'<a href="/deals/\d+/">([^<]+)</a>', page)


@pytest.fixture
def board(tenant_a, tenant_b, alice):
    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=sam, tenant=tenant_a, role=Role.SALES)
    sales, renewals = PipelineFactory(tenant=tenant_a, name="Sales"), PipelineFactory(tenant=tenant_a, name="Renewals")
    qualify = StageFactory(tenant=tenant_a, pipeline=sales, name="Qualify")
    won = StageFactory(tenant=tenant_a, pipeline=sales, name="Won", kind=StageKind.WON)
    renew = StageFactory(tenant=tenant_a, pipeline=renewals, name="Renew")
    deal = DealFactory
    made = {
        "acme_big": deal(tenant=tenant_a, name="Acme expansion", pipeline=sales, stage=qualify, owner=alice,
                         amount=Decimal("9000"), expected_close_date=datetime.date(2026, 3, 1)),
        "acme_small": deal(tenant=tenant_a, name="Acme pilot", pipeline=sales, stage=won, owner=sam,
                           amount=Decimal("500"), expected_close_date=datetime.date(2026, 1, 10)),
        "beta": deal(tenant=tenant_a, name="Beta renewal", pipeline=renewals, stage=renew, owner=None,
                     amount=Decimal("1200"), expected_close_date=None),
        "formula": deal(tenant=tenant_a, name='=HYPERLINK("http://x")', pipeline=sales, stage=qualify,
                        owner=alice, amount=Decimal("10"), expected_close_date=datetime.date(2026, 2, 1)),
    }  # fmt: skip
    DealFactory(tenant=tenant_b, name="Acme at Globex")
    return {"sam": sam, "sales": sales, "qualify": qualify, **made}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Acme pilot", '=HYPERLINK("http://x")', "Acme expansion", "Beta renewal"]),  # closing soonest
        ({"q": "acme"}, ["Acme pilot", "Acme expansion"]),
        ({"q": "ACME EX"}, ["Acme expansion"]),
        ({"status": "won"}, ["Acme pilot"]),
        ({"status": "open", "owner": "me"}, ['=HYPERLINK("http://x")', "Acme expansion"]),
        ({"owner": "none"}, ["Beta renewal"]),
        ({"close_from": "2026-02-01", "close_to": "2026-03-01"}, ['=HYPERLINK("http://x")', "Acme expansion"]),
        ({"sort": "amount"}, ["Acme expansion", "Beta renewal", "Acme pilot", '=HYPERLINK("http://x")']),
        ({"sort": "name", "q": "a"}, ["Acme expansion", "Acme pilot"]),
        ({"sort": "bogus", "q": "acme"}, ["Acme pilot", "Acme expansion"]),
    ],
)
def test_filters_and_sorts(alice_client, board, params, expected):
    page = alice_client.get("/deals/list/", params).content.decode().replace("&quot;", '"')
    assert deal_names(page) == expected
    assert "Acme at Globex" not in page


@pytest.mark.django_db
def test_pipeline_and_stage_filters(alice_client, board):
    by_pipeline = alice_client.get("/deals/list/", {"pipeline": board["sales"].pk}).content.decode()
    assert "Beta renewal" not in deal_names(by_pipeline) and len(deal_names(by_pipeline)) == 3
    by_stage = alice_client.get("/deals/list/", {"stage": board["qualify"].pk}).content.decode()
    assert sorted(deal_names(by_stage.replace("&quot;", '"'))) == ['=HYPERLINK("http://x")', "Acme expansion"]


@pytest.mark.django_db
def test_invalid_filters_say_so_and_another_tenants_pipeline_is_not_a_choice(alice_client, board, tenant_b):
    foreign = PipelineFactory(tenant=tenant_b)
    page = alice_client.get("/deals/list/", {"pipeline": foreign.pk}).content.decode()
    assert deal_names(page) == [] and "These filters are not valid" in page


@pytest.mark.django_db
def test_empty_states(alice_client, tenant_a):
    assert "No deals yet" in alice_client.get("/deals/list/").content.decode()
    assert "No deals match these filters" in alice_client.get("/deals/list/", {"q": "zzz"}).content.decode()


@pytest.mark.django_db
def test_the_board_links_to_the_list_and_back(alice_client, board):
    assert 'href="/deals/list/"' in alice_client.get("/deals/").content.decode()
    assert 'href="/deals/"' in alice_client.get("/deals/list/").content.decode()


@pytest.mark.django_db
def test_csv_export_of_the_current_view_neutralises_formulas(alice_client, board):
    response = alice_client.get("/deals/list/export/", {"q": "=hyper", "sort": "amount"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("ID,Name,Pipeline,Stage")
    assert len(lines) == 2 and "'=HYPERLINK" in lines[1]
    everything = b"".join(alice_client.get("/deals/list/export/", {"sort": "amount"}).streaming_content).decode()
    assert [line.split(",")[1] for line in everything.splitlines()[1:3]] == ["Acme expansion", "Beta renewal"]
    assert "Globex" not in everything


@pytest.mark.django_db
def test_a_rep_limited_to_own_records_lists_and_exports_only_theirs(alice_client, board):
    alice_client.post(
        "/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all", "analyst": "all"}
    )
    sam = client_for(board["sam"])
    assert deal_names(sam.get("/deals/list/").content.decode()) == ["Acme pilot"]
    export = b"".join(sam.get("/deals/list/export/").streaming_content).decode()
    assert "Acme pilot" in export and "Acme expansion" not in export


@pytest.mark.django_db
def test_pages_follow_the_cursor(alice_client, tenant_a):
    pipeline = PipelineFactory(tenant=tenant_a)
    stage = StageFactory(tenant=tenant_a, pipeline=pipeline)
    with tenant_context(tenant_a.id):
        Deal.objects.bulk_create(
            Deal(tenant=tenant_a, name=f"D{index:02d}", pipeline=pipeline, stage=stage, currency="USD",
                 amount=Decimal(index % 5))
            for index in range(55)
        )  # fmt: skip
        expected = list(Deal.objects.order_by("-amount", "-id").values_list("name", flat=True))
    first = alice_client.get("/deals/list/", {"sort": "amount"}).content.decode()
    cursor = re.search(r'href="\?after=([^"&]+)&', first).group(1)
    second = alice_client.get("/deals/list/", {"sort": "amount", "after": cursor}).content.decode()
    assert deal_names(first) + deal_names(second) == expected


def make_deals(tenant, count):
    pipeline = PipelineFactory(tenant=tenant)
    stages = [StageFactory(tenant=tenant, pipeline=pipeline) for _ in range(3)]
    for index in range(count):
        owner = UserFactory()
        MembershipFactory(user=owner, tenant=tenant, role=Role.SALES)
        DealFactory(tenant=tenant, pipeline=pipeline, stage=stages[index % 3], owner=owner,
                    account=AccountFactory(tenant=tenant), contact=ContactFactory(tenant=tenant))  # fmt: skip


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_rows(alice_client, tenant_a, tenant_b, charlie_client):
    make_deals(tenant_a, 10)
    make_deals(tenant_b, 50)
    alice_client.get("/deals/list/")  # warm the session and caches alike for both
    charlie_client.get("/deals/list/")
    with CaptureQueriesContext(connection) as ten:
        page = alice_client.get("/deals/list/").content.decode()
    assert len(deal_names(page)) == 10
    with CaptureQueriesContext(connection) as fifty:
        page = charlie_client.get("/deals/list/").content.decode()
    assert len(deal_names(page)) == 50
    assert len(ten) == len(fifty)


@pytest.mark.django_db
def test_the_excel_export_has_the_view_and_a_column_per_custom_field(alice_client, tenant_a, board):
    import io

    from openpyxl import load_workbook

    from tests.factories import CustomFieldFactory

    CustomFieldFactory(tenant=tenant_a, entity="deal", key="competitor", label="Competitor")
    response = alice_client.get("/deals/list/export/", {"sort": "amount", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)["Deals"]
    rows = list(sheet.values)
    assert rows[0][:2] == ("ID", "Name") and rows[0][-1] == "Competitor"
    assert [row[1] for row in rows[1:3]] == ["Acme expansion", "Beta renewal"]
