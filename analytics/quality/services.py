"""The cleaning run: normalise what can be normalised, flag what cannot, count filled-in fields,
find duplicate candidates. Writes only; the page reads through selectors.py.

Set-wise and in chunks: records are read in keyset order (5,000 by id), checked in Python
(checks.py: the same normalisers the forms use), and each chunk's changed rows are written by one
``UPDATE ... FROM unnest(...)``. Every rewrite bumps ``version`` and ``updated_at`` and only applies
if the record's version is still the one read (customers/services.py ``_save_if_unchanged``), so an
edit made meanwhile wins and the next run looks again. A clean value is never rewritten, so a second
run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from analytics.quality import checks
from analytics.quality.models import (
    DataQualityIssue,
    DataQualityProblem,
    DataQualityRecordType,
    DataQualityRun,
    DataQualityRunStatus,
    DataQualityStage,
    DataQualityTrigger,
)
from crm.models import Tenant, User
from crm.tenancy.context import require_tenant_id, tenant_context
from customers.duplicates.detection import duplicates_detect_all
from customers.models import Account, Contact

CHUNK = 5000  # records per read and per UPDATE
ISSUE_ROWS_PER_FIELD = 1000  # flagged values stored per field; the run counts them all
# A running run that has not written progress for this long lost its worker: it may be claimed again.
SILENT_FOR = timedelta(minutes=15)
ACTIVE = (DataQualityRunStatus.QUEUED, DataQualityRunStatus.RUNNING)
# Share of the progress bar per stage, in order (the duplicate search reads every contact four times).
STAGE_SPAN: dict[str, tuple[int, int]] = {
    DataQualityStage.CONTACTS: (0, 45),
    DataQualityStage.ACCOUNTS: (45, 55),
    DataQualityStage.COMPLETENESS: (55, 60),
    DataQualityStage.DUPLICATES: (60, 100),
}

# Which check each column gets, per record type.
NAME, EMAIL, PHONE, COUNTRY = "name", "email", "phone", "country"
FIELDS: dict[str, list[tuple[str, str]]] = {
    DataQualityRecordType.CONTACT: [("first_name", NAME), ("last_name", NAME), ("email", EMAIL), ("phone", PHONE),
                         ("country", COUNTRY)],
    DataQualityRecordType.ACCOUNT: [("name", NAME), ("phone", PHONE), ("country", COUNTRY)],
}  # fmt: skip
PROBLEMS: dict[str, str] = {
    EMAIL: DataQualityProblem.INVALID_EMAIL,
    PHONE: DataQualityProblem.INVALID_PHONE,
    COUNTRY: DataQualityProblem.UNKNOWN_COUNTRY,
}
# Completeness: "<record type>.<field>" -> what "filled in" means, all counted by one aggregate per table.
CONTACT_COMPLETENESS: dict[str, Q] = {
    "contact.email": ~Q(email=""),
    "contact.phone": ~Q(phone=""),
    "contact.account": Q(account__isnull=False),
    "contact.owner": Q(owner__isnull=False),
    "contact.city": ~Q(city=""),
    "contact.country": ~Q(country=""),
    "contact.birthday": Q(birthday__isnull=False),
    "contact.consent": Q(email_consent=True) | Q(sms_consent=True),
}
ACCOUNT_COMPLETENESS: dict[str, Q] = {
    "account.industry": ~Q(industry=""),
    "account.employees": Q(employees__isnull=False),
    "account.website": ~Q(website=""),
    "account.country": ~Q(country=""),
}


# Starting -------------------------------------------------------------------------------------


@transaction.atomic
def data_quality_run_start(
    *, tenant: Tenant, by: User | None, trigger: str = DataQualityTrigger.MANUAL, countdown: int = 0
) -> DataQualityRun:
    """Queue a cleaning run, or return the one already queued or running (one per tenant)."""
    _give_up_silent_runs()
    active = DataQualityRun.objects.filter(status__in=ACTIVE).first()
    if active is not None:
        return active
    try:
        with transaction.atomic():
            run = DataQualityRun.objects.create(tenant=tenant, requested_by=by, trigger=trigger)
    except IntegrityError:  # another click or the nightly run won the race (dqrun_one_active_uniq)
        return DataQualityRun.objects.get(status__in=ACTIVE)
    from analytics.quality.tasks import run_data_quality

    transaction.on_commit(lambda: run_data_quality.apply_async(args=(tenant.id, run.id), countdown=countdown))
    return run


def _give_up_silent_runs() -> None:
    """A run whose worker died says so, instead of blocking every later run of the tenant."""
    DataQualityRun.objects.filter(
        status=DataQualityRunStatus.RUNNING, heartbeat_at__lt=timezone.now() - SILENT_FOR
    ).update(
        status=DataQualityRunStatus.FAILED,
        finished_at=timezone.now(),
        error="The run stopped without finishing (its worker was lost). Nothing it did is lost; run it again.",
    )


# Running --------------------------------------------------------------------------------------


def data_quality_run_execute(*, tenant: Tenant, run_id: int) -> None:
    """The task's body: claim the run, clean, count, find duplicates, record the figures.

    Not one transaction: progress must be visible while it runs, and every step is safe to repeat
    (a clean value is left alone), so a run cut short and claimed again starts over harmlessly.
    """
    now = timezone.now()
    claimable = Q(status=DataQualityRunStatus.QUEUED) | Q(
        status=DataQualityRunStatus.RUNNING,
        heartbeat_at__lt=now - SILENT_FOR,  # its worker died: take it over
    )
    claimed = DataQualityRun.objects.filter(claimable, pk=run_id).update(
        status=DataQualityRunStatus.RUNNING, started_at=now, heartbeat_at=now, progress=0, stages={}
    )
    if not claimed:
        return  # already running or finished: a redelivered message does nothing
    run = DataQualityRun.objects.get(pk=run_id)
    DataQualityIssue.objects.filter(run_id=run_id).delete()  # a re-claimed run starts its list afresh
    tracker = _Tracker(run_id)
    try:
        contacts = _clean_records(tenant=tenant, run=run, record_type=DataQualityRecordType.CONTACT, tracker=tracker)
        accounts = _clean_records(tenant=tenant, run=run, record_type=DataQualityRecordType.ACCOUNT, tracker=tracker)
        tracker.begin(DataQualityStage.COMPLETENESS, total=1)
        completeness = data_quality_completeness()
        tracker.advance(1)
        tracker.begin(DataQualityStage.DUPLICATES, total=1)
        pairs = duplicates_detect_all(tenant=tenant, progress=lambda done, total: tracker.advance(done, total=total))
        tracker.finish()
    except Exception as error:
        DataQualityRun.objects.filter(pk=run_id).update(
            status=DataQualityRunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        DataQualityRun.objects.filter(pk=run_id).update(
            status=DataQualityRunStatus.DONE,
            progress=100,
            stage="",
            stages=tracker.stages,
            contacts=contacts.read,
            accounts=accounts.read,
            normalised={**contacts.normalised_keys(), **accounts.normalised_keys()},
            invalid={**contacts.invalid_keys(), **accounts.invalid_keys()},
            completeness=completeness,
            duplicate_pairs=pairs,
            finished_at=timezone.now(),
        )
        # Only the latest finished run's flagged values are listed; older runs keep their counts.
        DataQualityIssue.objects.exclude(run_id=run_id).delete()


@dataclass
class _Tally:
    record_type: str
    read: int = 0
    normalised: Counter[str] = field(default_factory=Counter)
    invalid: Counter[str] = field(default_factory=Counter)

    def normalised_keys(self) -> dict[str, int]:
        return {f"{self.record_type}.{column}": n for column, n in self.normalised.items() if n}

    def invalid_keys(self) -> dict[str, int]:
        return {f"{self.record_type}.{column}": n for column, n in self.invalid.items() if n}


class _Tracker:
    """Writes the run's stage and percent, at most once per chunk."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stages: dict[str, dict[str, Any]] = {}
        self.stage = ""
        self.started = timezone.now()

    def begin(self, stage: str, *, total: int) -> None:
        self.finish()
        self.stage = stage
        self.started = timezone.now()
        self.stages[stage] = {"done": 0, "total": total, "seconds": 0.0}
        self._write()

    def advance(self, done: int, *, total: int | None = None) -> None:
        entry = self.stages[self.stage]
        entry["done"] = done
        if total is not None:
            entry["total"] = total
        entry["seconds"] = round((timezone.now() - self.started).total_seconds(), 2)
        self._write()

    def finish(self) -> None:
        if self.stage:
            entry = self.stages[self.stage]
            entry["done"] = entry["total"]
            entry["seconds"] = round((timezone.now() - self.started).total_seconds(), 2)

    def _write(self) -> None:
        entry = self.stages[self.stage]
        low, high = STAGE_SPAN[self.stage]
        share = min(1.0, entry["done"] / entry["total"]) if entry["total"] else 1.0
        DataQualityRun.objects.filter(pk=self.run_id).update(
            stage=self.stage, progress=int(low + (high - low) * share), stages=self.stages, heartbeat_at=timezone.now()
        )


def _clean_records(*, tenant: Tenant, run: DataQualityRun, record_type: str, tracker: _Tracker) -> _Tally:
    """Every record of one type, 5,000 at a time in id order (keyset: each read starts at an index entry)."""
    model: type[Contact] | type[Account] = Contact if record_type == DataQualityRecordType.CONTACT else Account
    columns = [column for column, _kind in FIELDS[record_type]]
    tally = _Tally(record_type)
    stored: Counter[str] = Counter()  # issue rows written per column, up to ISSUE_ROWS_PER_FIELD
    # Every record of the tenant, whatever the requester's record visibility (tasks see all).
    records = model.objects.all()
    tracker.begin(DataQualityStage(record_type + "s"), total=records.count())
    last_id = 0
    while True:
        rows = list(records.filter(pk__gt=last_id).order_by("pk").values_list("pk", "version", *columns)[:CHUNK])
        if not rows:
            break
        last_id = rows[-1][0]
        changes: dict[int, tuple[int, list[str], set[str]]] = {}
        issues: list[DataQualityIssue] = []
        for pk, version, *values in rows:
            cleaned, changed = list(values), set()
            for index, (column, kind) in enumerate(FIELDS[record_type]):
                value = values[index] or ""
                clean = _check(kind, value, region=tenant.country)
                if clean is None:
                    tally.invalid[column] += 1
                    if stored[column] < ISSUE_ROWS_PER_FIELD:
                        stored[column] += 1
                        issues.append(
                            DataQualityIssue(
                                tenant=tenant, run=run, record_type=record_type, record_id=pk, field=column,
                                problem=PROBLEMS[kind], value=value[:255],
                            )
                        )  # fmt: skip
                elif clean != value:
                    cleaned[index] = clean
                    changed.add(column)
            if changed:
                changes[pk] = (version, cleaned, changed)
        for pk in _write_chunk(model, columns, changes, by=run.requested_by_id):
            tally.normalised.update(changes[pk][2])
        DataQualityIssue.objects.bulk_create(issues)
        tally.read += len(rows)
        tracker.advance(tally.read)
    return tally


def _check(kind: str, value: str, *, region: str) -> str | None:
    if kind == NAME:
        return checks.clean_name(value)
    if not value.strip():
        return value  # empty is missing, not invalid: completeness counts it
    if kind == EMAIL:
        return checks.clean_email(value)
    if kind == PHONE:
        return checks.clean_phone(value, region=region)
    return checks.clean_country(value)


def _write_chunk(
    model: type[Contact] | type[Account],
    columns: list[str],
    changes: dict[int, tuple[int, list[str], set[str]]],
    *,
    by: int | None,
) -> list[int]:
    """One UPDATE for a chunk's changed records; returns the ids it changed.

    Guarded by version like customers/services.py ``_save_if_unchanged``: a record edited since it
    was read keeps the edit (and is looked at again by the next run).
    """
    if not changes:
        return []
    table = model._meta.db_table
    names = [str(model._meta.get_field(column).column) for column in columns]  # type: ignore[union-attr]
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(f"%(c{index})s::text[]" for index in range(len(names)))
    params: dict[str, Any] = {
        "tenant": require_tenant_id(),
        "ids": list(changes),
        "versions": [version for version, _values, _changed in changes.values()],
        "now": timezone.now(),
        "by": by,
    }
    for index in range(len(names)):
        params[f"c{index}"] = [values[index] for _version, values, _changed in changes.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS t
            SET {assignments}, version = t.version + 1, updated_at = %(now)s, updated_by_id = %(by)s
            FROM unnest(%(ids)s::bigint[], %(versions)s::int[], {arrays}) AS v(id, version, {", ".join(names)})
            WHERE t.tenant_id = %(tenant)s AND t.id = v.id AND t.version = v.version
            RETURNING t.id
            """,
            params,
        )
        return [row[0] for row in cursor.fetchall()]


# Completeness ---------------------------------------------------------------------------------


def data_quality_completeness() -> dict[str, int]:
    """Records with each field filled in: one aggregate query per table."""
    figures: dict[str, int] = {}
    for model, fields in ((Contact, CONTACT_COMPLETENESS), (Account, ACCOUNT_COMPLETENESS)):
        aliases = {key.replace(".", "__"): Count("pk", filter=condition) for key, condition in fields.items()}
        row = model.objects.aggregate(**aliases)
        figures.update({alias.replace("__", "."): row[alias] or 0 for alias in aliases})
    return figures


# Nightly --------------------------------------------------------------------------------------

STAGGER_SECONDS = 180  # tenants start a few minutes apart
STAGGER_WINDOW = 6 * 3600  # ... within six hours, however many tenants there are


def data_quality_schedule_nightly(*, tenants: Iterable[Tenant]) -> int:
    """Queue one nightly run per tenant, staggered; a tenant with a run queued or running is skipped."""
    queued = 0
    for index, tenant in enumerate(tenants):
        with tenant_context(tenant.id):
            _give_up_silent_runs()
            if DataQualityRun.objects.filter(status__in=ACTIVE).exists():
                continue
            data_quality_run_start(
                tenant=tenant, by=None, trigger=DataQualityTrigger.NIGHTLY,
                countdown=(index * STAGGER_SECONDS) % STAGGER_WINDOW,
            )  # fmt: skip
            queued += 1
    return queued
