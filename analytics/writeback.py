"""Writing a run's scores in bulk: COPY into a temporary table, then the tenant's rows of
analytics.ContactScore are replaced (one DELETE, one INSERT ... SELECT) and the run's snapshots
added (one more INSERT ... SELECT). Runs inside
the caller's transaction, so a run's scores go live whole or not at all; readers see the old scores
until the commit (MVCC), never a half-written set.

Customers whose risk band rose since the previous run (low → medium → high) are found set-wise
before the old scores go and announced as ``contact.risk_rose`` webhook events, in the same
transaction: the events exist exactly when the new scores do. Nothing is computed when no webhook
wants the event."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import datetime

import pandas as pd
from django.db import connection
from django.db.backends.utils import CursorWrapper

from integrations.webhooks import webhook_emit_many, webhook_subscribed

COLUMNS = [
    "tenant_id", "run_id", "scored_at", "contact_id", "churn_probability", "risk_band", "predicted_value",
    "r_score", "f_score", "m_score", "rfm_segment", "cluster", "reasons",
]  # fmt: skip


CHUNK_ROWS = 50_000  # rows per CSV piece: the whole million as one string would cost a gigabyte more


def _csv_chunks(scores: pd.DataFrame, *, tenant_id: int, run_id: int, scored_at: datetime) -> Iterator[str]:
    for start in range(0, len(scores), CHUNK_ROWS):
        yield _csv(scores.iloc[start : start + CHUNK_ROWS], tenant_id=tenant_id, run_id=run_id, scored_at=scored_at)


def _csv(scores: pd.DataFrame, *, tenant_id: int, run_id: int, scored_at: datetime) -> str:
    frame = pd.DataFrame(
        {
            "tenant_id": tenant_id,
            "run_id": run_id,
            "scored_at": scored_at.isoformat(),
            "contact_id": scores.index.astype("int64"),
            "churn_probability": scores["churn_probability"].round(6),
            "risk_band": scores["risk_band"].fillna(""),
            "predicted_value": scores["predicted_value"].round(2),
            "r_score": scores["r_score"].where(scores["r_score"] > 0).astype("Int64"),
            "f_score": scores["f_score"].where(scores["f_score"] > 0).astype("Int64"),
            "m_score": scores["m_score"].where(scores["m_score"] > 0).astype("Int64"),
            "rfm_segment": scores["rfm_segment"].fillna(""),
            "cluster": scores["cluster"].where(scores["cluster"] >= 0).astype("Int64"),
            "reasons": [
                json.dumps({"churn": _clean(churn), "value": _clean(value)}, separators=(",", ":"))
                for churn, value in zip(scores["churn_reasons"], scores["value_reasons"], strict=True)
            ],
        }
    )
    return frame.to_csv(index=False, header=False, na_rep="\\N")


def _clean(reasons: object) -> list[dict[str, object]]:
    """Reasons as JSON accepts them: contributions are already rounded (analytics/reasons.py), so only a
    list holding a non-finite number (NaN is not JSON) is rebuilt; the million others pass as they are."""
    if not isinstance(reasons, list):
        return []
    if all(isinstance(reason, dict) and math.isfinite(reason.get("contribution", 0)) for reason in reasons):
        return reasons
    return [
        {**reason, "contribution": round(float(reason["contribution"]), 3)}
        for reason in reasons
        if isinstance(reason, dict) and math.isfinite(float(reason.get("contribution", 0)))
    ]


def write_scores(
    *, tenant_id: int, run_id: int, scores: pd.DataFrame, scored_at: datetime, timings: dict[str, float] | None = None
) -> int:
    """Make ``scores`` (analytics.pipeline.ScoringResult.scores) the tenant's current scores and keep a
    snapshot per contact; returns how many contacts were scored. ``timings`` gets each step's seconds."""
    names = ", ".join(COLUMNS)
    steps = timings if timings is not None else {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[step] = round(now - clock, 2)
        clock = now

    with connection.cursor() as cursor:
        # COPY cannot write into a table under row-level security: it fills a temporary table, and
        # one INSERT ... SELECT (checked by the policy like any insert) moves the rows across.
        cursor.execute("DROP TABLE IF EXISTS score_load")  # left by an earlier run in this session's transaction
        cursor.execute(
            "CREATE TEMP TABLE score_load (tenant_id bigint, run_id bigint, scored_at timestamptz, "
            "contact_id bigint, churn_probability float8, risk_band text, predicted_value numeric(14,2), "
            "r_score int2, f_score int2, m_score int2, rfm_segment text, cluster int2, reasons jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY score_load ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            for chunk in _csv_chunks(scores, tenant_id=tenant_id, run_id=run_id, scored_at=scored_at):
                copy.write(chunk)
        lap("write_copy")  # building the CSV (reasons as JSON) and streaming it
        risen = _risk_rises(cursor, tenant_id) if webhook_subscribed(RISK_ROSE) else []
        cursor.execute("DELETE FROM analytics_contactscore WHERE tenant_id = %s", [tenant_id])
        lap("write_delete")
        cursor.execute(f"INSERT INTO analytics_contactscore ({names}) SELECT {names} FROM score_load")
        written = cursor.rowcount
        lap("write_insert")
        cursor.execute(
            "INSERT INTO analytics_scoresnapshot (tenant_id, run_id, contact_id, churn_probability, predicted_value, "
            "rfm_segment, scored_at) SELECT tenant_id, run_id, contact_id, churn_probability, predicted_value, "
            "rfm_segment, scored_at FROM score_load",
        )
        lap("write_snapshots")
    if risen:
        from crm.models import Tenant

        webhook_emit_many(tenant=Tenant.objects.get(pk=tenant_id), event=RISK_ROSE, items=risen)
    return written


RISK_ROSE = "contact.risk_rose"
_BAND_RANK = "CASE {band} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"


def _risk_rises(cursor: CursorWrapper, tenant_id: int) -> list[dict[str, object]]:
    """Contacts whose band is higher in ``score_load`` than in their current score (a first score is no rise)."""
    cursor.execute(
        "SELECT c.id, c.first_name, c.last_name, c.email, o.risk_band, n.risk_band, o.churn_probability, "
        "n.churn_probability, n.run_id, n.reasons "
        "FROM score_load n JOIN analytics_contactscore o ON o.contact_id = n.contact_id AND o.tenant_id = %s "
        "JOIN customers_contact c ON c.id = n.contact_id AND c.tenant_id = %s "
        f"WHERE {_BAND_RANK.format(band='n.risk_band')} > {_BAND_RANK.format(band='o.risk_band')} "
        "AND o.risk_band <> '' ORDER BY c.id",
        [tenant_id, tenant_id],
    )
    return [
        {
            "contact": {"id": row[0], "first_name": row[1], "last_name": row[2], "email": row[3]},
            "from_band": row[4],
            "to_band": row[5],
            "previous_churn_probability": row[6],
            "churn_probability": row[7],
            "run": row[8],
            "reasons": _churn_reasons(row[9]),
        }
        for row in cursor.fetchall()
    ]


def _churn_reasons(stored: object) -> list[object]:
    reasons = json.loads(stored) if isinstance(stored, str) else stored  # raw cursors return jsonb as text
    return list(reasons.get("churn", [])) if isinstance(reasons, dict) else []
