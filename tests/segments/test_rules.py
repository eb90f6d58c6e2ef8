"""Segment rules against factory data: every field type and operator, nested groups, bad rules, one query."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from analytics.models import ContactScore
from campaigns.models import StaticListMember
from crm.models import TeamMember
from crm.tenancy.context import tenant_context
from segments.fields import RuleContext
from segments.rules import RuleError, compile_rules, describe_rules, normalise_rules, validate_rules
from segments.selectors import rules_contacts, segment_contacts
from segments.services import SegmentError, segment_create, segment_update
from service_desk.models import Ticket
from tests.factories import (
    AccountFactory,
    ContactFactory,
    CustomFieldFactory,
    InteractionFactory,
    ModelRunFactory,
    OrderFactory,
    StaticListFactory,
    TeamFactory,
)
from tests.segments.factories import SegmentFactory


def today(tenant) -> date:
    """Today in the tenant's time zone, where rules count their days."""
    return timezone.localtime(timezone.now(), ZoneInfo(tenant.time_zone)).date()


def names(tenant, rules, *, user=None) -> set[str]:
    with tenant_context(tenant.pk):
        return set(rules_contacts(rules, user=user).values_list("first_name", flat=True))


def one(field, op, value=None, match="all") -> dict:
    return {"match": match, "rules": [{"field": field, "op": op, "value": value}]}


@pytest.fixture
def people(tenant_a, alice):
    now = timezone.now()
    acme = AccountFactory(tenant=tenant_a, name="Acme GmbH", industry="Software", employees=250, country="DE")
    tiny = AccountFactory(tenant=tenant_a, name="Tiny Ltd", industry="Retail", employees=5, country="GB")
    ann = ContactFactory(
        tenant=tenant_a,
        first_name="Ann",
        last_name="Archer",
        email="ann@bigcorp.com",
        phone="+4915112345678",
        lifecycle_stage="customer",
        source="referral",
        tags=["vip", "newsletter"],
        owner=alice,
        email_consent=True,
        preferred_channel="email",
        city="Berlin",
        country="DE",
        birthday=date(1990, 3, 14),
        account=acme,
    )
    ben = ContactFactory(
        tenant=tenant_a,
        first_name="Ben",
        last_name="Baker",
        email="",
        phone="",
        lifecycle_stage="lead",
        source="web",
        tags=["newsletter"],
        sms_consent=True,
        city="London",
        country="GB",
        account=tiny,
    )
    cid = ContactFactory(
        tenant=tenant_a,
        first_name="Cid",
        last_name="Cole",
        email="cid@smallshop.org",
        lifecycle_stage="churned",
        tags=[],
        city="",
        country="",
    )
    for contact, when in (
        (ann, now - timedelta(days=400)),
        (ben, now - timedelta(days=5)),
        (cid, now - timedelta(days=40)),
    ):
        with tenant_context(tenant_a.pk):
            type(contact).objects.filter(pk=contact.pk).update(created_at=when)
    OrderFactory(tenant=tenant_a, contact=ann, amount=Decimal("900"), ordered_at=now - timedelta(days=10))
    OrderFactory(tenant=tenant_a, contact=ann, amount=Decimal("300"), ordered_at=now - timedelta(days=200))
    OrderFactory(tenant=tenant_a, contact=ben, amount=Decimal("50"), ordered_at=now - timedelta(days=100))
    OrderFactory(tenant=tenant_a, contact=cid, amount=Decimal("999"), ordered_at=now, status="refunded")
    InteractionFactory(tenant=tenant_a, contact=ann, kind="call", occurred_at=now - timedelta(days=3))
    InteractionFactory(tenant=tenant_a, contact=ben, kind="meeting", occurred_at=now - timedelta(days=60))
    return {"ann": ann, "ben": ben, "cid": cid, "acme": acme}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (one("first_name", "eq", "ANN"), {"Ann"}),
        (one("first_name", "neq", "ann"), {"Ben", "Cid"}),
        (one("last_name", "contains", "ake"), {"Ben"}),
        (one("last_name", "not_contains", "ake"), {"Ann", "Cid"}),
        (one("last_name", "starts_with", "co"), {"Cid"}),
        (one("email", "ends_with", ".ORG"), {"Cid"}),
        (one("email", "is_empty"), {"Ben"}),
        (one("email", "is_not_empty"), {"Ann", "Cid"}),
        (one("city", "is_empty"), {"Cid"}),
        (one("email_domain", "eq", "@BigCorp.com"), {"Ann"}),
        (one("email_domain", "neq", "bigcorp.com"), {"Ben", "Cid"}),
        (one("country", "eq", "de"), {"Ann"}),
        (one("source", "eq", "Referral"), {"Ann"}),
    ],
)
def test_text_fields_and_operators(tenant_a, people, rules, expected):
    assert names(tenant_a, rules) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (one("has_email", "is_true"), {"Ann", "Cid"}),
        (one("has_email", "is_false"), {"Ben"}),
        (one("has_phone", "is_true"), {"Ann"}),
        (one("email_consent", "is_true"), {"Ann"}),
        (one("sms_consent", "is_false"), {"Ann", "Cid"}),
        (one("account", "is_false"), {"Cid"}),
    ],
)
def test_boolean_fields(tenant_a, people, rules, expected):
    assert names(tenant_a, rules) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (one("lifecycle_stage", "in", ["customer", "lead"]), {"Ann", "Ben"}),
        (one("lifecycle_stage", "not_in", ["customer"]), {"Ben", "Cid"}),
        (one("preferred_channel", "in", ["email"]), {"Ann"}),
        (one("birthday_month", "in", ["3"]), {"Ann"}),
        (one("birthday_month", "is_empty"), {"Ben", "Cid"}),
        (one("tags", "has_any", "vip, gold"), {"Ann"}),
        (one("tags", "has_all", ["vip", "newsletter"]), {"Ann"}),
        (one("tags", "has_none", ["vip"]), {"Ben", "Cid"}),
        (one("tags", "is_empty"), {"Cid"}),
        (one("tags", "is_not_empty"), {"Ann", "Ben"}),
    ],
)
def test_choice_and_tag_fields(tenant_a, people, rules, expected):
    assert names(tenant_a, rules) == expected


@pytest.mark.django_db
def test_owner_me_nobody_and_team(tenant_a, people, alice):
    assert names(tenant_a, one("owner", "in", ["me"]), user=alice) == {"Ann"}
    assert names(tenant_a, one("owner", "in", ["none"]), user=alice) == {"Ben", "Cid"}
    assert names(tenant_a, one("owner", "not_in", ["me"]), user=alice) == {"Ben", "Cid"}
    assert names(tenant_a, one("owner", "in", [str(alice.pk)])) == {"Ann"}
    assert names(tenant_a, one("owner", "in", ["me"])) == set()  # nobody is "me" without a user
    team = TeamFactory(tenant=tenant_a, name="Berlin")
    with tenant_context(tenant_a.pk):
        TeamMember.objects.create(tenant=tenant_a, team=team, user=alice)
    assert names(tenant_a, one("team", "in", [str(team.pk)])) == {"Ann"}
    assert names(tenant_a, one("team", "not_in", [str(team.pk)])) == {"Ben", "Cid"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (one("account.employees", "gt", "100"), {"Ann"}),
        (one("account.employees", "between", ["1", "10"]), {"Ben"}),
        (one("account.employees", "is_empty"), {"Cid"}),
        (one("account.industry", "eq", "retail"), {"Ben"}),
        (one("account.country", "eq", "GB"), {"Ben"}),
        (one("account.name", "starts_with", "acme"), {"Ann"}),
    ],
)
def test_account_fields(tenant_a, people, rules, expected):
    assert names(tenant_a, rules) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (one("orders.total", "gte", "1000"), {"Ann"}),  # 900 + 300 paid; Cid's 999 was refunded
        (one("orders.total", "lt", "100"), {"Ben", "Cid"}),  # no paid orders counts as 0
        (one("orders.total", "between", ["10", "60"]), {"Ben"}),
        (one("orders.count", "eq", "2"), {"Ann"}),
        (one("orders.count", "eq", "0"), {"Cid"}),
        (one("orders.spend_30d", "gt", "0"), {"Ann"}),
        (one("orders.spend_365d", "gte", "1200"), {"Ann"}),
        (one("orders.last_date", "in_last", 30), {"Ann"}),
        (one("orders.last_date", "not_in_last", 30), {"Ben", "Cid"}),
        (one("orders.last_date", "is_empty"), {"Cid"}),
        (one("orders.last_date", "is_not_empty"), {"Ann", "Ben"}),
    ],
)
def test_order_fields(tenant_a, people, rules, expected):
    assert names(tenant_a, rules) == expected


@pytest.mark.django_db
def test_last_order_date_before_after_on_and_between(tenant_a, people):
    day = today(tenant_a)
    assert names(tenant_a, one("orders.last_date", "before", (day - timedelta(days=50)).isoformat())) == {"Ben"}
    assert names(tenant_a, one("orders.last_date", "after", (day - timedelta(days=50)).isoformat())) == {"Ann"}
    assert names(tenant_a, one("orders.last_date", "on", (day - timedelta(days=100)).isoformat())) == {"Ben"}
    window = [(day - timedelta(days=120)).isoformat(), (day - timedelta(days=90)).isoformat()]
    assert names(tenant_a, one("orders.last_date", "between", window)) == {"Ben"}


@pytest.mark.django_db
def test_dates_in_the_tenants_days(tenant_a, people):
    day = today(tenant_a)
    assert names(tenant_a, one("created_at", "in_last", 30)) == {"Ben"}
    assert names(tenant_a, one("created_at", "not_in_last", 30)) == {"Ann", "Cid"}
    assert names(tenant_a, one("created_at", "before", (day - timedelta(days=100)).isoformat())) == {"Ann"}
    assert names(tenant_a, one("created_at", "after", (day - timedelta(days=100)).isoformat())) == {"Ben", "Cid"}
    assert names(tenant_a, one("created_at", "on", (day - timedelta(days=5)).isoformat())) == {"Ben"}
    between = [(day - timedelta(days=50)).isoformat(), (day - timedelta(days=30)).isoformat()]
    assert names(tenant_a, one("created_at", "between", between)) == {"Cid"}
    assert names(tenant_a, one("birthday", "before", "2000-01-01")) == {"Ann"}
    assert names(tenant_a, one("birthday", "is_empty")) == {"Ben", "Cid"}


@pytest.mark.django_db
def test_interactions_and_tickets(tenant_a, people):
    assert names(tenant_a, one("interactions.had_call", "in_last", 7)) == {"Ann"}
    assert names(tenant_a, one("interactions.had_call", "not_in_last", 7)) == {"Ben", "Cid"}
    assert names(tenant_a, one("interactions.had_meeting", "in_last", 90)) == {"Ben"}
    assert names(tenant_a, one("interactions.last_date", "in_last", 30)) == {"Ann"}
    assert names(tenant_a, one("interactions.last_date", "is_empty")) == {"Cid"}
    with tenant_context(tenant_a.pk):
        for status in ("open", "pending", "solved"):
            Ticket.objects.create(tenant=tenant_a, number=Ticket.objects.count() + 1, subject="Help",
                                  contact=people["cid"], status=status)  # fmt: skip
    assert names(tenant_a, one("tickets.open_count", "gte", "2")) == {"Cid"}
    assert names(tenant_a, one("tickets.open_count", "eq", "0")) == {"Ann", "Ben"}
    assert names(tenant_a, one("tickets.had_ticket", "in_last", 7)) == {"Cid"}


@pytest.mark.django_db
def test_scores(tenant_a, people):
    clusters = [{"number": 0, "name": "Big and loyal"}, {"number": 1, "name": "Quiet"}]
    run = ModelRunFactory(tenant=tenant_a, clusters=clusters, promoted=True)
    now = timezone.now()
    with tenant_context(tenant_a.pk):
        ContactScore.objects.create(tenant=tenant_a, contact=people["ann"], run=run, churn_probability=0.75,
                                    risk_band="high", predicted_value=Decimal("5000"), rfm_segment="Champions",
                                    cluster=0, scored_at=now)  # fmt: skip
        ContactScore.objects.create(tenant=tenant_a, contact=people["ben"], run=run, churn_probability=0.2,
                                    risk_band="low", predicted_value=Decimal("100"), rfm_segment="New",
                                    cluster=1, scored_at=now)  # fmt: skip
    assert names(tenant_a, one("score.churn_probability", "gt", "60")) == {"Ann"}  # percent
    assert names(tenant_a, one("score.churn_probability", "between", ["10", "30"])) == {"Ben"}
    assert names(tenant_a, one("score.risk_band", "in", ["high"])) == {"Ann"}
    assert names(tenant_a, one("score.risk_band", "not_in", ["high"])) == {"Ben", "Cid"}  # unscored too
    assert names(tenant_a, one("score.predicted_value", "gte", "1000")) == {"Ann"}
    assert names(tenant_a, one("score.rfm_segment", "in", ["New"])) == {"Ben"}
    assert names(tenant_a, one("score.cluster", "in", ["1"])) == {"Ben"}
    with tenant_context(tenant_a.pk):
        normalised, issues = validate_rules(one("score.cluster", "in", ["0"]))
    assert not issues
    with tenant_context(tenant_a.pk):
        assert "Big and loyal" in describe_rules(normalised).items[0]


@pytest.mark.django_db
def test_custom_fields_per_type(tenant_a, people):
    for key, field_type, choices in (
        ("seats", "number", []), ("renewal", "date", []), ("tier", "choice", ["gold", "silver"]),
        ("topics", "multi_choice", ["ai", "crm"]), ("partner", "boolean", []), ("notes", "text", []),
    ):  # fmt: skip
        CustomFieldFactory(tenant=tenant_a, entity="contact", key=key, label=key.title(), field_type=field_type,
                           choices=choices)  # fmt: skip
    CustomFieldFactory(tenant=tenant_a, entity="account", key="region", label="Region", field_type="text")
    with tenant_context(tenant_a.pk):
        model = type(people["ann"])
        model.objects.filter(pk=people["ann"].pk).update(custom_fields={
            "seats": 40, "renewal": "2030-01-15", "tier": "gold", "topics": ["ai", "crm"], "partner": True,
            "notes": "Met at the fair"})  # fmt: skip
        model.objects.filter(pk=people["ben"].pk).update(
            custom_fields={"seats": 5, "tier": "silver", "topics": ["crm"]}
        )
        type(people["acme"]).objects.filter(pk=people["acme"].pk).update(custom_fields={"region": "EMEA"})
    assert names(tenant_a, one("cf.seats", "gt", "10")) == {"Ann"}
    assert names(tenant_a, one("cf.seats", "neq", "40")) == {"Ben", "Cid"}
    assert names(tenant_a, one("cf.seats", "is_empty")) == {"Cid"}
    assert names(tenant_a, one("cf.renewal", "after", "2029-12-31")) == {"Ann"}
    assert names(tenant_a, one("cf.tier", "in", ["silver"])) == {"Ben"}
    assert names(tenant_a, one("cf.tier", "not_in", ["silver"])) == {"Ann", "Cid"}
    assert names(tenant_a, one("cf.topics", "has_any", ["ai"])) == {"Ann"}
    assert names(tenant_a, one("cf.topics", "has_all", ["ai", "crm"])) == {"Ann"}
    assert names(tenant_a, one("cf.topics", "has_none", ["ai"])) == {"Ben", "Cid"}
    assert names(tenant_a, one("cf.partner", "is_true")) == {"Ann"}
    assert names(tenant_a, one("cf.partner", "is_false")) == {"Ben", "Cid"}
    assert names(tenant_a, one("cf.notes", "contains", "FAIR")) == {"Ann"}
    assert names(tenant_a, one("account.cf.region", "eq", "emea")) == {"Ann"}
    with tenant_context(tenant_a.pk):
        _, issues = validate_rules(one("cf.tier", "in", ["bronze"]))
    assert issues[0].message == "Rule 1 (Tier): “bronze” is not one of the choices."


@pytest.mark.django_db
def test_static_lists_and_other_segments(tenant_a, people, alice):
    vip = StaticListFactory(tenant=tenant_a, name="VIP")
    with tenant_context(tenant_a.pk):
        StaticListMember.objects.create(tenant=tenant_a, static_list=vip, contact=people["ben"])
    assert names(tenant_a, one("static_list", "in", [str(vip.pk)])) == {"Ben"}
    assert names(tenant_a, one("static_list", "not_in", [str(vip.pk)])) == {"Ann", "Cid"}
    leads = SegmentFactory(tenant=tenant_a, name="Leads", rules=one("lifecycle_stage", "in", ["lead", "churned"]))
    assert names(tenant_a, one("segment", "in", [str(leads.pk)])) == {"Ben", "Cid"}
    assert names(tenant_a, one("segment", "not_in", [str(leads.pk)])) == {"Ann"}


@pytest.mark.django_db
def test_nested_groups(tenant_a, people):
    rules = {
        "match": "all",
        "rules": [
            {"field": "tags", "op": "has_any", "value": ["newsletter"]},
            {"match": "any", "rules": [
                {"field": "lifecycle_stage", "op": "in", "value": ["lead"]},
                {"match": "all", "rules": [
                    {"field": "orders.total", "op": "gt", "value": "1000"},
                    {"field": "city", "op": "eq", "value": "Berlin"},
                ]},
            ]},
        ],
    }  # fmt: skip
    assert names(tenant_a, rules) == {"Ann", "Ben"}
    rules["rules"][1]["rules"][1]["rules"][1]["value"] = "Paris"
    assert names(tenant_a, rules) == {"Ben"}
    assert names(tenant_a, {"match": "any", "rules": [rules, one("first_name", "eq", "Cid")]}) == {"Ben", "Cid"}


@pytest.mark.django_db
def test_no_rules_is_every_contact(tenant_a, people):
    assert names(tenant_a, {}) == {"Ann", "Ben", "Cid"}
    assert names(tenant_a, {"match": "all", "rules": []}) == {"Ann", "Ben", "Cid"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (one("orders.total", "gt", "lots"), "Rule 1 (Total spend): enter a number."),
        ({"match": "all", "rules": [one("city", "eq", "x"), {"match": "any", "rules": [
            {"field": "orders.total", "op": "gt", "value": ""}]}]},
         "Rule 2.1 (Total spend): enter a number."),
        (one("nope", "eq", "x"), "Rule 1: choose a field (“nope” does not exist, or no longer)."),
        (one("city", "gt", "x"), "Rule 1 (City): choose a condition."),
        (one("created_at", "on", "31/12/2025"), "Rule 1 (Added on): enter a date (YYYY-MM-DD)."),
        (one("created_at", "in_last", "-3"), "Rule 1 (Added on): enter a whole number of days from 1 to 36500."),
        (one("orders.total", "between", ["9", "1"]),
         "Rule 1 (Total spend): the first number must not be more than the second."),
        (one("lifecycle_stage", "in", []), "Rule 1 (Lifecycle stage): choose at least one value."),
        (one("lifecycle_stage", "in", ["vip"]), "Rule 1 (Lifecycle stage): “vip” is not one of the choices."),
        ({"match": "both", "rules": []}, "match must be “all” or “any”."),
        ({"match": "all", "rules": [{"match": "any", "rules": []}]},
         "Rule 1: this group is empty: add a rule or remove the group."),
        ({"match": "all", "rules": [{"match": "all", "rules": [{"match": "all", "rules": [{"match": "all", "rules": [
            {"match": "all", "rules": [{"field": "city", "op": "eq", "value": "x"}]}]}]}]}]},
         "Rule 1.1.1.1: groups can be nested at most 3 deep."),
    ],
)  # fmt: skip
def test_bad_rules_are_named_by_position_and_field(tenant_a, rules, message):
    with tenant_context(tenant_a.pk):
        _, issues = validate_rules(rules)
        assert issues[0].message == message
        with pytest.raises(RuleError, match="^" + re.escape(message.split(":")[0])):
            normalise_rules(rules)


@pytest.mark.django_db
def test_counting_a_segment_is_one_query(tenant_a, people, django_assert_num_queries):
    rules = {
        "match": "all",
        "rules": [
            {"field": "lifecycle_stage", "op": "in", "value": ["customer", "lead"]},
            {"field": "orders.total", "op": "gte", "value": "10"},
            {"field": "orders.last_date", "op": "in_last", "value": 365},
            {"field": "score.risk_band", "op": "not_in", "value": ["high"]},
            {"match": "any", "rules": [{"field": "tags", "op": "has_any", "value": ["vip"]},
                                       {"field": "interactions.had_meeting", "op": "in_last", "value": 90}]},
        ],
    }  # fmt: skip
    with tenant_context(tenant_a.pk):
        contacts = rules_contacts(rules, tenant=tenant_a)
        with django_assert_num_queries(1):
            assert contacts.count() == 2


@pytest.mark.django_db
def test_a_segment_that_includes_itself_is_refused(tenant_a, alice):
    with tenant_context(tenant_a.pk):
        first = segment_create(tenant=tenant_a, name="First", rules=one("email_consent", "is_true"), by=alice)
        second = segment_create(tenant=tenant_a, name="Second", rules=one("segment", "in", [str(first.pk)]), by=alice)
        with pytest.raises(SegmentError, match="includes itself"):
            segment_update(tenant=tenant_a, segment=first, name="First", rules=one("segment", "in", [str(second.pk)]),
                           by=alice)  # fmt: skip
        with pytest.raises(SegmentError, match="includes itself"):
            segment_update(tenant=tenant_a, segment=first, name="First", rules=one("segment", "in", [str(first.pk)]),
                           by=alice)  # fmt: skip
        first.refresh_from_db()
        assert first.rules == one("email_consent", "is_true")


@pytest.mark.django_db
def test_rules_naming_another_tenants_list_or_segment_match_nothing_and_are_refused(tenant_a, tenant_b, people, alice):
    theirs = StaticListFactory(tenant=tenant_b, name="Theirs")
    their_segment = SegmentFactory(tenant=tenant_b, name="Their segment", rules={})
    with tenant_context(tenant_b.pk):
        StaticListMember.objects.create(tenant=tenant_b, static_list=theirs, contact=ContactFactory(tenant=tenant_b))
    assert names(tenant_a, one("static_list", "in", [str(theirs.pk)])) == set()
    assert names(tenant_a, one("segment", "in", [str(their_segment.pk)])) == set()
    with tenant_context(tenant_a.pk):
        for rules in (one("static_list", "in", [str(theirs.pk)]), one("segment", "in", [str(their_segment.pk)])):
            with pytest.raises(SegmentError, match="is not one of the choices"):
                segment_create(tenant=tenant_a, name="Sneaky", rules=rules, by=alice)


@pytest.mark.django_db
def test_segment_contacts_uses_the_creator_for_me(tenant_a, people, alice):
    segment = SegmentFactory(tenant=tenant_a, rules=one("owner", "in", ["me"]), created_by=alice)
    with tenant_context(tenant_a.pk):
        assert [c.first_name for c in segment_contacts(segment)] == ["Ann"]


@pytest.mark.django_db
def test_compile_does_not_read_choices(tenant_a, django_assert_num_queries):
    ctx = RuleContext(tenant_id=tenant_a.pk, tenant=tenant_a)
    with tenant_context(tenant_a.pk), django_assert_num_queries(0):
        compile_rules(one("lifecycle_stage", "in", ["lead"]), ctx)
