"""Drop foreign keys and secondary indexes for a bulk load, and put them back exactly as they were.

Why (measured on 2 cores, docs/benchmarks.md): Django's foreign keys are DEFERRABLE INITIALLY
DEFERRED, so every inserted order queues three row-by-row RI checks that run at COMMIT (about
4 µs each: 2M orders took 25 s at commit), and five secondary btree indexes are maintained one
random insert at a time. Rebuilding the indexes with a sort and validating each key with one
anti-join is several times faster. Only the table owner may do this, so the bulk strategy runs
on the "owner" connection, inside one transaction: a failure rolls the DDL back with the data.

Two traps, both handled here:
- The owner is subject to FORCE ROW LEVEL SECURITY too, and the validation query of
  ``ADD FOREIGN KEY`` obeys it: with ``app.tenant_id`` unset it sees no rows and "validates"
  nothing. FORCE is lifted for the validation only, and checked to be back before commit.
- ``ALTER TABLE`` fails on a table with pending deferred trigger events, so the keys are
  dropped before any row is written in the transaction.

Everything takes ACCESS EXCLUSIVE locks on the tables for the whole transaction (with a lock
timeout), so this is for seeding a demo or benchmark database, not a busy shared one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg import sql

Timer = Callable[[str], AbstractContextManager[None]]


class RowLevelSecurityNotRestored(RuntimeError):
    """FORCE ROW LEVEL SECURITY is off on a tenant table; the transaction must not commit."""


@contextmanager
def keys_and_indexes_deferred(
    cursor: Any, *, tables: Sequence[str], drop_indexes: bool, timer: Timer
) -> Iterator[None]:
    """Inside a transaction: drop the foreign keys from and to ``tables`` (and their non-unique
    indexes if ``drop_indexes``) for the block, then recreate them from their saved definitions."""
    cursor.execute("SET LOCAL lock_timeout = '15s'")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.confrelid::regclass::text
        FROM pg_constraint c
        WHERE c.contype = 'f' AND (c.conrelid = ANY(%s::regclass[]) OR c.confrelid = ANY(%s::regclass[]))
        ORDER BY 1, 2""",
        [list(tables), list(tables)],
    )
    keys: list[tuple[str, str, str, str]] = cursor.fetchall()
    indexes: list[tuple[str, str]] = []
    if drop_indexes:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1""",
            [list(tables)],
        )
        indexes = cursor.fetchall()
    with timer("drop keys and indexes"):
        for table, name, _, _ in keys:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
        for index, _ in indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))

    yield

    with timer("rebuild indexes"):
        for _, definition in indexes:
            cursor.execute(definition)
    with timer("validate keys"):
        _add_keys_validated(cursor, keys)


def _add_keys_validated(cursor: Any, keys: list[tuple[str, str, str, str]]) -> None:
    if not keys:
        return
    involved = sorted({table for table, _, _, _ in keys} | {referenced for _, _, _, referenced in keys})
    cursor.execute(
        "SELECT oid::regclass::text FROM pg_class WHERE oid = ANY(%s::regclass[]) AND relforcerowsecurity",
        [involved],
    )
    forced = [row[0] for row in cursor.fetchall()]
    for table in forced:
        cursor.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
    for table, name, definition, _ in keys:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    for table in forced:
        cursor.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(sql.SQL(table)))
    cursor.execute(
        "SELECT oid::regclass::text FROM pg_class WHERE oid = ANY(%s::regclass[]) AND NOT relforcerowsecurity",
        [forced],
    )
    if unforced := [row[0] for row in cursor.fetchall()]:
        raise RowLevelSecurityNotRestored(f"FORCE ROW LEVEL SECURITY is off on {', '.join(unforced)}.")
