"""manage.py seed_demo: tenants, users, isolation, determinism, the planted signal, both strategies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import numpy as np
import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.models import Count, Max, Q, Sum

from crm.models import Membership, Tenant
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.demo import load, vocab
from customers.demo.generate import ACME, GLOBEX, plan_tenant
from customers.demo.seed import DEMO_PASSWORD, DEMO_USERS, LOAD_TABLES, SeedResult, seed_demo
from customers.models import Account, Contact, Order
from interactions.models import Interaction
from tests.factories import MembershipFactory, TenantFactory, UserFactory

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SMALL = 150


def _seed(**kwargs: Any) -> SeedResult:
    return seed_demo(**{"customers": SMALL, "now": NOW, **kwargs})


def _tenant(slug: str) -> Tenant:
    return Tenant.objects.get(slug=slug)


def _fingerprint(slug: str) -> tuple[list[str], Decimal, int, list[str]]:
    with tenant_context(_tenant(slug).id):
        emails = sorted(Contact.objects.values_list("email", flat=True))
        total = Order.objects.aggregate(total=Sum("amount"))["total"]
        orders = Order.objects.count()
        subjects = sorted(Interaction.objects.values_list("subject", flat=True))
    return emails, total, orders, subjects


# --- Tenants, users, isolation ------------------------------------------------------------


def test_seed_creates_both_tenants_and_every_demo_user_can_sign_in(db: None) -> None:
    _seed()

    acme, globex = _tenant("acme"), _tenant("globex")
    assert (acme.name, acme.default_currency, acme.time_zone, acme.country) == (
        "Acme Corporation",
        "USD",
        "America/New_York",
        "US",
    )
    assert (globex.name, globex.default_currency, globex.time_zone, globex.country) == (
        "Globex (Shanghai)",
        "CNY",
        "Asia/Shanghai",
        "CN",
    )
    for spec in DEMO_USERS:
        user = authenticate(email=spec.email, password=DEMO_PASSWORD)
        assert user is not None, spec.email
        roles = set(Membership.objects.filter(user=user, is_active=True).values_list("tenant__slug", "role"))
        assert roles == set(spec.roles)
    for slug in ("acme", "globex"):
        assert set(Membership.objects.filter(tenant__slug=slug).values_list("role", flat=True)) == set(Role.values)
    assert authenticate(email="admin@acme.example", password="wrong-password") is None


def test_counts_per_tenant_and_nothing_leaks_across_tenants(db: None) -> None:
    result = _seed()

    expected = {"acme": (SMALL, SMALL // 8, "USD"), "globex": (200, 200 // 8, "CNY")}
    summaries = {s.slug: s.counts for s in result.tenants}
    for slug, (contacts, accounts, currency) in expected.items():
        tenant = _tenant(slug)
        with tenant_context(tenant.id):
            assert Contact.objects.count() == summaries[slug].contacts == contacts
            assert Account.objects.count() == summaries[slug].accounts == accounts
            assert Order.objects.count() == summaries[slug].orders > contacts * 5
            assert Interaction.objects.count() == summaries[slug].interactions > contacts
            assert set(Order.objects.values_list("currency", flat=True)) == {currency}
            # Row-level security, not just the manager: raw SQL sees this tenant's rows only.
            with connection.cursor() as cursor:
                for table in LOAD_TABLES:
                    cursor.execute(f"SELECT DISTINCT tenant_id FROM {table}")
                    assert cursor.fetchall() == [(tenant.id,)], table
    with tenant_context(None), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_contact")
        assert cursor.fetchone() == (0,)


def test_demo_data_is_realistic(db: None) -> None:
    _seed()

    with tenant_context(_tenant("acme").id):
        contacts = list(Contact.objects.all())
        stages = {c.lifecycle_stage for c in contacts}
        owners = set(Contact.objects.values_list("owner__email", flat=True))
        assert Account.objects.filter(parent__isnull=False).exists() or Account.objects.count() < 20
        loggers = set(Interaction.objects.values_list("logged_by__email", flat=True))
        kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert stages == {"lead", "prospect", "customer", "churned"}
    assert owners <= {"sales@acme.example", "sales2@acme.example", "multi@demo.example"}
    assert loggers <= owners | {"service@acme.example"}
    assert kinds == {"call", "email", "meeting", "note", "sms", "social"}
    assert len({c.email for c in contacts}) == len(contacts)
    assert all(c.email.endswith(".example") for c in contacts)
    for contact in contacts:
        if contact.phone:
            assert phonenumbers.is_valid_number(phonenumbers.parse(contact.phone)), contact.phone

    with tenant_context(_tenant("globex").id):
        names = list(Contact.objects.values_list("first_name", "last_name"))
        phones = [p for p in Contact.objects.values_list("phone", flat=True) if p]
        bodies = list(Interaction.objects.values_list("body", flat=True))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+", first + last) for first, last in names)
    assert phones and all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert all(p.startswith("+861") for p in phones)
    assert not [body for body in bodies if "{" in body]


def test_leads_and_prospects_have_no_orders(db: None) -> None:
    _seed()

    with tenant_context(_tenant("acme").id):
        buyers = Contact.objects.annotate(n=Count("orders"))
        assert not buyers.filter(lifecycle_stage__in=["lead", "prospect"], n__gt=0).exists()
        assert not buyers.filter(lifecycle_stage__in=["customer", "churned"], n=0).exists()
        window = Order.objects.aggregate(first=Max("ordered_at"), statuses=Count("status", distinct=True))
    assert window["first"] < NOW
    assert window["statuses"] >= 3


# --- Determinism and idempotence --------------------------------------------------------------


def test_same_seed_gives_the_same_data_and_another_seed_differs(db: None) -> None:
    _seed(seed=7)
    first = {slug: _fingerprint(slug) for slug in ("acme", "globex")}

    _seed(seed=7, reset=True)
    assert {slug: _fingerprint(slug) for slug in ("acme", "globex")} == first

    _seed(seed=8, reset=True)
    other = _fingerprint("acme")
    assert other[0] != first["acme"][0]
    assert other[1] != first["acme"][1]


def test_if_empty_does_nothing_the_second_time(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", "--customers", str(SMALL), "--if-empty", "--now", "2026-06-01", stdout=out)
    assert "Seeded the demo tenants" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    ids = set(Tenant.objects.values_list("id", flat=True))
    before = _fingerprint("acme")

    out = StringIO()
    call_command("seed_demo", "--customers", "999", "--if-empty", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert set(Tenant.objects.values_list("id", flat=True)) == ids
    assert _fingerprint("acme") == before


def test_a_real_tenant_with_a_demo_slug_is_never_deleted(db: None) -> None:
    real = TenantFactory(name="Acme Rockets", slug="acme")
    MembershipFactory(tenant=real, user=UserFactory(email="ceo@acme-rockets.com"), role=Role.ADMIN)

    with pytest.raises(CommandError, match="members outside the demo"):
        call_command("seed_demo", "--customers", str(SMALL), "--reset", stdout=StringIO())
    assert Tenant.objects.get(slug="acme") == real


def test_seeding_again_without_a_flag_refuses(db: None) -> None:
    _seed()
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--customers", str(SMALL), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_failed_seed_leaves_no_demo_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fault injection: the interactions statement fails after accounts, contacts and orders.
    # Transactional, so the seed's own transaction is the outermost one, as in manage.py.
    monkeypatch.setattr(load, "INTERACTIONS_SQL", "SELECT 1 / 0")
    with pytest.raises(Exception, match="division by zero"):
        _seed()
    assert not Tenant.objects.filter(slug__in=["acme", "globex"]).exists()


# --- The planted signal ------------------------------------------------------------------------


def test_churned_customers_stop_ordering_and_high_value_customers_spend_more(db: None) -> None:
    customers = 400
    _seed(customers=customers)
    plan = plan_tenant(ACME, contacts=customers, seed=42, sales_reps=3).contacts
    level_by_email = dict(zip(plan.email, plan.value_level.tolist(), strict=True))

    with tenant_context(_tenant("acme").id):
        rows = Contact.objects.filter(lifecycle_stage__in=["customer", "churned"]).annotate(
            spend=Sum("orders__amount", filter=Q(orders__status="paid")),
            last_order=Max("orders__ordered_at"),
            recent=Count("interactions", filter=Q(interactions__occurred_at__gt=NOW - timedelta(days=90))),
        )
        rows = list(rows.values("email", "lifecycle_stage", "spend", "last_order", "recent"))
    churned = [r for r in rows if r["lifecycle_stage"] == "churned"]
    assert 0.05 < len(churned) / len(rows) < 0.4
    assert all(r["last_order"] < NOW - timedelta(days=90) for r in churned)
    assert all(r["recent"] == 0 for r in churned)
    assert {r["email"] for r in churned} == {e for e, c in zip(plan.email, plan.churned, strict=True) if c}

    def mean_spend(level: int) -> float:
        spends = [float(r["spend"] or 0) for r in rows if level_by_email[r["email"]] == level]
        return sum(spends) / len(spends)

    assert mean_spend(5) > 2 * mean_spend(1)
    assert mean_spend(4) > mean_spend(2)


# --- The generator, without a database ------------------------------------------------------


def test_plan_is_deterministic_and_well_formed() -> None:
    first = plan_tenant(GLOBEX, contacts=300, seed=3, sales_reps=1)
    again = plan_tenant(GLOBEX, contacts=300, seed=3, sales_reps=1)
    assert first.contacts.email == again.contacts.email
    assert np.array_equal(first.contacts.n_orders, again.contacts.n_orders)
    assert first.sql_seed == again.sql_seed
    assert plan_tenant(GLOBEX, contacts=300, seed=4, sales_reps=1).contacts.email != first.contacts.email

    contacts = first.contacts
    assert len(set(contacts.email)) == len(contacts)
    assert all(p.startswith("+86") for p in contacts.phone if p)
    assert (contacts.n_orders[contacts.lifecycle_stage == "lead"] == 0).all()
    assert (contacts.churn_days_ago[contacts.churned] >= 90).all()
    assert (contacts.churn_days_ago[contacts.churned] <= 365).all()
    assert set(np.unique(contacts.value_level)) == {1, 2, 3, 4, 5}


def test_vocabulary_is_safe_for_copy_text_format() -> None:
    strings: list[str] = [
        *vocab.EN_FIRST_NAMES,
        *vocab.EN_LAST_NAMES,
        *vocab.EN_TITLES,
        *vocab.ZH_TITLES,
        *vocab.EN_STREETS,
        *vocab.ZH_STREETS,
        *vocab.EN_BRAND_FIRST,
        *vocab.EN_BRAND_SECOND,
        *(name for pair in vocab.ZH_SURNAMES + vocab.ZH_GIVEN_NAMES + vocab.ZH_BRANDS for name in pair),
        *(city.name for city in vocab.EN_CITIES + vocab.ZH_CITIES),
    ]
    assert not [s for s in strings if re.search(r"[\t\n\r\\]", s)]


# --- The bulk strategy (owner connection, keys and indexes rebuilt) --------------------------------


SCHEMA_SQL = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT tablename, indexname, indexdef, true FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT relname, 'rls', relrowsecurity::text || relforcerowsecurity::text, true
FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
ORDER BY 1, 2
"""


def _schema() -> list[tuple[Any, ...]]:
    with connections["owner"].cursor() as cursor:
        cursor.execute(SCHEMA_SQL)
        return sorted(cursor.fetchall())


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_bulk_strategy_restores_keys_indexes_and_rls_and_gives_the_same_data() -> None:
    schema = _schema()
    online = _seed(seed=5)
    online_fingerprint = _fingerprint("acme")

    bulk = _seed(seed=5, reset=True, strategy="bulk")

    assert (online.strategy, bulk.strategy) == ("online", "bulk")
    assert _schema() == schema
    assert _fingerprint("acme") == online_fingerprint
    assert {"rebuild indexes", "validate keys", "reset"} <= set(bulk.phases)


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_a_failed_bulk_load_rolls_back_and_removes_its_tenants(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = _schema()
    monkeypatch.setattr(load, "ORDERS_SQL", "SELECT 1 / 0")
    with pytest.raises(Exception, match="division by zero"):
        _seed(strategy="bulk")
    assert not Tenant.objects.filter(slug__in=["acme", "globex"]).exists()
    assert _schema() == schema


@pytest.mark.django_db
def test_the_demo_has_a_pipeline_with_open_won_and_lost_deals():
    from customers.models import Deal, Pipeline, StageKind

    seed_demo(customers=300, seed=3)
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme.id):
        assert Pipeline.objects.filter(is_default=True).count() == 1
        deals = list(Deal.objects.select_related("stage", "contact"))
        kinds = {deal.stage.kind for deal in deals}
        assert len(deals) == 30 and kinds == {StageKind.OPEN, StageKind.WON, StageKind.LOST}
        assert all(deal.contact.lifecycle_stage in ("prospect", "customer") for deal in deals)
        assert all(deal.lost_reason for deal in deals if deal.stage.kind == StageKind.LOST)
        assert all(deal.stage_changes.count() == 1 for deal in deals[:5])
