"""The set-wise part of an import: a TEMP staging table filled with COPY, classified in SQL, merged in chunks.

1. ``stage_rows``: every row, cleaned in Python (imports/rows.py), goes into the session's TEMP
   table ``import_stage`` through one COPY; a rejected row keeps its reasons as JSON.
2. ``classify``: duplicates inside the file (first row wins), matching (external id + source system,
   else email, else phone for rows without an email) by JOIN, the mode's rules, and "update" vs
   "unchanged" by comparing with the stored contact, all as UPDATE statements over the whole table.
3. ``write_chunk``: for rows in (start, end]: accounts by name (created if new), INSERT ... SELECT of
   new contacts, UPDATE ... FROM of changed ones (version + 1, updated_by, updated_at, as
   customers/services.py does), and the rejected rows for the report. Each created account and contact
   and each updated contact's previous values are logged in ``imports_importchange`` by the same
   statements, so an import can be undone (imports/undo.py).

The dry run does 1 and 2 and counts; the real run does 1, 2 and then 3 chunk by chunk, so the
preview's totals come from the same statements. Every statement names the tenant, and row-level
security applies underneath (the TEMP table itself holds only this import's rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from imports.rows import BOOLEAN_FIELDS, TEXT_FIELDS, CleanRow

STAGE = "import_stage"
STAGE_COLUMNS = [
    "row_no",
    *TEXT_FIELDS,
    *BOOLEAN_FIELDS,
    "tags",
    "custom",
    "missing_required",
    "has_identity",
    "errors",
]
ACTIONS = ("create", "update", "unchanged", "reject")

_CREATE_STAGE = f"""
CREATE TEMP TABLE {STAGE} (
    row_no integer PRIMARY KEY,
    {", ".join(f"{name} text" for name in TEXT_FIELDS)},
    {", ".join(f"{name} boolean" for name in BOOLEAN_FIELDS)},
    tags jsonb,
    custom jsonb,
    missing_required text NOT NULL DEFAULT '',
    has_identity boolean NOT NULL DEFAULT false,
    errors jsonb,
    action text,
    contact_id bigint,
    matched_by text,
    account_id bigint
) ON COMMIT PRESERVE ROWS
"""


def _reject(where: str, column: str, value: str, reason: str) -> str:
    """An UPDATE marking rows rejected with one reason; ``reason`` may contain {row} (filled from r.first_row)."""
    first_row = "r.first_row::text" if where.startswith("FROM r ") else "''"  # duplicates name their first row
    return f"""
    UPDATE {STAGE} s SET action = 'reject',
        errors = jsonb_build_array(jsonb_build_object('column', {column}, 'value', coalesce({value}, ''),
                                                      'reason', replace({reason}, '{{row}}', {first_row})))
    {where}
    """


def stage_rows(cursor: Any, rows: Iterable[CleanRow]) -> int:
    """(Re)create the staging table and COPY ``rows`` into it; returns how many rows were staged."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(_CREATE_STAGE)
    count = 0
    with cursor.cursor.copy(f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    row.number,
                    *(row.values.get(name) for name in TEXT_FIELDS),
                    *(row.values.get(name) for name in BOOLEAN_FIELDS),
                    None if row.tags is None else json.dumps(row.tags),
                    None if row.custom is None else json.dumps(row.custom),
                    row.missing_required,
                    row.has_identity,
                    json.dumps([error.as_json() for error in row.errors]) if row.errors else None,
                ]
            )
            count += 1
    cursor.execute(f"UPDATE {STAGE} SET action = 'reject' WHERE errors IS NOT NULL")
    cursor.execute(f"ANALYZE {STAGE}")
    return count


def drop_stage(cursor: Any) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")


def classify(
    cursor: Any, *, tenant_id: int, mode: str, labels: dict[str, str], owners: tuple[int, ...] | None = None
) -> None:
    """Decide every staged row's action: create, update, unchanged or reject (with its reason).

    ``owners``: the importing user's record visibility (crm/visibility.py); contacts they cannot see
    are never matched, so an import can neither change them nor reveal that they exist."""
    visible = "" if owners is None else " AND c.owner_id = ANY(%(owners)s)"
    params: dict[str, Any] = {
        "owners": list(owners or []),
        "tenant": tenant_id,
        "external_label": labels.get("external_id", ""),
        "email_label": labels.get("email", ""),
        "phone_label": labels.get("phone", ""),
    }
    # Duplicates inside the file: the first row with a key wins, later ones are rejected.
    for key, value, label, reason, condition in (
        ("source_system, external_id", "s.external_id", "%(external_label)s",
         _("The same external id as row {row}; only the first is imported."), "external_id IS NOT NULL"),
        ("email", "s.email", "%(email_label)s",
         _("The same email as row {row}; only the first is imported."), "email IS NOT NULL"),
        ("phone", "s.phone", "%(phone_label)s",
         _("The same phone number as row {row} and no email; only the first is imported."),
         "phone IS NOT NULL AND email IS NULL AND external_id IS NULL"),
    ):  # fmt: skip
        params["reason"] = reason
        cursor.execute(
            f"WITH r AS (SELECT row_no, min(row_no) OVER (PARTITION BY {key}) AS first_row FROM {STAGE} "
            f"           WHERE action IS NULL AND {condition})"
            + _reject("FROM r WHERE r.row_no = s.row_no AND r.first_row <> s.row_no", label, value, "%(reason)s::text"),
            params,
        )
    # Matching: by external id and source system, else by email, else (rows without an email) by phone.
    cursor.execute(
        f"""UPDATE {STAGE} s SET contact_id = c.id, matched_by = 'external_id'
        FROM customers_contact c
        WHERE s.action IS NULL AND s.external_id IS NOT NULL AND c.tenant_id = %(tenant)s
          AND c.external_id = s.external_id AND c.source_system = s.source_system{visible}""",
        params,
    )
    for column, condition in (("email", "TRUE"), ("phone", "s.email IS NULL")):
        cursor.execute(
            f"""UPDATE {STAGE} s SET contact_id = m.id, matched_by = '{column}'
            FROM (SELECT DISTINCT ON (c.{column}) c.{column} AS key, c.id FROM customers_contact c
                  WHERE c.tenant_id = %(tenant)s{visible}
                    AND c.{column} IN (SELECT {column} FROM {STAGE} WHERE {column} IS NOT NULL)
                  ORDER BY c.{column}, c.id) m
            WHERE s.action IS NULL AND s.contact_id IS NULL AND s.{column} = m.key AND {condition}""",
            params,
        )
    params["reason"] = _("This row matches the same contact as row {row}; only the first is imported.")
    cursor.execute(
        f"WITH r AS (SELECT row_no, min(row_no) OVER (PARTITION BY contact_id) AS first_row FROM {STAGE} "
        f"           WHERE action IS NULL AND contact_id IS NOT NULL)"
        + _reject("FROM r WHERE r.row_no = s.row_no AND r.first_row <> s.row_no", "''", "''", "%(reason)s::text"),
        params,
    )
    matched_column = (
        "CASE s.matched_by WHEN 'email' THEN %(email_label)s::text WHEN 'phone' THEN %(phone_label)s::text "
        "ELSE %(external_label)s::text END"
    )
    matched_value = "CASE s.matched_by WHEN 'email' THEN s.email WHEN 'phone' THEN s.phone ELSE s.external_id END"
    if mode == "create":
        params["reason"] = _("A contact with this value already exists; this import only creates new contacts.")
        cursor.execute(
            _reject(
                "WHERE s.action IS NULL AND s.contact_id IS NOT NULL", matched_column, matched_value, "%(reason)s::text"
            ),
            params,
        )
    if mode == "update":
        params["reason"] = _("No contact has this external id, email or phone; this import only updates contacts.")
        cursor.execute(
            _reject("WHERE s.action IS NULL AND s.contact_id IS NULL", "''", "''", "%(reason)s::text"), params
        )
    params["reason"] = _("A new contact needs a first name, last name or email address.")
    cursor.execute(
        _reject(
            "WHERE s.action IS NULL AND s.contact_id IS NULL AND NOT s.has_identity", "''", "''", "%(reason)s::text"
        ),
        params,
    )
    params["reason"] = _("{field} is required for new contacts.").replace("{field}", "{row}")
    cursor.execute(
        _reject(
            "WHERE s.action IS NULL AND s.contact_id IS NULL AND s.missing_required <> ''",
            "s.missing_required",
            "''",
            "replace(%(reason)s::text, '{row}', s.missing_required)",
        ),
        params,
    )
    _resolve_accounts(cursor, tenant_id=tenant_id, where="s.account IS NOT NULL AND s.account_id IS NULL")
    cursor.execute(f"UPDATE {STAGE} SET action = 'create' WHERE action IS NULL AND contact_id IS NULL")
    cursor.execute(
        f"""UPDATE {STAGE} s SET action = CASE WHEN {_changed()} THEN 'update' ELSE 'unchanged' END
        FROM customers_contact c
        WHERE s.action IS NULL AND c.id = s.contact_id AND c.tenant_id = %(tenant)s""",
        params,
    )


def _changed() -> str:
    """True when a staged row would change its matched contact ``c``."""
    plain = [name for name in TEXT_FIELDS if name not in ("account", "birthday")]
    tests = [f"(s.{name} IS NOT NULL AND s.{name} IS DISTINCT FROM c.{name})" for name in plain]
    tests += [f"(s.{name} IS NOT NULL AND s.{name} IS DISTINCT FROM c.{name})" for name in BOOLEAN_FIELDS]
    tests += [
        "(s.birthday IS NOT NULL AND s.birthday::date IS DISTINCT FROM c.birthday)",
        "(s.account IS NOT NULL AND (s.account_id IS NULL OR s.account_id IS DISTINCT FROM c.account_id))",
        "(s.tags IS NOT NULL AND NOT (c.tags @> ARRAY(SELECT jsonb_array_elements_text(s.tags))::varchar(40)[]))",
        "(s.custom IS NOT NULL AND NOT (c.custom_fields @> s.custom))",
    ]
    return " OR ".join(tests)


def _resolve_accounts(cursor: Any, *, tenant_id: int, where: str, params: dict[str, Any] | None = None) -> None:
    """Link staged rows to existing accounts by case-insensitive name (the oldest one if names repeat)."""
    cursor.execute(
        f"""UPDATE {STAGE} s SET account_id = a.id
        FROM (SELECT DISTINCT ON (name_key) name_key, id FROM customers_account
              WHERE tenant_id = %(tenant)s
                AND name_key IN (SELECT lower(s.account) COLLATE "C" FROM {STAGE} s WHERE {where})
              ORDER BY name_key, id) a
        WHERE {where} AND lower(s.account) COLLATE "C" = a.name_key""",
        {"tenant": tenant_id, **(params or {})},
    )


def totals(cursor: Any) -> dict[str, int]:
    cursor.execute(f"SELECT action, count(*) FROM {STAGE} GROUP BY action")
    counts = dict.fromkeys(ACTIONS, 0)
    counts.update({action: count for action, count in cursor.fetchall() if action in counts})
    cursor.execute(
        f"SELECT count(DISTINCT lower(account)) FROM {STAGE} "
        "WHERE action IN ('create', 'update') AND account IS NOT NULL AND account_id IS NULL"
    )
    counts["new_accounts"] = cursor.fetchone()[0]
    counts["rows"] = sum(counts[action] for action in ACTIONS)
    return counts


def outcomes(cursor: Any, *, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` rows' actions and reasons, for the preview."""
    cursor.execute(f"SELECT row_no, action, errors FROM {STAGE} ORDER BY row_no LIMIT %s", [limit])
    return [
        {"row": row_no, "action": action, "errors": _json(errors) or []} for row_no, action, errors in cursor.fetchall()
    ]


def _json(value: Any) -> Any:
    """Django's cursor returns jsonb as text (it parses JSON only for model fields)."""
    return json.loads(value) if isinstance(value, str) else value


def rejections(cursor: Any, *, limit: int) -> list[dict[str, Any]]:
    cursor.execute(
        f"SELECT s.row_no, e->>'column', e->>'value', e->>'reason' FROM {STAGE} s "
        "CROSS JOIN LATERAL jsonb_array_elements(s.errors) e WHERE s.action = 'reject' ORDER BY s.row_no LIMIT %s",
        [limit],
    )
    return [
        {"row": row_no, "column": column or "", "value": value or "", "reason": reason}
        for row_no, column, value, reason in cursor.fetchall()
    ]


def next_chunk_end(cursor: Any, *, after: int, size: int) -> int | None:
    cursor.execute(
        f"SELECT max(row_no) FROM (SELECT row_no FROM {STAGE} WHERE row_no > %s ORDER BY row_no LIMIT %s) chunk",
        [after, size],
    )
    return cursor.fetchone()[0]


def write_chunk(
    cursor: Any, *, tenant_id: int, import_id: int, user_id: int | None, start: int, end: int, now: datetime
) -> dict[str, int]:
    """Write rows in (start, end]: accounts, new contacts, changed contacts, rejected rows. Returns counts."""
    params: dict[str, Any] = {
        "tenant": tenant_id, "import": import_id, "user": user_id, "start": start, "end": end, "now": now,
    }  # fmt: skip
    in_chunk = "s.row_no > %(start)s AND s.row_no <= %(end)s"
    # Accounts named in this chunk that did not exist when the import was classified: first those an
    # earlier chunk created, then the rest are created (once per name) and linked from RETURNING.
    unresolved = f"{in_chunk} AND s.account IS NOT NULL AND s.account_id IS NULL"
    _resolve_accounts(cursor, tenant_id=tenant_id, where=unresolved, params=params)
    cursor.execute(
        f"""WITH created AS (
            INSERT INTO customers_account (tenant_id, name, industry, website, phone, street, city, region,
                postal_code, country, external_id, source_system, custom_fields, created_at, updated_at, version,
                updated_by_id, owner_id)
            SELECT %(tenant)s, n.account, '', '', '', '', '', '', '', '', '', '', '{{}}', %(now)s, %(now)s, 1,
                %(user)s, %(user)s
            FROM (SELECT DISTINCT ON (lower(s.account) COLLATE "C") s.account FROM {STAGE} s
                  WHERE {unresolved} AND s.action IN ('create', 'update')
                  ORDER BY lower(s.account) COLLATE "C", s.row_no) n
            RETURNING id, name_key),
        logged AS (
            INSERT INTO imports_importchange (tenant_id, contact_import_id, kind, record_id)
            SELECT %(tenant)s, %(import)s, 'account_created', id FROM created)
        UPDATE {STAGE} s SET account_id = created.id FROM created
        WHERE {unresolved} AND lower(s.account) COLLATE "C" = created.name_key""",
        params,
    )
    cursor.execute(
        f"""WITH created AS (INSERT INTO customers_contact (tenant_id, first_name, last_name, email, phone, title,
            account_id, owner_id, lifecycle_stage, source, preferred_channel, street, city, region, postal_code,
            country, birthday, tags, email_consent, email_consent_at, email_consent_source, sms_consent, sms_consent_at,
            sms_consent_source, external_id, source_system, custom_fields, created_at, updated_at, version,
            updated_by_id)
        SELECT %(tenant)s, coalesce(s.first_name, ''), coalesce(s.last_name, ''), coalesce(s.email, ''),
            coalesce(s.phone, ''), coalesce(s.title, ''), s.account_id, %(user)s,
            coalesce(s.lifecycle_stage, 'lead'), coalesce(s.source, ''), coalesce(s.preferred_channel, ''),
            coalesce(s.street, ''), coalesce(s.city, ''), coalesce(s.region, ''), coalesce(s.postal_code, ''),
            coalesce(s.country, ''), s.birthday::date,
            coalesce(ARRAY(SELECT jsonb_array_elements_text(s.tags))::varchar(40)[], '{{}}'),
            coalesce(s.email_consent, false), CASE WHEN s.email_consent THEN %(now)s END,
            CASE WHEN s.email_consent THEN 'import' ELSE '' END,
            coalesce(s.sms_consent, false), CASE WHEN s.sms_consent THEN %(now)s END,
            CASE WHEN s.sms_consent THEN 'import' ELSE '' END,
            coalesce(s.external_id, ''), coalesce(s.source_system, ''), coalesce(s.custom, '{{}}'),
            %(now)s, %(now)s, 1, %(user)s
        FROM {STAGE} s WHERE {in_chunk} AND s.action = 'create' ORDER BY s.row_no
        RETURNING id)
        INSERT INTO imports_importchange (tenant_id, contact_import_id, kind, record_id, version_after)
        SELECT %(tenant)s, %(import)s, 'contact_created', id, 1 FROM created""",
        params,
    )
    # The contacts about to change, as they are: what an undo restores.
    cursor.execute(
        f"""INSERT INTO imports_importchange (tenant_id, contact_import_id, kind, record_id, before, version_after)
        SELECT %(tenant)s, %(import)s, 'contact_updated', c.id, to_jsonb(c), c.version + 1
        FROM customers_contact c JOIN {STAGE} s ON c.id = s.contact_id
        WHERE c.tenant_id = %(tenant)s AND {in_chunk} AND s.action = 'update'""",
        params,
    )
    keep = [name for name in TEXT_FIELDS if name not in ("account", "birthday")] + BOOLEAN_FIELDS
    consent = [
        f"""{channel}_consent_at = CASE WHEN s.{channel}_consent AND NOT c.{channel}_consent THEN %(now)s
                WHEN s.{channel}_consent = false THEN NULL ELSE c.{channel}_consent_at END,
            {channel}_consent_source = CASE WHEN s.{channel}_consent AND NOT c.{channel}_consent THEN 'import'
                WHEN s.{channel}_consent = false THEN '' ELSE c.{channel}_consent_source END"""
        for channel in ("email", "sms")
    ]
    cursor.execute(
        f"""UPDATE customers_contact c SET
            {", ".join(f"{name} = coalesce(s.{name}, c.{name})" for name in keep)},
            {", ".join(consent)},
            account_id = CASE WHEN s.account IS NOT NULL THEN s.account_id ELSE c.account_id END,
            birthday = coalesce(s.birthday::date, c.birthday),
            tags = CASE WHEN s.tags IS NULL THEN c.tags ELSE c.tags || ARRAY(
                SELECT t FROM jsonb_array_elements_text(s.tags) t WHERE NOT (t = ANY(c.tags)))::varchar(40)[] END,
            custom_fields = c.custom_fields || coalesce(s.custom, '{{}}'),
            version = c.version + 1, updated_by_id = %(user)s, updated_at = %(now)s
        FROM {STAGE} s
        WHERE c.id = s.contact_id AND c.tenant_id = %(tenant)s AND {in_chunk} AND s.action = 'update'""",
        params,
    )
    cursor.execute(
        f"""INSERT INTO imports_importrejection (tenant_id, contact_import_id, row_number, "column", value, reason)
        SELECT %(tenant)s, %(import)s, s.row_no, coalesce(e->>'column', ''), coalesce(e->>'value', ''), e->>'reason'
        FROM {STAGE} s CROSS JOIN LATERAL jsonb_array_elements(s.errors) e
        WHERE {in_chunk} AND s.action = 'reject' ORDER BY s.row_no""",
        params,
    )
    cursor.execute(f"SELECT s.action, count(*) FROM {STAGE} s WHERE {in_chunk} GROUP BY s.action", params)
    counts = dict.fromkeys(ACTIONS, 0)
    counts.update(dict(cursor.fetchall()))
    return counts
