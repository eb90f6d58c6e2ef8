"""Create the owner and runtime roles and the database on an existing PostgreSQL server.

Usage: DATABASE_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres manage.py bootstrap_db

The role names and passwords come from DATABASE_OWNER_URL and DATABASE_URL, the
database name from DATABASE_URL. Safe to run repeatedly. Not needed with the
embedded database, which bootstraps itself.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.db.roles import DatabaseRoles, ensure_roles_and_database
from crm.settings import env


class Command(BaseCommand):
    help = "Create the CRM's owner and runtime database roles and its database (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--admin-url", help="A superuser URL; defaults to DATABASE_ADMIN_URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.EMBEDDED_DATABASE:
            self.stdout.write("Embedded database: roles and database are created automatically.")
            return
        admin_url = options["admin_url"] or env.read_str("DATABASE_ADMIN_URL", default="")
        if not admin_url:
            raise CommandError("Pass --admin-url or set DATABASE_ADMIN_URL to a role that may create roles.")
        runtime, owner = settings.DATABASES["default"], settings.DATABASES["owner"]
        if runtime["NAME"] != owner["NAME"]:
            raise CommandError("DATABASE_URL and DATABASE_OWNER_URL must name the same database.")
        roles = DatabaseRoles(
            owner=owner["USER"],
            runtime=runtime["USER"],
            owner_password=owner.get("PASSWORD") or "",
            runtime_password=runtime.get("PASSWORD") or "",
        )
        if roles.owner == roles.runtime:
            raise CommandError("DATABASE_URL and DATABASE_OWNER_URL must use two different roles.")
        try:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                ensure_roles_and_database(admin, roles=roles, database=runtime["NAME"])
        except psycopg.Error as error:
            raise CommandError(f"Could not bootstrap the database with DATABASE_ADMIN_URL: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Roles {roles.owner} (owner) and {roles.runtime} (runtime); database {runtime['NAME']}."
            )
        )
