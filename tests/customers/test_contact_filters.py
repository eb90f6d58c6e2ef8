"""Filtering the contact list (django-filter): owner, tag, consent; exports follow the filters."""

from __future__ import annotations

import re

import pytest

from tests.factories import ContactFactory, UserFactory


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/customers/contacts/\d+/">([^<]+)</a>', page)


@pytest.fixture
def people(tenant_a, alice):
    other = UserFactory(email="other@acme.example")
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Mine", owner=alice, tags=["vip"], email_consent=True)
    ContactFactory(tenant=tenant_a, first_name="Bob", last_name="Unowned", owner=None, tags=["expo"])
    ContactFactory(tenant=tenant_a, first_name="Cy", last_name="Others", owner=other, tags=["vip", "expo"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"owner": "me"}, ["Ann Mine"]),
        ({"owner": "none"}, ["Bob Unowned"]),
        ({"tag": "VIP"}, ["Ann Mine", "Cy Others"]),
        ({"tag": "expo", "owner": "none"}, ["Bob Unowned"]),
        ({"email_consent": "true"}, ["Ann Mine"]),
        ({}, ["Ann Mine", "Cy Others", "Bob Unowned"]),
    ],
)
def test_the_contact_list_filters(alice_client, people, params, expected):
    assert names_on(alice_client.get("/customers/contacts/", params).content.decode()) == expected


@pytest.mark.django_db
def test_an_unknown_owner_is_reported_not_ignored(alice_client, people):
    page = alice_client.get("/customers/contacts/", {"owner": "999999"}).content.decode()
    assert names_on(page) == [] and "These filters are not valid" in page


@pytest.mark.django_db
def test_the_export_follows_the_filters_of_the_view(alice_client, people):
    response = alice_client.get("/customers/contacts/export/", {"tag": "vip", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Mine" in text and "Others" in text and "Unowned" not in text
    list_page = alice_client.get("/customers/contacts/", {"tag": "vip"}).content.decode()
    assert "/customers/contacts/export/?tag=vip&format=csv" in list_page


@pytest.mark.django_db
def test_the_account_list_filters_by_industry_and_owner(alice_client, tenant_a, alice):
    from tests.factories import AccountFactory

    AccountFactory(tenant=tenant_a, name="Initech", industry="Software", owner=alice)
    AccountFactory(tenant=tenant_a, name="Umbrella", industry="Pharma", owner=None)
    AccountFactory(tenant=tenant_a, name="Vandelay", industry="Software", owner=None)

    def names(params: dict) -> list[str]:
        page = alice_client.get("/customers/accounts/", params).content.decode()
        return re.findall(r'<a href="/customers/accounts/\d+/">([^<]+)</a>', page)

    assert names({"industry": "Software"}) == ["Initech", "Vandelay"]
    assert names({"industry": "Software", "owner": "none"}) == ["Vandelay"]
    assert names({"owner": "me"}) == ["Initech"]
    assert names({"industry": "Mining"}) == []  # not a known industry: reported, nothing listed


@pytest.mark.django_db
def test_the_chosen_filters_stay_selected(alice_client, people):
    page = alice_client.get("/customers/contacts/", {"owner": "me", "stage": "lead", "tag": "vip"}).content.decode()
    assert '<option value="me" selected>' in page and '<option value="lead" selected>' in page
    assert 'name="tag" value="vip"' in page


@pytest.fixture
def spread(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    ContactFactory(tenant=tenant_a, first_name="Di", last_name="Berlin", city="Berlin", country="DE", sms_consent=True,
                   preferred_channel="whatsapp", source="expo", created_at=now - timedelta(days=40))  # fmt: skip
    ContactFactory(tenant=tenant_a, first_name="Ed", last_name="Boston", city="Boston", country="US",
                   created_at=now)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"city": "ber"}, ["Di Berlin"]),
        ({"country": "us"}, ["Ed Boston"]),
        ({"sms_consent": "true"}, ["Di Berlin"]),
        ({"preferred_channel": "whatsapp"}, ["Di Berlin"]),
        ({"source": "expo"}, ["Di Berlin"]),
        ({"added_from": "2000-01-01"}, ["Di Berlin", "Ed Boston"]),
    ],
)
def test_the_more_filters_menu_filters_standard_fields(alice_client, spread, params, expected):
    assert names_on(alice_client.get("/customers/contacts/", params).content.decode()) == expected


@pytest.mark.django_db
def test_added_dates_are_whole_days_in_the_users_time_zone(alice_client, spread):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert names_on(alice_client.get("/customers/contacts/", {"added_from": today}).content.decode()) == ["Ed Boston"]
    assert names_on(alice_client.get("/customers/contacts/", {"added_to": today}).content.decode()) == [
        "Di Berlin",
        "Ed Boston",
    ]


@pytest.mark.django_db
def test_the_accounts_list_filters_by_size_and_place(alice_client, tenant_a):
    from tests.factories import AccountFactory

    AccountFactory(tenant=tenant_a, name="Small GmbH", employees=8, city="Munich", country="DE")
    AccountFactory(tenant=tenant_a, name="Big Inc", employees=5000, city="Miami", country="US")
    page = alice_client.get("/customers/accounts/", {"employees_min": "100"}).content.decode()
    assert "Big Inc" in page and "Small GmbH" not in page
    page = alice_client.get("/customers/accounts/", {"city": "mu", "country": "de"}).content.decode()
    assert "Small GmbH" in page and "Big Inc" not in page
