"""The two database roles: an owner that runs migrations, a runtime role for the app.

The runtime role must never be a superuser nor hold BYPASSRLS, because either
would switch off row-level security, the second wall between tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import sql


class UnsafeDatabaseRole(RuntimeError):
    """The app's runtime connection could read across tenants; refuse to run."""


@dataclass(frozen=True)
class DatabaseRoles:
    owner: str
    runtime: str
    owner_password: str = ""
    runtime_password: str = ""


def ensure_roles_and_database(admin: Any, *, roles: DatabaseRoles, database: str) -> None:
    """Create both roles and the database if missing (idempotent).

    ``admin`` is an autocommit psycopg connection of a role allowed to create roles
    and databases (the embedded server's superuser, or DATABASE_ADMIN_URL).
    """
    _ensure_role(admin, roles.owner, roles.owner_password, "LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
    _ensure_role(admin, roles.runtime, roles.runtime_password, "LOGIN NOCREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
    if not exists:
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(database), sql.Identifier(roles.owner)
            )
        )
    # The owner's test databases are created from template1; the runtime role only
    # needs CONNECT and USAGE, which PUBLIC already has.
    admin.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(roles.runtime))
    )


def _ensure_role(admin: Any, name: str, password: str, attributes: str) -> None:
    exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(f"{verb} ROLE {{}} WITH {attributes}").format(sql.Identifier(name))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    admin.execute(statement)


def assert_runtime_role_is_safe(cursor: Any) -> None:
    """Raise UnsafeDatabaseRole if the connected role can bypass row-level security."""
    cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    user, is_superuser, bypasses_rls = cursor.fetchone()
    if is_superuser or bypasses_rls:
        reason = "a superuser" if is_superuser else "allowed to BYPASSRLS"
        raise UnsafeDatabaseRole(
            f"The runtime database role {user!r} is {reason}, so row-level security would not "
            "isolate tenants. Point DATABASE_URL at a role without SUPERUSER and BYPASSRLS "
            "(see README, Configuration); migrations use DATABASE_OWNER_URL."
        )


def grant_runtime_privileges(cursor: Any, *, runtime_role: str, append_only_tables: list[str]) -> None:
    """Give the runtime role DML on every table; append-only tables get INSERT and SELECT only."""
    role = sql.Identifier(runtime_role)
    cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    cursor.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role))
    cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
    for table in append_only_tables:
        cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), role))
