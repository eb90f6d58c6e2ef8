"""Per-contact features at a cutoff date, computed set-wise with numpy (no per-row Python).

``prepare`` turns a ``TenantData`` into flat numpy arrays once (contact positions, event days);
``features_at`` then computes every feature at any cutoff with masked ``bincount``/``ufunc.at``
passes over those arrays, so the three cutoffs a run needs (T - value horizon, T - churn window,
T) cost three cheap passes, not three groupbys. Only events at or before the cutoff are used;
contact attributes (consent, source, company, custom fields) are as they are now.

Every feature has a ``FeatureSpec``: a description (for the model card) and the wording used for
the reasons behind a score ("no order in 210 days", "2 calls in the last 30 days").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from analytics.data import (
    COUNTED_STATUSES,
    CUSTOM_FEATURE_KINDS,
    INTERACTION_KINDS,
    CustomFeature,
    NotEnoughData,
    TenantData,
)

DAY_NS = 86_400 * 10**9
INTERACTION_WINDOWS = (30, 90, 365)
TOP_SOURCES = 10
TOP_INDUSTRIES = 10
TOP_CHOICES = 12
MAX_CHOICES = 30  # a "choice" field with more distinct values than this looks like free text
MAX_MISSING_SHARE = 0.8
MAX_UNPARSABLE_SHARE = 0.05
_KIND_WORDS = {
    "call": "call",
    "email": "email",
    "meeting": "meeting",
    "note": "note",
    "sms": "SMS",
    "social": "social touch",
    "task": "task",
}
_TRUE = {"true", "t", "yes", "y", "1", "1.0", "on"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "off"}


@dataclass(frozen=True)
class FeatureSpec:
    """How a feature is described and put into words.

    ``text`` is a template with ``{v}`` (the formatted value) and ``{s}`` (plural "s" unless the
    value is 1); ``zero`` replaces it when the value is 0 (booleans: the "no" wording);
    ``negative`` when the value is below 0 (``{v}`` is then the absolute value).
    """

    name: str
    description: str
    text: str
    zero: str | None = None
    negative: str | None = None
    missing: str = "unknown"
    money: bool = False
    decimals: int = 0
    log: bool = False  # heavy-tailed: models may use log1p of it
    money_like: bool = False  # a spend amount (the value model keeps these on their own scale)


@dataclass(frozen=True)
class Prepared:
    """A tenant's events as flat arrays indexed by contact position (0..n-1)."""

    contact_ids: pd.Index
    created_day: np.ndarray  # float64 days since the epoch
    order_pos: np.ndarray  # int64 contact position of each order (orders of unknown contacts dropped)
    order_day: np.ndarray  # float64
    order_amount: np.ndarray  # float64
    order_counted: np.ndarray  # bool: paid or pending
    order_paid: np.ndarray  # bool
    interaction_pos: np.ndarray
    interaction_day: np.ndarray
    interaction_kind: np.ndarray  # int8 index into INTERACTION_KINDS
    deal_pos: np.ndarray
    deal_created: np.ndarray
    deal_closed: np.ndarray  # NaN while open
    deal_kind: np.ndarray  # int8: 0 open, 1 won, 2 lost
    static: pd.DataFrame  # float32 attribute features (consent, source, company, custom fields)
    static_specs: dict[str, FeatureSpec]
    lifecycle_churned: np.ndarray  # bool: lifecycle_stage == "churned"

    @property
    def n(self) -> int:
        return len(self.contact_ids)


def day_number(moment: datetime | pd.Timestamp) -> float:
    """Days since the epoch (UTC) of a datetime; naive datetimes are read as UTC."""
    ts = pd.Timestamp(moment)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return float(ts.value) / DAY_NS


def days_of(values: pd.Series | pd.Index) -> np.ndarray:
    """Days since the epoch of a datetime column as float64 (NaN for NaT), whatever its unit or zone."""
    series = pd.Series(values, copy=False)
    if series.empty:
        return np.empty(0, dtype=np.float64)
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, utc=True, format="ISO8601")
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    as_ns = series.to_numpy(dtype="datetime64[ns]")
    out = as_ns.view(np.int64).astype(np.float64) / DAY_NS
    out[np.isnat(as_ns)] = np.nan
    return out


def _positions(contact_ids: pd.Index, column: pd.Series) -> np.ndarray:
    return np.asarray(contact_ids.get_indexer(column.to_numpy()), dtype=np.int64)


def _strings(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _slug(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _one_hot(
    values: pd.Series, prefix: str, top: int, text: str, zero: str, description: str
) -> tuple[dict[str, np.ndarray], dict[str, FeatureSpec]]:
    """0/1 columns for the ``top`` most frequent non-empty values (ties broken by value)."""
    codes, uniques = pd.factorize(values, sort=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    order = sorted(
        (i for i in range(len(uniques)) if str(uniques[i]) != "" and counts[i] > 0), key=lambda i: (-counts[i], i)
    )
    columns: dict[str, np.ndarray] = {}
    specs: dict[str, FeatureSpec] = {}
    for i in order[:top]:
        value = _slug(str(uniques[i]))
        name = f"{prefix}={value}"
        columns[name] = (codes == i).astype(np.float32)
        specs[name] = FeatureSpec(
            name,
            description.format(value=value),
            text.format(value=value),
            zero=zero.format(value=value),
        )
    return columns, specs


def _parse_booleans(raw: pd.Series) -> tuple[pd.Series, int]:
    """True/False/NaN from booleans, numbers or yes/no words; also how many values were unreadable."""
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype(object).astype("boolean").astype(object).where(raw.notna(), np.nan), 0
    text = _strings(raw).str.lower()
    parsed = pd.Series(np.nan, index=raw.index, dtype=object)
    parsed[text.isin(_TRUE)] = True
    parsed[text.isin(_FALSE)] = False
    unreadable = int(((text != "") & ~text.isin(_TRUE | _FALSE)).sum())
    return parsed, unreadable


def label_booleans(raw: pd.Series, label: str) -> pd.Series:
    """A yes/no custom field as a label: True/False/NaN; a clear error when it is not yes/no."""
    parsed, unreadable = _parse_booleans(raw)
    present = int(_strings(raw).ne("").sum()) if not pd.api.types.is_bool_dtype(raw) else int(raw.notna().sum())
    if present and unreadable > MAX_UNPARSABLE_SHARE * present:
        examples = _examples(raw, parsed)
        raise NotEnoughData(
            f'The churn label "{label}" must be a yes/no field, but {unreadable:,} of its {present:,} values '
            f"are not yes/no (for example {examples})."
        )
    return parsed


def _examples(raw: pd.Series, parsed: pd.Series) -> str:
    text = _strings(raw)
    bad = text[(text != "") & parsed.isna()].drop_duplicates().head(3).tolist()
    return ", ".join(f'"{value}"' for value in bad)


def encode_custom_features(
    contacts: pd.DataFrame, custom: tuple[CustomFeature, ...], rows: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, FeatureSpec]]:
    """Columns for the chosen custom fields; ``rows`` (bool) marks the contacts the models use, over
    which the share of missing values is judged. Raises NotEnoughData for unusable fields."""
    columns: dict[str, np.ndarray] = {}
    specs: dict[str, FeatureSpec] = {}
    used = max(int(rows.sum()), 1)
    for feature in custom:
        if feature.kind not in CUSTOM_FEATURE_KINDS:
            raise NotEnoughData(
                f'The custom field "{feature.label}" is a {feature.kind} field; only number, choice and yes/no '
                "fields can be model features."
            )
        if feature.column not in contacts.columns:
            raise NotEnoughData(f'The custom field "{feature.label}" ({feature.column}) was not extracted.')
        raw = contacts[feature.column]
        text = _strings(raw)
        present = (text != "").to_numpy() & raw.notna().to_numpy()
        missing = 1.0 - float(present[rows].sum()) / used
        if missing > MAX_MISSING_SHARE:
            raise NotEnoughData(
                f'The custom field "{feature.label}" is empty for {missing:.0%} of the customers with orders; '
                f"a feature needs values for at least {1 - MAX_MISSING_SHARE:.0%} of them."
            )
        if feature.kind == "number":
            numbers = pd.to_numeric(raw, errors="coerce")
            unreadable = int((present & numbers.isna().to_numpy()).sum())
            if unreadable > MAX_UNPARSABLE_SHARE * max(int(present.sum()), 1):
                examples = _examples(raw, numbers)
                raise NotEnoughData(
                    f'The custom field "{feature.label}" is chosen as a number, but {unreadable:,} of its '
                    f"{int(present.sum()):,} values are not numbers (for example {examples})."
                )
            values = numbers.to_numpy(dtype=np.float64)
            fill = float(np.nanmedian(values[rows])) if np.isfinite(values[rows]).any() else 0.0
            columns[feature.column] = np.where(np.isfinite(values), values, fill).astype(np.float32)
            specs[feature.column] = FeatureSpec(
                feature.column,
                f'Custom field "{feature.label}" as a number (missing values: the median, {fill:g}).',
                f"{feature.label}: {{v}}",
                decimals=2,
            )
        elif feature.kind == "boolean":
            parsed, unreadable = _parse_booleans(raw)
            if unreadable > MAX_UNPARSABLE_SHARE * max(int(present.sum()), 1):
                raise NotEnoughData(
                    f'The custom field "{feature.label}" is chosen as yes/no, but {unreadable:,} of its values '
                    f"are not yes/no (for example {_examples(raw, parsed)})."
                )
            columns[feature.column] = (parsed == True).to_numpy(dtype=np.float32)  # noqa: E712 - NaN stays 0
            specs[feature.column] = FeatureSpec(
                feature.column,
                f'Custom field "{feature.label}": 1 for yes, 0 for no or empty.',
                f"{feature.label}: yes",
                zero=f"{feature.label}: no",
            )
        else:
            distinct = int(text[present].nunique())
            if distinct > MAX_CHOICES:
                raise NotEnoughData(
                    f'The custom field "{feature.label}" has {distinct:,} different values; it looks like free '
                    f"text, not a choice (at most {MAX_CHOICES} values)."
                )
            one_hot, one_hot_specs = _one_hot(
                text,
                feature.column,
                TOP_CHOICES,
                f"{feature.label} is {{value}}",
                f"{feature.label} is not {{value}}",
                f'1 when custom field "{feature.label}" is "{{value}}".',
            )
            columns.update(one_hot)
            specs.update(one_hot_specs)
    return columns, specs


def prepare(
    data: TenantData, *, custom_rows: np.ndarray | None = None, custom: tuple[CustomFeature, ...] = ()
) -> Prepared:
    """Flatten a tenant's frames into arrays and encode the contact attributes once."""
    contacts = data.contacts
    ids = contacts.index
    n = len(ids)

    orders = data.orders
    order_pos = _positions(ids, orders["contact_id"]) if len(orders) else np.empty(0, np.int64)
    keep = order_pos >= 0
    status = _strings(orders["status"]).str.lower().to_numpy() if len(orders) else np.empty(0, object)
    if len(orders) and isinstance(orders["status"].dtype, pd.CategoricalDtype):
        status_codes = orders["status"].cat.codes.to_numpy()
        categories = [str(c).lower() for c in orders["status"].cat.categories]
        counted_codes = [i for i, c in enumerate(categories) if c in COUNTED_STATUSES]
        paid_codes = [i for i, c in enumerate(categories) if c == "paid"]
        counted = np.isin(status_codes, counted_codes)
        paid = np.isin(status_codes, paid_codes)
    else:
        counted = np.isin(status, COUNTED_STATUSES)
        paid = status == "paid"
    order_day = days_of(orders["ordered_at"]) if len(orders) else np.empty(0)
    keep &= np.isfinite(order_day)
    amount = orders["amount"].to_numpy(dtype=np.float64, na_value=np.nan) if len(orders) else np.empty(0)
    amount = np.where(np.isfinite(amount), amount, 0.0)

    inter = data.interactions
    inter_pos = _positions(ids, inter["contact_id"]) if len(inter) else np.empty(0, np.int64)
    kind_codes = (
        pd.Categorical(_strings(inter["kind"]).str.lower(), categories=list(INTERACTION_KINDS)).codes.astype(np.int8)
        if len(inter)
        else np.empty(0, np.int8)
    )
    inter_day = days_of(inter["occurred_at"]) if len(inter) else np.empty(0)
    inter_keep = (inter_pos >= 0) & (kind_codes >= 0) & np.isfinite(inter_day)

    deals = data.deals
    deal_pos = _positions(ids, deals["contact_id"]) if len(deals) else np.empty(0, np.int64)
    deal_kind = (
        pd.Categorical(_strings(deals["stage_kind"]).str.lower(), categories=["open", "won", "lost"]).codes.astype(
            np.int8
        )
        if len(deals)
        else np.empty(0, np.int8)
    )
    deal_created = days_of(deals["created_at"]) if len(deals) else np.empty(0)
    deal_closed = days_of(deals["closed_at"]) if len(deals) else np.empty(0)
    deal_keep = (deal_pos >= 0) & (deal_kind >= 0) & np.isfinite(deal_created)

    if custom_rows is None:  # judge custom fields' emptiness over the customers with orders
        custom_rows = np.bincount(order_pos[keep & counted], minlength=n)[:n] > 0
        if not custom_rows.any():
            custom_rows = np.ones(n, dtype=bool)
    rows = custom_rows
    static, static_specs = _static_features(contacts, custom, rows)
    stage = _strings(contacts["lifecycle_stage"]).str.lower().to_numpy() if n else np.empty(0, object)
    return Prepared(
        contact_ids=ids,
        created_day=days_of(contacts["created_at"]) if n else np.empty(0),
        order_pos=order_pos[keep],
        order_day=order_day[keep],
        order_amount=amount[keep],
        order_counted=counted[keep],
        order_paid=paid[keep],
        interaction_pos=inter_pos[inter_keep],
        interaction_day=inter_day[inter_keep],
        interaction_kind=kind_codes[inter_keep],
        deal_pos=deal_pos[deal_keep],
        deal_created=deal_created[deal_keep],
        deal_closed=deal_closed[deal_keep],
        deal_kind=deal_kind[deal_keep],
        static=static,
        static_specs=static_specs,
        lifecycle_churned=stage == "churned",
    )


def _static_features(
    contacts: pd.DataFrame, custom: tuple[CustomFeature, ...], rows: np.ndarray
) -> tuple[pd.DataFrame, dict[str, FeatureSpec]]:
    n = len(contacts)
    columns: dict[str, np.ndarray] = {}
    specs: dict[str, FeatureSpec] = {}
    for channel, word in (("email", "email"), ("sms", "SMS")):
        name = f"{channel}_consent"
        columns[name] = contacts[name].fillna(False).astype(bool).to_numpy(dtype=np.float32)
        specs[name] = FeatureSpec(
            name, f"1 when the contact agreed to {word} marketing.", f"{word} consent given", zero=f"no {word} consent"
        )
    source_columns, source_specs = _one_hot(
        _strings(contacts["source"]),
        "source",
        TOP_SOURCES,
        'came from "{value}"',
        'did not come from "{value}"',
        '1 when the contact\'s source is "{value}" (one of the most common sources).',
    )
    columns.update(source_columns)
    specs.update(source_specs)
    employees = contacts["account_employees"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_company = np.isfinite(employees)
    columns["has_company"] = has_company.astype(np.float32)
    specs["has_company"] = FeatureSpec(
        "has_company", "1 when the contact belongs to an account.", "works for a company", zero="no company on file"
    )
    columns["company_employees"] = np.where(has_company, np.maximum(employees, 0), 0).astype(np.float32)
    specs["company_employees"] = FeatureSpec(
        "company_employees",
        "Employees of the contact's account (0 without an account); models use log(1 + employees).",
        "company of {v} employees",
        zero="no company size on file",
        log=True,
    )
    industry_columns, industry_specs = _one_hot(
        _strings(contacts["account_industry"]),
        "industry",
        TOP_INDUSTRIES,
        "industry: {value}",
        "industry not {value}",
        '1 when the account\'s industry is "{value}" (one of the most common industries).',
    )
    columns.update(industry_columns)
    specs.update(industry_specs)
    custom_columns, custom_specs = encode_custom_features(contacts, custom, rows)
    columns.update(custom_columns)
    specs.update(custom_specs)
    frame = pd.DataFrame(columns, index=contacts.index) if columns else pd.DataFrame(index=contacts.index)
    assert len(frame) == n
    return frame, specs


def _event_specs() -> dict[str, FeatureSpec]:
    specs = [
        FeatureSpec(
            "recency_days",
            "Days since the last order (paid or pending) before the cutoff.",
            "no order in {v} days",
            zero="ordered today",
            missing="no orders yet",
            log=True,
        ),
        FeatureSpec("orders_total", "Orders (paid or pending) before the cutoff.", "{v} order{s} in total", log=True),
        FeatureSpec(
            "spend_total",
            "Spend on paid and pending orders before the cutoff.",
            "spent {v} in total",
            money=True,
            log=True,
            money_like=True,
        ),
        FeatureSpec(
            "avg_order_value",
            "Average order amount before the cutoff.",
            "average order {v}",
            money=True,
            missing="no orders yet",
            log=True,
            money_like=True,
        ),
        FeatureSpec(
            "orders_365", "Orders in the 365 days before the cutoff.", "{v} order{s} in the last 365 days", log=True
        ),
        FeatureSpec(
            "spend_365",
            "Spend in the 365 days before the cutoff.",
            "spent {v} in the last 365 days",
            money=True,
            zero="nothing spent in the last 365 days",
            log=True,
            money_like=True,
        ),
        FeatureSpec(
            "orders_90",
            "Orders in the 90 days before the cutoff.",
            "{v} order{s} in the last 90 days",
            zero="no orders in the last 90 days",
            log=True,
        ),
        FeatureSpec(
            "order_trend",
            "Orders in the last 90 days minus orders in the 90 days before those.",
            "{v} more order{s} in the last 90 days than the 90 before",
            zero="as many orders in the last 90 days as the 90 before",
            negative="{v} fewer order{s} in the last 90 days than the 90 before",
        ),
        FeatureSpec(
            "first_order_days",
            "Days since the first order.",
            "first order {v} days ago",
            missing="no orders yet",
            log=True,
        ),
        FeatureSpec("tenure_days", "Days since the contact was created.", "contact for {v} days", log=True),
    ]
    for kind in INTERACTION_KINDS:
        word = _KIND_WORDS[kind]
        for window in INTERACTION_WINDOWS:
            name = f"{kind}_{window}d"
            specs.append(
                FeatureSpec(
                    name,
                    f"Interactions of kind {kind} in the {window} days before the cutoff.",
                    f"{{v}} {word}{{s}} in the last {window} days",
                    zero=f"no {word}s in the last {window} days",
                    log=True,
                )
            )
    specs += [
        FeatureSpec(
            "interactions_90d",
            "Interactions of any kind in the 90 days before the cutoff.",
            "{v} interaction{s} in the last 90 days",
            zero="no interactions in the last 90 days",
            log=True,
        ),
        FeatureSpec("deals_open", "Deals open at the cutoff.", "{v} open deal{s}", zero="no open deals"),
        FeatureSpec(
            "deals_won_365", "Deals won in the 365 days before the cutoff.", "{v} deal{s} won in the last 365 days"
        ),
        FeatureSpec(
            "deals_lost_365", "Deals lost in the 365 days before the cutoff.", "{v} deal{s} lost in the last 365 days"
        ),
    ]
    return {spec.name: spec for spec in specs}


EVENT_SPECS = _event_specs()


@dataclass(frozen=True)
class FeatureSet:
    frame: pd.DataFrame  # index contact_id, float32 columns (NaN: recency/average/first order without orders)
    specs: dict[str, FeatureSpec]
    has_orders: np.ndarray  # bool: at least one counted order at or before the cutoff
    exists: np.ndarray  # bool: created at or before the cutoff
    cutoff: float  # day number


def _count(pos: np.ndarray, mask: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    if weights is None:
        return np.bincount(pos[mask], minlength=n).astype(np.float64)
    return np.bincount(pos[mask], weights=weights[mask], minlength=n)


def features_at(prepared: Prepared, cutoff: float) -> FeatureSet:
    """Every contact's features at ``cutoff`` (a day number), from events at or before it."""
    n = prepared.n
    cols: dict[str, np.ndarray] = {}
    day = prepared.order_day
    before = day <= cutoff
    counted = prepared.order_counted & before
    pos = prepared.order_pos
    orders_total = _count(pos, counted, n)
    spend_total = _count(pos, counted, n, prepared.order_amount)
    last = np.full(n, -np.inf)
    np.maximum.at(last, pos[counted], day[counted])
    first = np.full(n, np.inf)
    np.minimum.at(first, pos[counted], day[counted])
    has_orders = orders_total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["recency_days"] = np.where(has_orders, np.maximum(cutoff - last, 0), np.nan)
        cols["orders_total"] = orders_total
        cols["spend_total"] = spend_total
        cols["avg_order_value"] = np.where(has_orders, spend_total / np.maximum(orders_total, 1), np.nan)
    age = cutoff - day
    in365 = counted & (age < 365)
    cols["orders_365"] = _count(pos, in365, n)
    cols["spend_365"] = _count(pos, in365, n, prepared.order_amount)
    recent = _count(pos, counted & (age < 90), n)
    previous = _count(pos, counted & (age >= 90) & (age < 180), n)
    cols["orders_90"] = recent
    cols["order_trend"] = recent - previous
    cols["first_order_days"] = np.where(has_orders, np.maximum(cutoff - first, 0), np.nan)
    created = prepared.created_day
    exists = ~(created > cutoff)  # NaN created_at counts as existing
    cols["tenure_days"] = np.where(np.isfinite(created), np.maximum(cutoff - created, 0), 0.0)

    kinds = len(INTERACTION_KINDS)
    iage = cutoff - prepared.interaction_day
    ivalid = iage >= 0
    combined = prepared.interaction_pos * kinds + prepared.interaction_kind
    for window in INTERACTION_WINDOWS:
        counts = np.bincount(combined[ivalid & (iage < window)], minlength=n * kinds).reshape(n, kinds)
        for k, kind in enumerate(INTERACTION_KINDS):
            cols[f"{kind}_{window}d"] = counts[:, k].astype(np.float64)
        if window == 90:
            cols["interactions_90d"] = counts.sum(axis=1).astype(np.float64)

    dpos = prepared.deal_pos
    created_before = prepared.deal_created <= cutoff
    closed = prepared.deal_closed
    closed_before = np.isfinite(closed) & (closed <= cutoff)
    open_at = created_before & ((prepared.deal_kind == 0) | ~closed_before)
    cols["deals_open"] = _count(dpos, open_at, n)
    closed_recent = closed_before & (cutoff - closed < 365)
    cols["deals_won_365"] = _count(dpos, closed_recent & (prepared.deal_kind == 1), n)
    cols["deals_lost_365"] = _count(dpos, closed_recent & (prepared.deal_kind == 2), n)

    frame = pd.DataFrame({name: values.astype(np.float32) for name, values in cols.items()}, index=prepared.contact_ids)
    frame = pd.concat([frame, prepared.static], axis=1)
    specs = {**EVENT_SPECS, **prepared.static_specs}
    return FeatureSet(frame=frame, specs=specs, has_orders=has_orders, exists=exists, cutoff=cutoff)


def paid_spend_between(prepared: Prepared, start: float, end: float) -> np.ndarray:
    """Paid spend per contact in (start, end]."""
    mask = prepared.order_paid & (prepared.order_day > start) & (prepared.order_day <= end)
    return _count(prepared.order_pos, mask, prepared.n, prepared.order_amount)


def orders_between(prepared: Prepared, start: float, end: float) -> np.ndarray:
    """Counted orders per contact in (start, end]."""
    mask = prepared.order_counted & (prepared.order_day > start) & (prepared.order_day <= end)
    return _count(prepared.order_pos, mask, prepared.n)


def design_matrix(frame: pd.DataFrame, columns: list[str], logs: set[str]) -> np.ndarray:
    """float64 matrix of ``columns`` with log1p on those in ``logs`` (negative values kept signed)."""
    out = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, name in enumerate(columns):
        values = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        out[:, j] = np.sign(values) * np.log1p(np.abs(values)) if name in logs else values
    return out


def describe_features(specs: dict[str, FeatureSpec]) -> dict[str, str]:
    return {name: spec.description for name, spec in specs.items()}
