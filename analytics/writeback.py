"""Writing a run's scores in bulk: COPY into a temporary table, then the tenant's rows of
analytics.ContactScore are replaced (one DELETE, one INSERT ... SELECT) and the run's snapshots
added (one more INSERT ... SELECT). Runs inside
the caller's transaction, so a run's scores go live whole or not at all; readers see the old scores
until the commit (MVCC), never a half-written set."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import datetime

import pandas as pd
from django.db import connection

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
    return written
