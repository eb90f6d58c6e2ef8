"""Demo deals: the default pipeline and a board's worth of deals per demo tenant, in SQL.

Deals go to prospects and customers that belong to an account; which ones, their stage, amount
and close date are drawn with ``hashint8extended`` from the plan's seed, so the same seed gives
the same board. Open deals close from a month ago (overdue) to six months ahead; about one in
six is won and one in six lost (with a reason) in the last thirty days. Each deal gets its
first stage-history row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from customers.deals.services import DEFAULT_STAGES

DEALS_PER_TENANT_MAX = 240
DEAL_TOPICS = ["renewal", "expansion", "pilot", "new licences", "support plan", "onboarding"]
LOST_REASONS = ["Budget frozen", "Chose a competitor", "No decision", "Price too high"]


def load_demo_deals(cursor: Any, *, tenant_id: int, contacts: int, now: datetime, seed: int, currency: str) -> int:
    """Create the default pipeline and the demo deals of one tenant; return how many deals."""
    cursor.execute(
        "INSERT INTO customers_pipeline (tenant_id, name, is_default, position, created_at) "
        "VALUES (%s, 'Sales', true, 0, %s) RETURNING id",
        [tenant_id, now],
    )
    pipeline_id = cursor.fetchone()[0]
    for position, (name, probability, kind) in enumerate(DEFAULT_STAGES):
        cursor.execute(
            "INSERT INTO customers_stage (tenant_id, pipeline_id, name, position, win_probability, kind) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [tenant_id, pipeline_id, name, position, probability, str(kind)],
        )
    count = min(DEALS_PER_TENANT_MAX, max(1, contacts // 10))
    cursor.execute(DEALS_SQL, {
        "tenant_id": tenant_id, "pipeline_id": pipeline_id, "count": count, "seed": seed, "now": now,
        "currency": currency, "topics": DEAL_TOPICS, "reasons": LOST_REASONS,
    })  # fmt: skip
    created = cursor.rowcount
    cursor.execute(
        "INSERT INTO customers_dealstagechange (tenant_id, deal_id, from_stage_id, to_stage_id, changed_by_id, "
        "changed_at) SELECT tenant_id, id, NULL, stage_id, owner_id, created_at FROM customers_deal "
        "WHERE pipeline_id = %s",
        [pipeline_id],
    )
    # Run the deferred key checks of these rows now: the bulk strategy alters the deal table's
    # keys afterwards, which PostgreSQL refuses while trigger events are pending.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return created


DEALS_SQL = """
WITH stages AS (
    SELECT id, position, kind FROM customers_stage WHERE pipeline_id = %(pipeline_id)s
), picked AS (
    SELECT c.id AS contact_id, c.account_id, c.owner_id,
           abs(hashint8extended(c.id, %(seed)s::int8)) AS h
    FROM customers_contact c
    WHERE c.account_id IS NOT NULL AND c.lifecycle_stage IN ('prospect', 'customer')
    ORDER BY hashint8extended(c.id, %(seed)s::int8)
    LIMIT %(count)s
), shaped AS (
    SELECT p.*, (p.h %% 6)::int AS stage_position,
           (p.h / 7 %% 210)::int - 30 AS close_in_days,
           round((1500 + (p.h / 11 %% 60000))::numeric, -2) AS amount
    FROM picked p
)
INSERT INTO customers_deal (
    tenant_id, name, pipeline_id, stage_id, amount, currency, expected_close_date, owner_id,
    contact_id, account_id, closed_at, lost_reason, created_at, updated_at, version, updated_by_id, custom_fields)
SELECT %(tenant_id)s,
       a.name || ' ' || (%(topics)s::text[])[1 + (s.h / 13 %% array_length(%(topics)s::text[], 1))],
       %(pipeline_id)s, st.id, s.amount, %(currency)s,
       CASE WHEN st.kind = 'open' THEN (%(now)s::timestamptz + make_interval(days => s.close_in_days))::date
            ELSE (%(now)s::timestamptz - make_interval(days => (s.h / 17 %% 30)::int))::date END,
       s.owner_id, s.contact_id, s.account_id,
       CASE WHEN st.kind = 'open' THEN NULL
            ELSE %(now)s::timestamptz - make_interval(days => (s.h / 17 %% 30)::int) END,
       CASE WHEN st.kind = 'lost'
            THEN (%(reasons)s::text[])[1 + (s.h / 19 %% array_length(%(reasons)s::text[], 1))] ELSE '' END,
       %(now)s::timestamptz - make_interval(days => 30 + (s.h / 23 %% 90)::int),
       %(now)s::timestamptz - make_interval(days => (s.h / 29 %% 30)::int),
       1, s.owner_id, '{}'::jsonb
FROM shaped s
JOIN stages st ON st.position = s.stage_position
JOIN customers_account a ON a.id = s.account_id
"""
