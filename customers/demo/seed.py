"""seed_demo: the two demo tenants, a user for every role, and realistic data to explore.

Acme Corporation (USD, New York) gets ``customers`` contacts; Globex (Shanghai) (CNY, Chinese
names, +86 numbers) gets max(200, customers // 4). Every demo user signs in with
DEMO_PASSWORD; multi@demo.example belongs to both tenants to show the tenant switcher. What
the data contains, including the signal planted for analytics, is documented in
customers/demo/generate.py; how it is written, in customers/demo/load.py.

Two strategies, same rows:
- "online": everything in one transaction on the runtime connection, with all indexes and
  foreign keys in place. Safe next to other tenants; used for small seeds (make run, tests).
- "bulk": tenants and users are committed first; then one owner transaction drops the keys
  and secondary indexes of the tenant tables, loads, rebuilds and validates
  (customers/demo/bulk.py), and ANALYZE follows. If the load fails, the transaction rolls back
  and the freshly created demo tenants are deleted again, so no half-seeded tenant remains.
  Several times faster at a million contacts, but it locks the tables: for demo and benchmark
  databases. "auto" picks bulk from BULK_MIN_CUSTOMERS contacts.

A reset deletes the old demo tenants' rows in an owner transaction with the foreign keys
dropped (see the comment in seed_demo), then the tenants; called inside a transaction, it
deletes them in that transaction instead.
"""

from __future__ import annotations

import graphlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from crm.models import Membership, Tenant, User
from crm.roles import Role
from crm.services import membership_add, tenant_create, user_get_or_create
from crm.tenancy.context import tenant_context
from crm.tenancy.models import TenantModel
from customers.demo.bulk import keys_and_indexes_deferred
from customers.demo.custom_fields import load_demo_custom_fields
from customers.demo.deals import load_demo_deals
from customers.demo.generate import ACME, GLOBEX, TenantPlan, TenantProfile, globex_contacts, plan_tenant
from customers.demo.load import LoadedCounts, TenantStaff, delete_tenant_rows, load_tenant
from customers.models import Contact

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed by the command; demo users on .example only
DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 42
BULK_MIN_CUSTOMERS = 50_000
STRATEGIES = ("auto", "online", "bulk")
LOAD_TABLES = ("customers_account", "customers_contact", "customers_order", "interactions_interaction")
DEMO_PROFILES = (ACME, GLOBEX)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    signature: str  # how the user signs emails and notes in the demo data
    roles: tuple[tuple[str, str], ...]  # (tenant slug, role)


DEMO_USERS = (
    DemoUser("admin@acme.example", "Alice Admin", "Alice", (("acme", Role.ADMIN),)),
    DemoUser("sales@acme.example", "Sam Sales", "Sam", (("acme", Role.SALES),)),
    DemoUser("sales2@acme.example", "Sally Seller", "Sally", (("acme", Role.SALES),)),
    DemoUser("service@acme.example", "Sergio Service", "Sergio", (("acme", Role.SERVICE),)),
    DemoUser("marketing@acme.example", "Maya Marketing", "Maya", (("acme", Role.MARKETING),)),
    DemoUser("analyst@acme.example", "Andy Analyst", "Andy", (("acme", Role.ANALYST),)),
    DemoUser("admin@globex.example", "王芳", "王芳", (("globex", Role.ADMIN),)),
    DemoUser("sales@globex.example", "张伟", "张伟", (("globex", Role.SALES),)),
    DemoUser("service@globex.example", "李娜", "李娜", (("globex", Role.SERVICE),)),
    DemoUser("marketing@globex.example", "刘洋", "刘洋", (("globex", Role.MARKETING),)),
    DemoUser("analyst@globex.example", "陈静", "陈静", (("globex", Role.ANALYST),)),
    DemoUser("multi@demo.example", "Morgan Multi", "Morgan", (("acme", Role.SALES), ("globex", Role.ADMIN))),
)


class DemoTenantsExistError(RuntimeError):
    """The demo tenants exist and neither reset nor if_empty was asked for."""


@dataclass(frozen=True)
class TenantSummary:
    slug: str
    name: str
    tenant_id: int
    counts: LoadedCounts


@dataclass(frozen=True)
class SeedResult:
    created: bool  # False: if_empty found seeded demo tenants and did nothing
    strategy: str
    tenants: tuple[TenantSummary, ...]
    users: tuple[DemoUser, ...]
    password: str
    now: datetime | None
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase, summed over tenants


class PhaseTimer:
    """Sums wall time per named phase and reports each one as it ends."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.seconds: dict[str, float] = {}
        self.progress = progress
        self.label = ""

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = perf_counter()
        yield
        elapsed = perf_counter() - started
        self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed
        if self.progress:
            self.progress(f"  {self.label}{phase}: {elapsed:.1f}s")


def default_now() -> datetime:
    """The demo's "now": the start of the current UTC day, so a re-seed on the same day is identical."""
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def seed_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    if_empty: bool = False,
    now: datetime | None = None,
    strategy: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Create (or with ``reset`` recreate) the demo tenants, their users and data.

    With ``if_empty``, return without writing when both demo tenants exist and have contacts
    (a demo tenant left empty by an interrupted run is recreated).
    """
    if customers < 1:
        raise ValueError("customers must be at least 1.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}.")
    started = perf_counter()
    existing = list(Tenant.objects.filter(slug__in=[p.slug for p in DEMO_PROFILES]))
    if existing and if_empty and len(existing) == len(DEMO_PROFILES) and all(map(_has_contacts, existing)):
        return SeedResult(False, "none", (), DEMO_USERS, DEMO_PASSWORD, None, perf_counter() - started)
    if existing and not (reset or if_empty):
        raise DemoTenantsExistError(
            f"The demo tenants ({', '.join(t.slug for t in existing)}) already exist: "
            "pass --reset to recreate them or --if-empty to keep them."
        )
    _refuse_to_delete_real_tenants(existing)
    now = now or default_now()
    others = _other_tenants_exist()
    if strategy == "auto":
        strategy = "bulk" if customers >= BULK_MIN_CUSTOMERS and not others else "online"
    if strategy == "bulk" and others:
        # The bulk path drops and rebuilds keys and indexes of tables every tenant shares.
        raise DemoTenantsExistError(
            "The bulk strategy locks and rebuilds tables shared with other tenants; this database has "
            "tenants besides the demo ones, so use --strategy online."
        )
    timer = PhaseTimer(progress)
    with timer("generate"):
        plans = {
            profile.slug: plan_tenant(
                profile,
                contacts=customers if profile is ACME else globex_contacts(customers),
                seed=seed,
                sales_reps=len(_staff_specs(profile.slug, Role.SALES)),
            )
            for profile in DEMO_PROFILES
        }
    # A bulk seed resets with the keys dropped too (bulk.py), which is fastest for a large demo;
    # an online seed deletes inside its own transaction, helped by the *_fk_idx indexes.
    if existing and strategy == "bulk" and not connections["default"].in_atomic_block:
        with timer("reset"):
            _delete_tenants_bulk(existing, timer)
        existing = []
    seed_tenants = _seed_online if strategy == "online" else _seed_bulk
    summaries = seed_tenants(existing, plans, now, timer)
    from service_desk.demo import load_demo_desk  # queues, canned responses, ~40 tickets per tenant

    load_demo_desk(tenant_ids=[summary.tenant_id for summary in summaries], now=now, seed=seed)
    return SeedResult(
        True, strategy, summaries, DEMO_USERS, DEMO_PASSWORD, now, perf_counter() - started, timer.seconds
    )


def _refuse_to_delete_real_tenants(tenants: list[Tenant]) -> None:
    """A real company may have signed up as "acme": only delete tenants whose members are all on
    the reserved .example domain, as every demo user is."""
    outsiders = Membership.objects.filter(tenant__in=tenants).exclude(user__email__iendswith=".example")
    if slugs := sorted(set(outsiders.values_list("tenant__slug", flat=True))):
        raise DemoTenantsExistError(
            f"Tenant(s) {', '.join(slugs)} use a demo slug but have members outside the demo "
            "(.example addresses): not deleting them."
        )


def _other_tenants_exist() -> bool:
    return Tenant.objects.exclude(slug__in=[p.slug for p in DEMO_PROFILES]).exists()


def _has_contacts(tenant: Tenant) -> bool:
    with tenant_context(tenant.id):
        return Contact.objects.exists()


def _staff_specs(slug: str, role: str) -> list[DemoUser]:
    return [user for user in DEMO_USERS if (slug, role) in user.roles]


def _seed_online(
    existing: list[Tenant], plans: dict[str, TenantPlan], now: datetime, timer: PhaseTimer
) -> tuple[TenantSummary, ...]:
    connection = connections["default"]
    with transaction.atomic():
        if existing:
            with timer("reset"):
                for tenant in existing:
                    with tenant_context(tenant.id), connection.cursor() as cursor:
                        delete_tenant_rows(cursor, tenant_id=tenant.id, tables=tenant_tables())
                _delete_tenants(existing)
        with timer("tenants and users"):
            tenants, staff = _create_tenants_and_users()
        summaries = tuple(_load(connection, tenants[slug], plans[slug], staff[slug], now, timer) for slug in plans)
        # Run the deferred foreign key checks now: timed, and also inside a caller's transaction.
        with timer("check keys"), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return summaries


def _delete_tenants_bulk(existing: list[Tenant], timer: PhaseTimer) -> None:
    """Delete the tenants' rows with the keys dropped (one owner transaction), then the tenants."""
    owner = connections["owner"]
    _require_no_transaction()
    with (
        transaction.atomic(using="owner"),
        owner.cursor() as cursor,
        keys_and_indexes_deferred(cursor, tables=tenant_tables(), drop_indexes=False, timer=timer),
    ):
        for tenant in existing:
            with tenant_context(tenant.id), owner.cursor() as tenant_cursor:
                delete_tenant_rows(tenant_cursor, tenant_id=tenant.id, tables=tenant_tables())
    with transaction.atomic():
        _delete_tenants(existing)


def _require_no_transaction() -> None:
    if connections["default"].in_atomic_block or connections["owner"].in_atomic_block:
        raise RuntimeError("Bulk seeding and large resets commit in steps; call them outside a transaction.")


def _seed_bulk(
    existing: list[Tenant], plans: dict[str, TenantPlan], now: datetime, timer: PhaseTimer
) -> tuple[TenantSummary, ...]:
    assert not existing, "a bulk seed resets with _delete_tenants_bulk first"
    owner = connections["owner"]
    _require_no_transaction()
    with timer("tenants and users"), transaction.atomic():
        tenants, staff = _create_tenants_and_users()
    try:
        with (
            transaction.atomic(using="owner"),
            owner.cursor() as cursor,
            keys_and_indexes_deferred(cursor, tables=LOAD_TABLES, drop_indexes=True, timer=timer),
        ):
            summaries = tuple(_load(owner, tenants[slug], plans[slug], staff[slug], now, timer) for slug in plans)
    except BaseException:
        logger.exception("Demo data load failed; removing the empty demo tenants it created.")
        with transaction.atomic():
            _delete_tenants(list(tenants.values()))
        raise
    with timer("analyze"), owner.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(LOAD_TABLES))
    return summaries


def _load(
    connection: BaseDatabaseWrapper,
    tenant: Tenant,
    plan: TenantPlan,
    staff: TenantStaff,
    now: datetime,
    timer: PhaseTimer,
) -> TenantSummary:
    timer.label = f"{tenant.slug}: "
    try:
        with tenant_context(tenant.id), connection.cursor() as cursor:
            counts = load_tenant(cursor, tenant_id=tenant.id, plan=plan, now=now, staff=staff, timer=timer)
            with timer("deals"):
                load_demo_deals(
                    cursor,
                    tenant_id=tenant.id,
                    contacts=counts.contacts,
                    now=now,
                    seed=plan.sql_seed,
                    currency=plan.profile.currency,
                )
            load_demo_custom_fields(cursor, tenant_id=tenant.id)
    finally:
        timer.label = ""
    return TenantSummary(tenant.slug, tenant.name, tenant.id, counts)


def _create_tenants_and_users() -> tuple[dict[str, Tenant], dict[str, TenantStaff]]:
    tenants = {profile.slug: _create_tenant(profile) for profile in DEMO_PROFILES}
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        # Created without a usable password; all get one shared hash below (one slow hash, not twelve).
        user = user_get_or_create(email=spec.email, password=None, full_name=spec.full_name)
        for slug, role in spec.roles:
            membership_add(tenant=tenants[slug], user=user, role=role)
        users[spec.email] = user
    # Re-seeding also restores the documented password of demo users who changed it.
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(password=make_password(DEMO_PASSWORD))
    staff = {
        slug: TenantStaff(
            sales_ids=[users[s.email].pk for s in _staff_specs(slug, Role.SALES)],
            sales_names=[s.signature for s in _staff_specs(slug, Role.SALES)],
            support_ids=[users[s.email].pk for s in _staff_specs(slug, Role.SERVICE)],
            support_names=[s.signature for s in _staff_specs(slug, Role.SERVICE)],
        )
        for slug in tenants
    }
    return tenants, staff


def _create_tenant(profile: TenantProfile) -> Tenant:
    return tenant_create(
        name=profile.name,
        slug=profile.slug,
        default_currency=profile.currency,
        time_zone=profile.time_zone,
        country=profile.country,
        language=profile.language,
    )


def _delete_tenants(tenants: list[Tenant]) -> None:
    """Delete tenants whose tenant-table rows are gone; memberships cascade (users stay)."""
    with tenant_context(None):
        Tenant.objects.filter(pk__in=[t.pk for t in tenants]).delete()


def tenant_tables() -> list[str]:
    """Every tenant-owned table, referencing tables before the tables they reference. The audit trail is
    append-only (the runtime role may not delete from it): a re-seeded tenant keeps its history."""
    from crm.apps import APPEND_ONLY_TABLES

    models = [m for m in apps.get_models() if issubclass(m, TenantModel) and m._meta.managed and not m._meta.proxy
              and m._meta.db_table not in APPEND_ONLY_TABLES]  # fmt: skip
    graph: dict[Any, set[Any]] = {m: set() for m in models}
    for model in models:
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if target in graph and target is not model:
                graph[target].add(model)  # delete the referencing model first
    return [m._meta.db_table for m in graphlib.TopologicalSorter(graph).static_order()]
