"""Set-wise loading of a demo plan into one tenant: COPY into temp tables, then INSERT ... SELECT.

PostgreSQL refuses COPY into a table with row-level security, but temp tables have none: the
plan's accounts and contacts are streamed into ``demo_account`` / ``demo_contact`` and copied
into the real tables in one statement each, which the RLS policy checks row by row. Orders and
interactions never leave the database: one INSERT ... SELECT per table expands each contact's
parameters (generate.py) with ``generate_series``. Their random draws come from
``hashint8extended(key, seed)`` on (contact number, row number, stream), so the data does not
depend on scan order, plans or parallelism: same plan and ``now``, same rows.

The caller runs all of this inside ``tenant_context(tenant_id)`` and a transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from psycopg import sql

from customers.demo import vocab
from customers.demo.generate import AMOUNT_SIGMA, TenantPlan

COPY_CHUNK_ROWS = 100_000
KIND_SLOTS = 1000
Timer = Callable[[str], AbstractContextManager[None]]


@dataclass(frozen=True)
class TenantStaff:
    """Who owns and logs the tenant's data: ids and the name used to sign messages."""

    sales_ids: Sequence[int]
    sales_names: Sequence[str]
    support_ids: Sequence[int]  # service users; they log part of the interactions
    support_names: Sequence[str]


@dataclass(frozen=True)
class LoadedCounts:
    accounts: int
    contacts: int
    orders: int
    interactions: int


def uniform(key: str, stream: int) -> str:
    """SQL for a uniform draw in (0, 1) from a row key, a stream number and %(seed)s."""
    return (
        f"((hashint8extended(({key}) * 64 + {stream}, %(seed)s::int8) & 4503599627370495) + 1)::float8"
        " / 4503599627370497.0"
    )


def _row_key(row: str) -> str:
    return f"(c.idx::int8 << 20) + {row}"


def _draws(row: str, streams: int) -> str:
    return ", ".join(f"{uniform(_row_key(row), s)} AS u{s}" for s in range(1, streams + 1))


def _tsv_chunks(columns: Sequence[Sequence[str]]) -> Iterator[bytes]:
    """COPY text format; every value is already a string without tab, newline or backslash."""
    rows = len(columns[0])
    for start in range(0, rows, COPY_CHUNK_ROWS):
        end = min(start + COPY_CHUNK_ROWS, rows)
        lines = map("\t".join, zip(*(column[start:end] for column in columns), strict=True))
        yield ("\n".join(lines) + "\n").encode()


def _text(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


def _bools(values: np.ndarray) -> list[str]:
    return np.where(values, "t", "f").tolist()


def _ids(ids: np.ndarray, index: np.ndarray) -> list[str]:
    """Map plan indexes to database ids; -1 becomes NULL."""
    return np.where(index >= 0, ids[np.maximum(index, 0)].astype(str), "\\N").tolist()


def _copy(cursor: Any, table: str, columns: Sequence[str], data: Sequence[Sequence[str]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.cursor.copy(statement) as copy:
        for chunk in _tsv_chunks(data):
            copy.write(chunk)


def _reserve_ids(cursor: Any, table: str, count: int) -> np.ndarray:
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=count)


def _sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def load_tenant(
    cursor: Any, *, tenant_id: int, plan: TenantPlan, now: datetime, staff: TenantStaff, timer: Timer
) -> LoadedCounts:
    """Insert the plan's accounts, contacts, orders and interactions as ``tenant_id``."""
    params = {
        "tenant_id": tenant_id,
        "now": now,
        "seed": plan.sql_seed,
        "country": plan.profile.country,
        "currency": plan.profile.currency,
    }
    cursor.execute("DROP TABLE IF EXISTS demo_account, demo_contact, demo_kind")
    with timer("accounts"):
        account_ids = _load_accounts(cursor, plan, staff, params)
    with timer("contacts"):
        _load_contacts(cursor, plan, staff, account_ids, params)
    with timer("orders"):
        cursor.execute(ORDERS_SQL, {**params, "sigma": AMOUNT_SIGMA})
        orders = cursor.rowcount
    with timer("interactions"):
        _create_kinds(cursor, plan)
        cursor.execute(
            INTERACTIONS_SQL,
            {
                **params,
                "kind_slots": _kind_slots(plan),
                "support_ids": list(staff.support_ids),
                "support_names": list(staff.support_names),
                "channels": ["wechat"] if plan.profile.chinese else ["linkedin", "whatsapp", "x"],  # social messages
            },
        )
        interactions = cursor.rowcount
    cursor.execute("DROP TABLE demo_account, demo_contact, demo_kind")
    return LoadedCounts(len(plan.accounts), len(plan.contacts), orders, interactions)


def _load_accounts(cursor: Any, plan: TenantPlan, staff: TenantStaff, params: dict[str, Any]) -> np.ndarray:
    accounts = plan.accounts
    cursor.execute(
        """CREATE TEMP TABLE demo_account (
            id int8, name text, industry text, employees int, website text, phone text, street text,
            city text, region text, postal_code text, owner_id int8, parent_id int8, created_days_ago float8)"""
    )
    ids = _reserve_ids(cursor, "customers_account", len(accounts))
    columns = {
        "id": _text(ids),
        "name": accounts.name,
        "industry": accounts.industry,
        "employees": _text(accounts.employees),
        "website": accounts.website,
        "phone": accounts.phone,
        "street": accounts.street,
        "city": accounts.city,
        "region": accounts.region,
        "postal_code": accounts.postal_code,
        "owner_id": _text(np.asarray(staff.sales_ids, dtype=np.int64)[accounts.owner_slot]),
        "parent_id": _ids(ids, accounts.parent),
        "created_days_ago": _text(accounts.created_days_ago),
    }
    _copy(cursor, "demo_account", list(columns), list(columns.values()))
    cursor.execute(
        """INSERT INTO customers_account (
            id, tenant_id, name, industry, employees, website, phone, street, city, region, postal_code,
            country, owner_id, parent_id, external_id, source_system, custom_fields, created_at, updated_at)
        SELECT id, %(tenant_id)s, name, industry, employees, website, phone, street, city, region,
            postal_code, %(country)s, owner_id, parent_id, '', '', '{}'::jsonb,
            %(now)s::timestamptz - created_days_ago * interval '1 day',
            %(now)s::timestamptz - created_days_ago * interval '1 day'
        FROM demo_account""",
        params,
    )
    return ids


def _load_contacts(
    cursor: Any, plan: TenantPlan, staff: TenantStaff, account_ids: np.ndarray, params: dict[str, Any]
) -> None:
    contacts, accounts = plan.contacts, plan.accounts
    # Ids come from the real table's sequence as COPY fills the temp table.
    cursor.execute(
        sql.SQL(
            """CREATE TEMP TABLE demo_contact (
                id int8 NOT NULL DEFAULT nextval({}::regclass), idx int8, first_name text, last_name text,
                name text, email text, phone text, title text, account_id int8, company text, owner_id int8, rep text,
                lifecycle_stage text, source text, city text, birthday_days_ago int, email_consent bool,
                sms_consent bool, custom_fields jsonb, created_days_ago float8, updated_days_ago float8,
                n_orders int, orders_from float8, orders_to float8, decline_days float8, stable_share float8,
                amount_mu float8, n_interactions int, interactions_from float8, interactions_to float8)"""
        ).format(sql.Literal(_sequence(cursor, "customers_contact")))
    )
    no_company = vocab.ZH_NO_COMPANY if plan.profile.chinese else vocab.EN_NO_COMPANY
    # Index -1 (no account) picks the generic phrase appended last.
    company = np.asarray([*accounts.name, no_company], dtype=object)[contacts.account]
    owner_ids = np.asarray(staff.sales_ids, dtype=np.int64)[contacts.owner_slot]
    owner_names = np.asarray(staff.sales_names, dtype=object)[contacts.owner_slot]
    tier_json = {tier: json.dumps({"tier": tier}) for tier in set(contacts.tier.tolist())}
    columns = {
        "idx": _text(np.arange(len(contacts))),
        "first_name": contacts.first_name,
        "last_name": contacts.last_name,
        "name": _addressed_as(plan),
        "email": contacts.email,
        "phone": contacts.phone,
        "title": contacts.title,
        "account_id": _ids(account_ids, contacts.account),
        "company": company.tolist(),
        "owner_id": _text(owner_ids),
        "rep": owner_names.tolist(),
        "lifecycle_stage": contacts.lifecycle_stage.tolist(),
        "source": contacts.source.tolist(),
        "city": contacts.city,
        "birthday_days_ago": _text(contacts.birthday_days_ago),
        "email_consent": _bools(contacts.email_consent),
        "sms_consent": _bools(contacts.sms_consent),
        "custom_fields": [tier_json[t] for t in contacts.tier.tolist()],
        "created_days_ago": _text(contacts.created_days_ago),
        "updated_days_ago": _text(contacts.updated_days_ago),
        "n_orders": _text(contacts.n_orders),
        "orders_from": _text(contacts.orders_from_days_ago),
        "orders_to": _text(contacts.orders_to_days_ago),
        "decline_days": _text(contacts.decline_days),
        "stable_share": _text(contacts.stable_share),
        "amount_mu": _text(contacts.amount_mu),
        "n_interactions": _text(contacts.n_interactions),
        "interactions_from": _text(contacts.interactions_from_days_ago),
        "interactions_to": _text(contacts.interactions_to_days_ago),
    }
    _copy(cursor, "demo_contact", list(columns), list(columns.values()))
    cursor.execute(
        """INSERT INTO customers_contact (
            id, tenant_id, first_name, last_name, email, phone, title, account_id, owner_id, lifecycle_stage,
            source, city, country, birthday, email_consent, sms_consent, external_id, source_system,
            custom_fields, created_at, updated_at)
        SELECT id, %(tenant_id)s, first_name, last_name, email, phone, title, account_id, owner_id,
            lifecycle_stage, source, city, %(country)s,
            CASE WHEN birthday_days_ago >= 0 THEN (%(now)s::timestamptz)::date - birthday_days_ago END,
            email_consent, sms_consent, '', '', custom_fields,
            %(now)s::timestamptz - created_days_ago * interval '1 day',
            %(now)s::timestamptz - updated_days_ago * interval '1 day'
        FROM demo_contact""",
        params,
    )


def _addressed_as(plan: TenantPlan) -> list[str]:
    """How messages address the contact: the first name in English, the full name in Chinese."""
    contacts = plan.contacts
    if plan.profile.chinese:
        return [f"{last}{first}" for first, last in zip(contacts.first_name, contacts.last_name, strict=True)]
    return contacts.first_name


def _templates(plan: TenantPlan) -> tuple[vocab.InteractionTemplates, ...]:
    return vocab.ZH_INTERACTIONS if plan.profile.chinese else vocab.EN_INTERACTIONS


def _create_kinds(cursor: Any, plan: TenantPlan) -> None:
    cursor.execute(
        """CREATE TEMP TABLE demo_kind (
            no int PRIMARY KEY, kind text, direction text, subjects text[], bodies text[], outcomes text[],
            min_seconds int[], max_seconds int[])"""
    )
    cursor.executemany(
        "INSERT INTO demo_kind VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (
                number,
                t.kind,
                t.direction,
                [subject for subject, _ in t.messages],
                [body for _, body in t.messages],
                [outcome for outcome, _, _ in t.outcomes],
                [low for _, low, _ in t.outcomes],
                [high for _, _, high in t.outcomes],
            )
            for number, t in enumerate(_templates(plan), start=1)
        ],
    )


def _kind_slots(plan: TenantPlan) -> list[int]:
    """KIND_SLOTS kind numbers in proportion to the kinds' weights; a uniform draw picks one."""
    weights = np.asarray([t.weight for t in _templates(plan)])
    edges = np.rint(np.cumsum(weights) / weights.sum() * KIND_SLOTS).astype(int)
    return np.repeat(np.arange(1, len(weights) + 1), np.diff(edges, prepend=0)).tolist()


# Each contact's orders: a point in its window (uniform; for churners part of them in the
# decline phase, with a density falling to zero at the churn date), a log-normal amount,
# and a status. The inner OFFSET 0 keeps each draw computed once per row.
ORDERS_SQL = f"""
INSERT INTO customers_order (
    tenant_id, contact_id, account_id, ordered_at, amount, currency, status, external_id, source_system,
    created_at)
SELECT %(tenant_id)s, r.id, r.account_id, r.at,
    greatest(round(exp(r.amount_mu + %(sigma)s * sqrt(-2 * ln(r.u2)) * cos(2 * pi() * r.u3))::numeric, 2), 1.00),
    %(currency)s,
    CASE WHEN r.u4 < 0.025 THEN 'refunded'
         WHEN r.u4 < 0.045 THEN 'cancelled'
         WHEN r.ago < 3 AND r.u4 > 0.4 THEN 'pending'
         ELSE 'paid' END,
    '', '', r.at
FROM (
    SELECT s.*, %(now)s::timestamptz - s.ago * interval '1 day' AS at
    FROM (
        SELECT c.id, c.account_id, c.amount_mu, c.u2, c.u3, c.u4,
            CASE WHEN c.u1 < c.stable_share
                 THEN c.orders_to + c.decline_days + (c.orders_from - c.orders_to - c.decline_days) * c.u5
                 ELSE c.orders_to + c.decline_days * sqrt(c.u5) END AS ago
        FROM (
            SELECT c.*, {_draws("j", 5)}
            FROM demo_contact c CROSS JOIN LATERAL generate_series(1, c.n_orders) AS j
            OFFSET 0
        ) c
    ) s
) r
"""

# Each contact's interactions: a (kind, direction) by weight, then a subject with its body and an
# outcome with its duration; logged by the contact's owner (70%) or a service user, uniformly in
# the contact's interaction window (which ends at the churn date for churners).
_MESSAGE = "1 + floor(r.u5 * cardinality(k.subjects))::int"
_OUTCOME = "1 + floor(r.u4 * cardinality(k.outcomes))::int"


def _filled(template: str) -> str:
    return f"replace(replace(replace({template}, '{{name}}', r.name), '{{company}}', r.company), '{{rep}}', r.rep)"


INTERACTIONS_SQL = f"""
INSERT INTO interactions_interaction (
    tenant_id, kind, direction, occurred_at, duration_seconds, outcome, subject, body, contact_id, account_id,
    logged_by_id, created_at, channel)
SELECT %(tenant_id)s, k.kind, k.direction, r.at,
    CASE WHEN k.max_seconds[{_OUTCOME}] >= 0 THEN k.min_seconds[{_OUTCOME}]
        + floor(r.u3 * (k.max_seconds[{_OUTCOME}] - k.min_seconds[{_OUTCOME}] + 1))::int END,
    k.outcomes[{_OUTCOME}],
    {_filled(f"k.subjects[{_MESSAGE}]")},
    {_filled(f"k.bodies[{_MESSAGE}]")},
    r.id, r.account_id, r.logged_by, r.at,
    CASE WHEN k.kind = 'social' THEN (%(channels)s::text[])[1 + floor(r.u3 * cardinality(%(channels)s::text[]))::int]
         ELSE '' END
FROM (
    SELECT c.id, c.account_id, c.name, c.company, c.u3, c.u4, c.u5,
        (%(kind_slots)s::int[])[1 + floor(c.u1 * {KIND_SLOTS})::int] AS kind_no,
        %(now)s::timestamptz
            - (c.interactions_to + (c.interactions_from - c.interactions_to) * c.u7) * interval '1 day' AS at,
        CASE WHEN c.u8 < 0.7 THEN c.owner_id
             ELSE (%(support_ids)s::int8[])[1 + floor(c.u9 * cardinality(%(support_ids)s::int8[]))::int] END
            AS logged_by,
        CASE WHEN c.u8 < 0.7 THEN c.rep
             ELSE (%(support_names)s::text[])[1 + floor(c.u9 * cardinality(%(support_names)s::text[]))::int] END
            AS rep
    FROM (
        SELECT c.*, {_draws("j", 9)}
        FROM demo_contact c CROSS JOIN LATERAL generate_series(1, c.n_interactions) AS j
        WHERE c.n_interactions > 0
        OFFSET 0
    ) c
) r
JOIN demo_kind k ON k.no = r.kind_no
"""


def delete_tenant_rows(cursor: Any, *, tenant_id: int, tables: Sequence[str]) -> None:
    """Delete one tenant's rows from its tables; the caller has set the tenant (RLS applies)."""
    for table in tables:
        cursor.execute(sql.SQL("DELETE FROM {} WHERE tenant_id = %s").format(sql.Identifier(table)), [tenant_id])
