"""Undoing an import: created contacts removed, updated contacts restored, created accounts removed.

Only what nobody has touched since is undone, so an undo never destroys later work:
- an updated contact is restored only if its version is still the one the import left;
- a created contact is removed only if it is unedited (version 1) and nothing refers to it: no
  order, interaction, deal, task, ticket, email ... (every foreign key to the contacts table is
  checked from the database catalogue, so tables added by later apps count too). Derived rows
  (scores, score snapshots, duplicate candidates, static-list memberships) go with it;
- a created account is removed only if nothing refers to it any more.
What was kept is counted and said on the result page. All of it is set-wise SQL in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from imports.rows import BOOLEAN_FIELDS, TEXT_FIELDS

# Rows derived from a contact that do not make it "used": removed together with the contact.
DERIVED_TABLES = {"analytics_contactscore", "analytics_scoresnapshot", "customers_duplicatecandidate",
                  "campaigns_staticlistmember"}  # fmt: skip
RESTORED_COLUMNS = [
    *[name for name in TEXT_FIELDS if name != "account"], *BOOLEAN_FIELDS, "account_id", "tags", "custom_fields",
    "email_consent_at", "email_consent_source", "sms_consent_at", "sms_consent_source",
]  # fmt: skip


@dataclass
class UndoResult:
    restored: int = 0
    removed: int = 0
    kept_edited: int = 0
    kept_in_use: int = 0
    accounts_removed: int = 0


def _references(cursor: object, table: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key pointing at ``table``."""
    cursor.execute(  # type: ignore[attr-defined]
        """SELECT k.conrelid::regclass::text, a.attname FROM pg_constraint k
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        WHERE k.contype = 'f' AND k.confrelid = %s::regclass""",
        [table],
    )
    return [(str(name).strip('"'), str(column)) for name, column in cursor.fetchall()]  # type: ignore[attr-defined]


def _unused(alias: str, references: list[tuple[str, str]], *, skip: set[str]) -> str:
    clauses = [f'NOT EXISTS (SELECT 1 FROM "{table}" x WHERE x."{column}" = {alias}.id)'
               for table, column in references if table not in skip]  # fmt: skip
    return " AND ".join(clauses) or "TRUE"


@transaction.atomic
def undo_import_changes(*, tenant_id: int, import_id: int, user_id: int | None) -> UndoResult:
    result = UndoResult()
    now = timezone.now()
    with connection.cursor() as cursor:
        params = {"tenant": tenant_id, "import": import_id, "user": user_id, "now": now}
        sets = ", ".join(f"{name} = r.{name}" for name in RESTORED_COLUMNS)
        cursor.execute(
            f"""UPDATE customers_contact c SET {sets}, version = c.version + 1, updated_at = %(now)s,
                updated_by_id = %(user)s
            FROM imports_importchange ch, jsonb_populate_record(NULL::customers_contact, ch.before) r
            WHERE ch.contact_import_id = %(import)s AND ch.tenant_id = %(tenant)s AND ch.kind = 'contact_updated'
              AND c.id = ch.record_id AND c.tenant_id = %(tenant)s AND c.version = ch.version_after""",
            params,
        )
        result.restored = cursor.rowcount
        cursor.execute(
            "SELECT count(*) FROM imports_importchange WHERE contact_import_id = %(import)s AND tenant_id = %(tenant)s "
            "AND kind = 'contact_updated'",
            params,
        )
        result.kept_edited = cursor.fetchone()[0] - result.restored

        already_gone = _gone(cursor, params)
        references = _references(cursor, "customers_contact")
        cursor.execute(
            f"""CREATE TEMP TABLE undo_contacts ON COMMIT DROP AS
            SELECT c.id FROM customers_contact c JOIN imports_importchange ch ON c.id = ch.record_id
            WHERE ch.contact_import_id = %(import)s AND ch.tenant_id = %(tenant)s AND ch.kind = 'contact_created'
              AND c.tenant_id = %(tenant)s AND c.version = 1 AND {_unused("c", references, skip=DERIVED_TABLES)}""",
            params,
        )
        for table, column in references:
            if table in DERIVED_TABLES:
                cursor.execute(f'DELETE FROM "{table}" WHERE "{column}" IN (SELECT id FROM undo_contacts)')
        cursor.execute("DELETE FROM customers_contact WHERE id IN (SELECT id FROM undo_contacts)")
        result.removed = cursor.rowcount
        cursor.execute(
            "SELECT count(*) FROM imports_importchange WHERE contact_import_id = %(import)s AND tenant_id = %(tenant)s "
            "AND kind = 'contact_created'",
            params,
        )
        created = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM imports_importchange ch JOIN customers_contact c ON c.id = ch.record_id
            WHERE ch.contact_import_id = %(import)s AND ch.tenant_id = %(tenant)s AND ch.kind = 'contact_created'
              AND c.version > 1""",
            params,
        )
        edited_new = cursor.fetchone()[0]
        result.kept_edited += edited_new
        result.kept_in_use = created - result.removed - edited_new - already_gone

        account_refs = _references(cursor, "customers_account")
        cursor.execute(
            f"""DELETE FROM customers_account a USING imports_importchange ch
            WHERE ch.contact_import_id = %(import)s AND ch.tenant_id = %(tenant)s AND ch.kind = 'account_created'
              AND a.id = ch.record_id AND a.tenant_id = %(tenant)s AND a.version = 1
              AND {_unused("a", account_refs, skip=set())}""",
            params,
        )
        result.accounts_removed = cursor.rowcount
    return result


def _gone(cursor: object, params: dict[str, Any]) -> int:
    """Created contacts already deleted by someone before the undo (nothing left to do for them)."""
    cursor.execute(  # type: ignore[attr-defined]
        """SELECT count(*) FROM imports_importchange ch
        WHERE ch.contact_import_id = %(import)s AND ch.tenant_id = %(tenant)s AND ch.kind = 'contact_created'
          AND NOT EXISTS (SELECT 1 FROM customers_contact c WHERE c.id = ch.record_id)""",
        params,
    )
    return int(cursor.fetchone()[0])  # type: ignore[attr-defined]
