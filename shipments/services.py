"""SCM shipment sync: upsert up to 10,000 shipments in one call, idempotent by source system + external id.

Same rules as the ERP order sync (customers/orders_sync.py): the whole batch is validated first and a
wrong record refuses it with every problem named; then COPY into a temporary table and one
``INSERT ... ON CONFLICT DO UPDATE`` that rewrites only shipments whose values changed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from customers.models import Order
from customers.orders_sync import OrderSyncRefused, SyncProblem
from shipments.models import ShipmentStatus

MAX_SHIPMENTS = 10_000
FIELDS = {
    "external_id",
    "order_external_id",
    "order_source_system",
    "carrier",
    "tracking_number",
    "status",
    "shipped_at",
    "delivered_at",
}


@dataclass
class ShipmentSyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _moment(value: Any) -> datetime | str | None:
    """A datetime, None when absent, or "" when present but unreadable."""
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return ""
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.get_default_timezone())


@transaction.atomic
def shipments_sync(
    *, tenant: Tenant, records: list[dict[str, Any]], source_system: str, by: User | None
) -> ShipmentSyncResult:
    source_system = source_system.strip()[:50]
    if not source_system:
        raise OrderSyncRefused([SyncProblem(0, "source_system", _("Required: the name of the system sending."))])
    if len(records) > MAX_SHIPMENTS:
        raise OrderSyncRefused(
            [SyncProblem(0, "shipments", _("At most %(max)s shipments per call.") % {"max": MAX_SHIPMENTS})]
        )
    problems: list[SyncProblem] = []
    wanted: set[tuple[str, str]] = set()
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        for unknown in sorted(set(record) - FIELDS):
            problems.append(SyncProblem(number, unknown, _("Unknown field.")))
        external_id = str(record.get("external_id") or "").strip()[:100]
        if not external_id:
            problems.append(SyncProblem(number, "external_id", _("Required: the shipment's id in your system.")))
        elif external_id in seen:
            problems.append(
                SyncProblem(
                    number, "external_id", _("Also in record %(other)s of this batch.") % {"other": seen[external_id]}
                )
            )
        seen.setdefault(external_id, number)
        order_key = (
            str(record.get("order_source_system") or source_system).strip(),
            str(record.get("order_external_id") or "").strip(),
        )
        if not order_key[1]:
            problems.append(SyncProblem(number, "order_external_id", _("Required: the order this shipment carries.")))
        wanted.add(order_key)
        status = str(record.get("status") or "").strip().lower()
        if status not in ShipmentStatus.values:
            problems.append(
                SyncProblem(number, "status", _("One of: %(choices)s.") % {"choices": ", ".join(ShipmentStatus.values)})
            )
        moments = {}
        for name in ("shipped_at", "delivered_at"):
            moments[name] = _moment(record.get(name))
            if moments[name] == "":
                problems.append(
                    SyncProblem(number, name, _("Use an ISO 8601 date and time, e.g. 2026-11-25T10:30:00Z."))
                )
        parsed.append(
            (
                number,
                {
                    "external_id": external_id,
                    "order_key": order_key,
                    "status": status,
                    "carrier": str(record.get("carrier") or "").strip()[:60],
                    "tracking_number": str(record.get("tracking_number") or "").strip()[:100],
                    **moments,
                },
            )
        )
    orders = {
        (order.source_system, order.external_id): order
        for order in Order.objects.filter(external_id__in={key[1] for key in wanted}).only(
            "id", "contact_id", "source_system", "external_id"
        )
    }
    for number, row in parsed:
        if row["order_key"][1] and row["order_key"] not in orders:
            problems.append(
                SyncProblem(
                    number,
                    "order_external_id",
                    _("No order %(id)s from %(system)s.") % {"id": row["order_key"][1], "system": row["order_key"][0]},
                )
            )
    if problems:
        raise OrderSyncRefused(problems)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for _number, row in parsed:
        order = orders[row["order_key"]]
        writer.writerow(
            [
                row["external_id"],
                order.pk,
                order.contact_id or "\\N",
                row["carrier"],
                row["tracking_number"],
                row["status"],
                row["shipped_at"].isoformat() if row["shipped_at"] else "\\N",
                row["delivered_at"].isoformat() if row["delivered_at"] else "\\N",
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS shipment_sync")
        cursor.execute(
            "CREATE TEMP TABLE shipment_sync (external_id text, order_id bigint, contact_id bigint, carrier text, "
            "tracking_number text, status text, shipped_at timestamptz, delivered_at timestamptz) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY shipment_sync FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            "INSERT INTO shipments_shipment (tenant_id, source_system, external_id, order_id, contact_id, carrier, "
            "tracking_number, status, shipped_at, delivered_at, created_at, updated_at) "
            "SELECT %s, %s, external_id, order_id, contact_id, carrier, tracking_number, status, shipped_at, "
            "delivered_at, now(), now() FROM shipment_sync "
            "ON CONFLICT (tenant_id, source_system, external_id) WHERE external_id <> '' DO UPDATE SET "
            "order_id = EXCLUDED.order_id, contact_id = EXCLUDED.contact_id, carrier = EXCLUDED.carrier, "
            "tracking_number = EXCLUDED.tracking_number, status = EXCLUDED.status, "
            "shipped_at = EXCLUDED.shipped_at, delivered_at = EXCLUDED.delivered_at, updated_at = now() "
            "WHERE (shipments_shipment.order_id, shipments_shipment.carrier, shipments_shipment.tracking_number, "
            "shipments_shipment.status, shipments_shipment.shipped_at, shipments_shipment.delivered_at) "
            "IS DISTINCT FROM (EXCLUDED.order_id, EXCLUDED.carrier, EXCLUDED.tracking_number, EXCLUDED.status, "
            "EXCLUDED.shipped_at, EXCLUDED.delivered_at) "
            "RETURNING (xmax = 0) AS inserted",
            [tenant.pk, source_system],
        )
        written = [inserted for (inserted,) in cursor.fetchall()]
    created = sum(written)
    return ShipmentSyncResult(created=created, updated=len(written) - created, unchanged=len(parsed) - len(written))
