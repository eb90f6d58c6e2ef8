"""ERP order sync: upsert up to 10,000 orders in one call, idempotent by source system + external id.

The contract (docs/erp-oa-scm-sync.md): each record names its order by ``external_id`` and its customer
by ``contact_external_id`` (the contact's id in the same source system) or ``contact_email``. The whole
batch is validated first; any wrong record refuses the batch with every problem listed by record and
field, and nothing is written. Then, set-wise: the orders go through COPY into a temporary table and
one ``INSERT ... ON CONFLICT DO UPDATE`` that only rewrites orders whose values changed, so sending the
same batch again reports every order unchanged. Missing contacts can be created on the way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from customers.models import Contact, OrderStatus
from customers.normalize import normalize_email

MAX_ORDERS = 10_000
FIELDS = {"external_id", "ordered_at", "amount", "currency", "status", "contact_external_id", "contact_email",
          "contact_first_name", "contact_last_name"}  # fmt: skip


@dataclass
class SyncProblem:
    record: int
    field: str
    reason: str


class OrderSyncRefused(ValueError):
    def __init__(self, problems: list[SyncProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class OrderSyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contacts_created: int = 0
    order_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    external_id: str
    ordered_at: datetime
    amount: Decimal
    currency: str
    status: str
    contact_external_id: str
    contact_email: str
    first_name: str
    last_name: str


def _parse(records: list[dict[str, Any]], default_currency: str) -> tuple[list[_Row], list[SyncProblem]]:
    rows: list[_Row] = []
    problems: list[SyncProblem] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):

        def problem(name: str, reason: str, number: int = number) -> None:
            problems.append(SyncProblem(number, name, reason))

        if not isinstance(record, dict):
            problem("", _("Each record must be an object."))
            continue
        for unknown in sorted(set(record) - FIELDS):
            problem(unknown, _("Unknown field."))
        external_id = str(record.get("external_id") or "").strip()
        if not external_id:
            problem("external_id", _("Required: the order's id in your system."))
        elif external_id in seen:
            problem("external_id", _("Also in record %(other)s of this batch.") % {"other": seen[external_id]})
        seen.setdefault(external_id, number)
        ordered_at = parse_datetime(str(record.get("ordered_at") or ""))
        if ordered_at is None:
            problem("ordered_at", _("Required: an ISO 8601 date and time, e.g. 2026-11-25T10:30:00Z."))
        elif timezone.is_naive(ordered_at):
            ordered_at = timezone.make_aware(ordered_at, timezone.get_default_timezone())
        try:
            amount = Decimal(str(record.get("amount")))
            if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problem("amount", _("Required: a number above zero (refunds are a status, not a negative amount)."))
            amount = Decimal(0)
        currency = str(record.get("currency") or default_currency).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            problem("currency", _("Use a three-letter ISO currency code, e.g. USD, EUR or CNY."))
        status = str(record.get("status") or OrderStatus.PAID).strip().lower()
        if status not in OrderStatus.values:
            problem("status", _("One of: %(choices)s.") % {"choices": ", ".join(OrderStatus.values)})
        contact_external_id = str(record.get("contact_external_id") or "").strip()
        raw_email = str(record.get("contact_email") or "").strip()
        try:
            contact_email = normalize_email(raw_email) if raw_email else ""
        except ValueError as error:
            problem("contact_email", str(error))
            contact_email = ""
        if not contact_external_id and not raw_email:
            problem("contact_external_id", _("Name the customer: contact_external_id or contact_email."))
        if ordered_at is not None:
            rows.append(_Row(external_id, ordered_at, amount, currency, status, contact_external_id, contact_email,
                             str(record.get("contact_first_name") or "").strip()[:100],
                             str(record.get("contact_last_name") or "").strip()[:100]))  # fmt: skip
    return rows, problems


def _resolve_contacts(
    tenant: Tenant, rows: list[_Row], source_system: str, create_missing: bool, by: User | None
) -> tuple[dict[int, Contact], int, list[SyncProblem]]:
    """The contact of each row (by index): by external id in this source, else by email (one query each)."""
    external_ids = {row.contact_external_id for row in rows if row.contact_external_id}
    emails = {row.contact_email for row in rows if row.contact_email}
    by_external = {c.external_id: c for c in Contact.objects.filter(source_system=source_system,
                                                                     external_id__in=external_ids)}  # fmt: skip
    by_email = {c.email: c for c in Contact.objects.filter(email__in=emails).order_by("-id")}
    found: dict[int, Contact] = {}
    missing: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        contact = by_external.get(row.contact_external_id) or by_email.get(row.contact_email)
        if contact is not None:
            found[index] = contact
        else:
            missing.setdefault((row.contact_external_id, row.contact_email), []).append(index)
    if missing and not create_missing:
        problems = [SyncProblem(indexes[0] + 1, "contact_external_id" if key[0] else "contact_email",
                                _("No contact matches; send create_missing_contacts: true to create it."))
                    for key, indexes in missing.items()]  # fmt: skip
        return found, 0, problems
    now = timezone.now()
    new = Contact.objects.bulk_create(
        [
            Contact(
                tenant=tenant,
                external_id=key[0],
                source_system=source_system if key[0] else "",
                email=key[1],
                first_name=rows[indexes[0]].first_name,
                last_name=rows[indexes[0]].last_name,
                owner=by,
                updated_by=by,
                created_at=now,
                updated_at=now,
            )
            for key, indexes in missing.items()
        ]
    )
    for contact, indexes in zip(new, missing.values(), strict=True):
        for index in indexes:
            found[index] = contact
    return found, len(new), []


@transaction.atomic
def orders_sync(
    *, tenant: Tenant, records: list[dict[str, Any]], source_system: str, create_missing_contacts: bool = False,
    by: User | None,
) -> OrderSyncResult:  # fmt: skip
    source_system = source_system.strip()[:50]
    if not source_system:
        raise OrderSyncRefused([SyncProblem(0, "source_system", _("Required: the name of the system sending."))])
    if len(records) > MAX_ORDERS:
        raise OrderSyncRefused([SyncProblem(0, "orders", _("At most %(max)s orders per call.") % {"max": MAX_ORDERS})])
    rows, problems = _parse(records, tenant.default_currency)
    if problems:
        raise OrderSyncRefused(problems)
    contacts, contacts_created, problems = _resolve_contacts(tenant, rows, source_system, create_missing_contacts, by)
    if problems:
        raise OrderSyncRefused(problems)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, row in enumerate(rows):
        contact = contacts[index]
        writer.writerow([row.external_id, row.ordered_at.isoformat(), str(row.amount), row.currency, row.status,
                         contact.pk, contact.account_id if contact.account_id else "\\N"])  # fmt: skip
    with connection.cursor() as cursor:
        # COPY cannot write into a table under row-level security: it fills a temporary table, and one
        # INSERT ... SELECT (checked by the policy like any insert) moves the rows across.
        cursor.execute("DROP TABLE IF EXISTS order_sync")
        cursor.execute(
            "CREATE TEMP TABLE order_sync (external_id text, ordered_at timestamptz, amount numeric(14,2), "
            "currency text, status text, contact_id bigint, account_id bigint) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY order_sync FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            "INSERT INTO customers_order (tenant_id, source_system, external_id, ordered_at, amount, currency, "
            "status, contact_id, account_id, created_at) "
            "SELECT %s, %s, external_id, ordered_at, amount, currency, status, contact_id, account_id, now() "
            "FROM order_sync "
            "ON CONFLICT (tenant_id, source_system, external_id) WHERE external_id <> '' DO UPDATE SET "
            "ordered_at = EXCLUDED.ordered_at, amount = EXCLUDED.amount, currency = EXCLUDED.currency, "
            "status = EXCLUDED.status, contact_id = EXCLUDED.contact_id, account_id = EXCLUDED.account_id "
            "WHERE (customers_order.ordered_at, customers_order.amount, customers_order.currency, "
            "customers_order.status, customers_order.contact_id) IS DISTINCT FROM "
            "(EXCLUDED.ordered_at, EXCLUDED.amount, EXCLUDED.currency, EXCLUDED.status, EXCLUDED.contact_id) "
            "RETURNING id, (xmax = 0) AS inserted",
            [tenant.pk, source_system],
        )
        written = cursor.fetchall()
    created = sum(1 for _id, inserted in written if inserted)
    return OrderSyncResult(
        created=created, updated=len(written) - created, unchanged=len(rows) - len(written),
        contacts_created=contacts_created, order_ids=[order_id for order_id, _inserted in written],
    )  # fmt: skip
