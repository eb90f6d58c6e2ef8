"""Reads for the data-quality page: runs for the trend, one run's flagged values."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from analytics.quality.models import DataQualityIssue, DataQualityRecordType, DataQualityRun
from crm.cursors import decode_cursor, encode_cursor
from crm.tenancy.context import visible_owner_ids
from customers.models import Account, Contact

TREND_RUNS = 30  # runs on the trend chart
ISSUES_PER_PAGE = 50


def recent_runs(limit: int = TREND_RUNS) -> list[DataQualityRun]:
    """The latest runs, newest first (the page's trend, summary and progress bar)."""
    return list(DataQualityRun.objects.select_related("requested_by").order_by("-created_at", "-id")[:limit])


def runs_for_detail() -> QuerySet[DataQualityRun]:
    return DataQualityRun.objects.all()


@dataclass
class IssuePage:
    rows: list[DataQualityIssue]
    next_cursor: str | None


def issues_page(*, run: DataQualityRun, key: str, cursor: str | None) -> IssuePage:
    """One page of ``run``'s flagged values of ``key`` (``contact.email``), in record order.

    Someone who sees only their own records sees only theirs here too: the values are the records'.
    """
    record_type, _dot, field = key.partition(".")
    issues = DataQualityIssue.objects.filter(run=run, record_type=record_type, field=field)
    if visible_owner_ids() is not None:
        model = Contact if record_type == DataQualityRecordType.CONTACT else Account
        issues = issues.filter(record_id__in=model.objects.values("pk"))  # the scoped manager applies visibility
    after = decode_cursor(cursor, 1)
    if after is not None and isinstance(after[0], int):
        issues = issues.filter(pk__gt=after[0])
    rows = list(issues.order_by("pk")[: ISSUES_PER_PAGE + 1])  # dqissue_run_fk_idx, in order
    more = len(rows) > ISSUES_PER_PAGE
    rows = rows[:ISSUES_PER_PAGE]
    return IssuePage(rows=rows, next_cursor=encode_cursor([rows[-1].pk]) if more else None)
