"""Reading a tenant's customers out of PostgreSQL for scoring: COPY ... TO STDOUT straight into
pandas (about 3x faster than read_sql, and no ORM objects). Row-level security scopes every
statement to the current tenant; the WHERE clauses say it again for the planner's indexes.

Order amounts are converted to the tenant's currency with its exchange rates in the same query;
orders in a currency without a rate are left out and counted, so the run can say so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import connection

from analytics.data import CustomFeature, TenantData
from customers.custom_fields.forms import KEY_PATTERN


@dataclass(frozen=True)
class Extracted:
    data: TenantData
    orders_without_rate: int
    currencies_without_rate: list[str]


def _copy_frame(sql: str, params: dict[str, Any], *, dates: list[str]) -> pd.DataFrame:
    """The result of ``sql`` as a DataFrame, through COPY (CSV with a header)."""
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params)  # COPY takes no parameters: bind them client-side
        with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                buffer.write(chunk)
    buffer.seek(0)
    frame = pd.read_csv(buffer, keep_default_na=False, na_values=[""])
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def extract_tenant(*, tenant_id: int, default_currency: str, custom_features: list[CustomFeature]) -> Extracted:
    for feature in custom_features:  # keys are slugs (customers/custom_fields/forms.py); they name SQL columns here
        if not KEY_PATTERN.match(feature.column[3:]) or not feature.column.startswith("cf_"):
            raise ValueError(f"not a custom field column: {feature.column!r}")
    custom_columns = "".join(
        f", c.custom_fields ->> '{feature.column[3:]}' AS {feature.column}" for feature in custom_features
    )
    params: dict[str, Any] = {"tenant_id": tenant_id, "currency": default_currency}
    contacts = _copy_frame(
        "SELECT c.id AS contact_id, c.created_at, c.lifecycle_stage, c.email_consent, c.sms_consent, c.source, "
        "a.employees AS account_employees, COALESCE(a.industry, '') AS account_industry" + custom_columns + " "
        "FROM customers_contact c LEFT JOIN customers_account a ON a.id = c.account_id "
        "WHERE c.tenant_id = %(tenant_id)s",
        params,
        dates=["created_at"],
    ).set_index("contact_id")
    for column in ("email_consent", "sms_consent"):
        contacts[column] = contacts[column].astype(str).str.lower().isin(["t", "true"])
    # An all-empty text column arrives as float NaN: cast before filling, as pandas 4 will require.
    for column in ("source", "account_industry"):
        contacts[column] = contacts[column].astype(object).fillna("").astype(str)
    contacts["lifecycle_stage"] = contacts["lifecycle_stage"].astype(str)
    orders = _copy_frame(
        "SELECT o.contact_id, o.ordered_at, (o.amount * COALESCE(r.rate, 1))::float8 AS amount, o.status "
        "FROM customers_order o LEFT JOIN customers_exchangerate r "
        "  ON r.tenant_id = o.tenant_id AND r.currency = o.currency "
        "WHERE o.tenant_id = %(tenant_id)s AND o.contact_id IS NOT NULL "
        "  AND (o.currency = %(currency)s OR r.rate IS NOT NULL)",
        params,
        dates=["ordered_at"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.currency, count(*) FROM customers_order o LEFT JOIN customers_exchangerate r "
            "  ON r.tenant_id = o.tenant_id AND r.currency = o.currency "
            "WHERE o.tenant_id = %(tenant_id)s AND o.currency <> %(currency)s AND r.rate IS NULL GROUP BY 1",
            params,
        )
        missing = dict(cursor.fetchall())
    interactions = _copy_frame(
        "SELECT contact_id, occurred_at, kind FROM interactions_interaction "
        "WHERE tenant_id = %(tenant_id)s AND contact_id IS NOT NULL",
        params,
        dates=["occurred_at"],
    )
    deals = _copy_frame(
        "SELECT d.contact_id, d.created_at, s.kind AS stage_kind, d.closed_at, d.amount::float8 AS amount "
        "FROM customers_deal d JOIN customers_stage s ON s.id = d.stage_id "
        "WHERE d.tenant_id = %(tenant_id)s AND d.contact_id IS NOT NULL",
        params,
        dates=["created_at", "closed_at"],
    )
    data = TenantData(contacts=contacts, orders=orders, interactions=interactions, deals=deals)
    return Extracted(data=data, orders_without_rate=sum(missing.values()), currencies_without_rate=sorted(missing))
