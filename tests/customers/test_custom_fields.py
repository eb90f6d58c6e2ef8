"""Custom fields: admins define them; forms, pages, list filters and exports use them; values are
validated on every write path and never half-written."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from crm.tenancy.context import tenant_context
from customers.custom_fields.values import clean_custom_value, clean_custom_values
from customers.models import Contact, CustomField, CustomFieldEntity, CustomFieldType, Deal
from tests.factories import ContactFactory, CustomFieldFactory, DealFactory, StageFactory


def field(**kwargs) -> CustomField:
    defaults = {"entity": "contact", "key": "k", "label": "Label", "field_type": "text"}
    return CustomField(**{**defaults, **kwargs})


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "choices", "raw", "stored"),
    [
        ("number", [], "1,250", 1250),
        ("number", [], "2.5", 2.5),
        ("date", [], date(2026, 3, 1), "2026-03-01"),
        ("date", [], "2026-03-01", "2026-03-01"),
        ("choice", ["Gold", "Silver"], "gold", "Gold"),
        ("multi_choice", ["A", "B", "C"], "c; a", ["A", "C"]),
        ("multi_choice", ["A", "B", "C"], ["B"], ["B"]),
        ("boolean", [], "yes", True),
        ("boolean", [], "否", False),
        ("url", [], "acme.example/about", "https://acme.example/about"),
        ("text", [], "  VAT-123  ", "VAT-123"),
    ],
)
def test_values_are_stored_in_a_form_queries_can_compare(kind, choices, raw, stored):
    assert clean_custom_value(field(field_type=kind, choices=choices), raw) == stored


@pytest.mark.parametrize(
    ("kind", "choices", "raw", "message"),
    [
        ("number", [], "twelve", "Label must be a number; “twelve” is not."),
        ("date", [], "2026-02-30", "Label must be a date written YYYY-MM-DD; “2026-02-30” is not."),
        ("date", [], "01/03/2026", "Label must be a date written YYYY-MM-DD; “01/03/2026” is not."),
        ("choice", ["Gold", "Silver"], "platinum", "“platinum” is not one of the choices for Label: Gold, Silver."),
        ("boolean", [], "maybe", "Label must be yes or no; “maybe” is neither."),
        ("url", [], "not a url", "Label must be a web address such as https://example.com; “not a url” is not."),
    ],
)
def test_a_bad_value_is_refused_saying_what_is_wrong(kind, choices, raw, message):
    with pytest.raises(ValidationError) as error:
        clean_custom_value(field(field_type=kind, choices=choices), raw)
    assert error.value.messages == [message]


def test_values_of_fields_not_on_the_form_are_kept_and_empty_values_removed():
    tier = field(key="tier", field_type="choice", choices=["gold"])
    note = field(key="note")
    stored = clean_custom_values([tier, note], {"tier": "GOLD", "note": ""}, existing={"note": "x", "old": 1})
    assert stored == {"tier": "gold", "old": 1}


def test_a_required_field_must_have_a_value():
    with pytest.raises(ValidationError) as error:
        clean_custom_values([field(key="tier", label="Tier", required=True)], {"tier": " "})
    assert error.value.message_dict == {"tier": ["Tier is required."]}


# --- admin pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_adds_a_choice_field_and_the_key_comes_from_the_label(alice_client, tenant_a):
    response = alice_client.post(
        "/workspace/custom-fields/new/",
        {"entity": "contact", "label": "Customer tier", "key": "", "field_type": "choice",
         "choices_text": "Gold\nSilver\n\nBronze", "position": 0},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        created = CustomField.objects.get()
    assert (created.key, created.choices) == ("customer_tier", ["Gold", "Silver", "Bronze"])
    assert "Customer tier" in alice_client.get("/workspace/custom-fields/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"field_type": "choice", "choices_text": ""}, "List at least one choice."),
        ({"field_type": "choice", "choices_text": "A\na"}, "“a” is listed twice."),
        ({"field_type": "text", "choices_text": "A"}, "Only choice fields have choices"),
        ({"field_type": "text", "key": "9_lives"}, "Use lower case letters, digits and underscores"),
        ({"field_type": "text", "key": "tier"}, "Another field of this record type already uses this key."),
    ],
)
def test_bad_definitions_are_refused_with_the_reason(alice_client, tenant_a, data, error):
    CustomFieldFactory(tenant=tenant_a, key="tier")
    response = alice_client.post(
        "/workspace/custom-fields/new/", {"entity": "contact", "label": "Tier", "position": 0, **data}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    with tenant_context(tenant_a.id):
        assert CustomField.objects.count() == 1


@pytest.mark.django_db
def test_a_choice_in_use_cannot_be_removed(alice_client, tenant_a):
    tier = CustomFieldFactory(tenant=tenant_a, key="tier", field_type="choice", choices=["gold", "silver"])
    ContactFactory(tenant=tenant_a, custom_fields={"tier": "silver"})
    response = alice_client.post(
        f"/workspace/custom-fields/{tier.pk}/edit/",
        {"label": "Tier", "choices_text": "gold", "position": 0},
    )
    assert "1 records have “silver”: change them before removing the choice." in response.content.decode()
    with tenant_context(tenant_a.id):
        tier.refresh_from_db()
    assert tier.choices == ["gold", "silver"]


@pytest.mark.django_db
def test_key_and_type_cannot_change_after_creation(alice_client, tenant_a):
    tier = CustomFieldFactory(tenant=tenant_a, key="tier", field_type="text")
    alice_client.post(
        f"/workspace/custom-fields/{tier.pk}/edit/",
        {"label": "Level", "key": "level", "field_type": "number", "entity": "deal", "position": 3},
    )
    with tenant_context(tenant_a.id):
        tier.refresh_from_db()
    assert (tier.label, tier.key, tier.field_type, tier.entity) == ("Level", "tier", "text", "contact")
    assert tier.position == 3


@pytest.mark.django_db
def test_read_only_users_cannot_configure_fields(bob_client, tenant_a):
    assert bob_client.get("/workspace/custom-fields/").status_code == 403
    assert bob_client.post("/workspace/custom-fields/new/", {"label": "x"}).status_code == 403


@pytest.mark.django_db
def test_archiving_hides_a_field_but_keeps_its_values(alice_client, tenant_a):
    vat = CustomFieldFactory(tenant=tenant_a, key="vat", label="VAT number")
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", custom_fields={"vat": "DE123"})
    alice_client.post(f"/workspace/custom-fields/{vat.pk}/archive/")
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert "VAT number</dt>" not in page and "DE123" not in page
    form = alice_client.get(f"/customers/contacts/{contact.pk}/edit/").content.decode()
    assert 'name="cf_vat"' not in form
    alice_client.post(f"/workspace/custom-fields/{vat.pk}/restore/")
    assert "DE123" in alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()


# --- records -------------------------------------------------------------------------------------


def contact_post(contact: Contact, **extra) -> dict:
    return {"first_name": contact.first_name, "last_name": contact.last_name, "lifecycle_stage": "lead",
            "version": contact.version, **extra}  # fmt: skip


@pytest.mark.django_db
def test_a_contact_form_saves_custom_values_and_the_page_shows_them(alice_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, key="tier", label="Tier", field_type="choice", choices=["gold", "silver"])
    CustomFieldFactory(tenant=tenant_a, key="seats", label="Seats", field_type="number")
    CustomFieldFactory(tenant=tenant_a, key="site", label="Site", field_type="url")
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee", custom_fields={"legacy": 7})
    response = alice_client.post(
        f"/customers/contacts/{contact.pk}/edit/",
        contact_post(contact, cf_tier="gold", cf_seats="12", cf_site="https://ann.example"),
    )
    assert response.status_code == 302, response.content.decode()
    with tenant_context(tenant_a.id):
        contact.refresh_from_db()
    assert contact.custom_fields == {"tier": "gold", "seats": 12, "site": "https://ann.example", "legacy": 7}
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert re.search(r"Tier</dt><dd[^>]*>gold</dd>", page)
    assert re.search(r"Seats</dt><dd[^>]*>12</dd>", page)


@pytest.mark.django_db
def test_an_invalid_custom_value_is_a_field_error_and_nothing_is_saved(alice_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, key="tier", label="Tier", field_type="choice", choices=["gold"])
    CustomFieldFactory(tenant=tenant_a, key="renewal", label="Renewal", field_type="date", required=True)
    contact = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee")
    response = alice_client.post(
        f"/customers/contacts/{contact.pk}/edit/", contact_post(contact, first_name="Changed", cf_tier="platinum")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice. platinum is not one of the available choices." in page
    assert "This field is required." in page  # the required date
    with tenant_context(tenant_a.id):
        contact.refresh_from_db()
    assert (contact.first_name, contact.custom_fields) == ("Ann", {})


@pytest.mark.django_db
def test_a_deal_form_saves_custom_values(alice_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, entity=CustomFieldEntity.DEAL, key="competitor", label="Competitor")
    stage = StageFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, stage=stage, pipeline=stage.pipeline)
    response = alice_client.post(
        f"/deals/{deal.pk}/edit/",
        {"name": deal.name, "pipeline": stage.pipeline_id, "stage": stage.pk, "amount": "100", "currency": "USD",
         "version": deal.version, "cf_competitor": "Initech"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    with tenant_context(tenant_a.id):
        assert Deal.objects.get(pk=deal.pk).custom_fields == {"competitor": "Initech"}
    assert "Initech" in alice_client.get(f"/deals/{deal.pk}/").content.decode()


# --- lists and exports ---------------------------------------------------------------------------


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/customers/contacts/\d+/">([^<]+)</a>', page)


@pytest.fixture
def tiered(tenant_a):
    CustomFieldFactory(tenant=tenant_a, key="tier", label="Tier", field_type="choice", choices=["gold", "silver"])
    CustomFieldFactory(tenant=tenant_a, key="seats", label="Seats", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(tenant=tenant_a, key="renewal", label="Renewal", field_type=CustomFieldType.DATE)
    CustomFieldFactory(tenant=tenant_a, key="topics", label="Topics", field_type="multi_choice", choices=["a", "b"])
    CustomFieldFactory(tenant=tenant_a, key="partner", label="Partner", field_type=CustomFieldType.BOOLEAN)
    CustomFieldFactory(tenant=tenant_a, key="vat", label="VAT", field_type=CustomFieldType.TEXT)
    ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Gold",
                   custom_fields={"tier": "gold", "seats": 120, "renewal": "2026-03-01", "topics": ["a", "b"],
                                  "partner": True, "vat": "DE-999"})  # fmt: skip
    ContactFactory(tenant=tenant_a, first_name="Bo", last_name="Silver",
                   custom_fields={"tier": "silver", "seats": 9, "renewal": "2027-01-15", "topics": ["b"],
                                  "partner": False})  # fmt: skip
    ContactFactory(tenant=tenant_a, first_name="Cy", last_name="None")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf_tier": "gold"}, ["Ann Gold"]),
        ({"cf_seats_min": "10"}, ["Ann Gold"]),
        ({"cf_seats_max": "100"}, ["Bo Silver"]),
        ({"cf_renewal_from": "2026-06-01"}, ["Bo Silver"]),
        ({"cf_renewal_to": "2026-12-31"}, ["Ann Gold"]),
        ({"cf_topics": "a"}, ["Ann Gold"]),
        ({"cf_topics": "b"}, ["Ann Gold", "Bo Silver"]),
        ({"cf_partner": "false"}, ["Bo Silver"]),
        ({"cf_vat": "de-9"}, ["Ann Gold"]),
        ({"cf_tier": "silver", "cf_seats_min": "10"}, []),
    ],
)
def test_the_contact_list_filters_on_custom_fields(alice_client, tiered, params, expected):
    assert names_on(alice_client.get("/customers/contacts/", params).content.decode()) == expected


@pytest.mark.django_db
def test_a_bad_custom_filter_value_is_reported(alice_client, tiered):
    page = alice_client.get("/customers/contacts/", {"cf_tier": "platinum"}).content.decode()
    assert names_on(page) == [] and "These filters are not valid" in page


@pytest.mark.django_db
def test_the_filter_menu_offers_each_field_and_keeps_chosen_values(alice_client, tiered):
    page = alice_client.get("/customers/contacts/", {"cf_tier": "gold", "cf_seats_min": "10"}).content.decode()
    assert '<option value="gold" selected>gold</option>' in page
    assert 'name="cf_seats_min" value="10"' in page
    assert re.search(r"More filters\s*<span[^>]*>2</span>", page)


@pytest.mark.django_db
def test_the_export_has_a_column_per_custom_field(alice_client, tiered):
    response = alice_client.get("/customers/contacts/export/", {"cf_tier": "gold", "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].endswith("Tier,Seats,Renewal,Topics,Partner,VAT")
    assert lines[1].endswith("gold,120,2026-03-01,a; b,yes,DE-999")
    assert len(lines) == 2


@pytest.mark.django_db
def test_the_contact_list_with_custom_fields_runs_a_constant_number_of_queries(
    alice_client, tenant_a, tiered, django_assert_max_num_queries
):
    for n in range(50):
        ContactFactory(tenant=tenant_a, last_name=f"Extra {n}", custom_fields={"tier": "gold"})
    alice_client.get("/customers/contacts/")  # warm the session
    with django_assert_max_num_queries(14) as ten:
        alice_client.get("/customers/contacts/", {"cf_tier": "gold", "cf_seats_min": "0"})
    assert len(ten.captured_queries) <= 14


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_lists_the_fields_and_returns_values_with_records(alice_client, charlie_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, key="tier", label="Tier", field_type="choice", choices=["gold"])
    contact = ContactFactory(tenant=tenant_a, custom_fields={"tier": "gold"})
    fields = alice_client.get("/api/v1/custom-fields/").json()
    assert [(f["key"], f["field_type"], f["choices"], f["archived"]) for f in fields] == [
        ("tier", "choice", ["gold"], False)
    ]
    assert alice_client.get(f"/api/v1/contacts/{contact.pk}/").json()["custom_fields"] == {"tier": "gold"}
    assert charlie_client.get("/api/v1/custom-fields/").json() == []


@pytest.mark.django_db
def test_the_contact_list_sorts_by_a_custom_field_with_empty_values_last(alice_client, tenant_a, tiered):
    page = alice_client.get("/customers/contacts/", {"sort": "cf_seats_desc"}).content.decode()
    assert names_on(page) == ["Ann Gold", "Bo Silver", "Cy None"]
    assert '<option value="cf_seats_desc" selected>Sort: Seats: highest first</option>' in page
    page = alice_client.get("/customers/contacts/", {"sort": "cf_seats"}).content.decode()
    assert names_on(page) == ["Bo Silver", "Ann Gold", "Cy None"]
    page = alice_client.get("/customers/contacts/", {"sort": "cf_renewal_desc"}).content.decode()
    assert names_on(page) == ["Bo Silver", "Ann Gold", "Cy None"]
    page = alice_client.get("/customers/contacts/", {"sort": "cf_tier"}).content.decode()  # a choice: A to Z
    assert names_on(page) == ["Ann Gold", "Bo Silver", "Cy None"]
    page = alice_client.get("/customers/contacts/", {"sort": "cf_vat"}).content.decode()  # text
    assert names_on(page) == ["Ann Gold", "Bo Silver", "Cy None"]


@pytest.mark.django_db
def test_custom_field_sorts_page_through_every_contact_once(alice_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, key="score", label="Score", field_type=CustomFieldType.NUMBER)
    expected = []
    for n in range(120):
        values = {"score": n % 7} if n % 3 else {}  # ties and empty values
        contact = ContactFactory(tenant=tenant_a, first_name="P", last_name=f"{n:03}", custom_fields=values)
        expected.append((0 if values else 1, -(values.get("score", 0)), contact.pk))
    seen, cursor = [], ""
    while True:
        response = alice_client.get("/customers/contacts/", {"sort": "cf_score_desc", "after": cursor})
        page = response.content.decode()
        seen += [int(pk) for pk in re.findall(r'<a href="/customers/contacts/(\d+)/">', page)]
        more = re.search(r'after=([^&"]+)', page)
        if not more:
            break
        cursor = more.group(1)
    ordered = [pk for *_, pk in sorted(expected, key=lambda key: (key[0], key[1], -key[2]))]
    assert seen == ordered
