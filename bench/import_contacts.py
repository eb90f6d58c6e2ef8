#!/usr/bin/env python
"""Benchmark: the contact import (issue 5, item 1) against a plain COPY of the same file.

    .venv/bin/python bench/import_contacts.py [--rows 100000] [--existing 0.2] [--keep-file]

Runs against a scratch database ``crm_bench_imports`` on the system PostgreSQL (127.0.0.1:5432,
trust auth), recreated with bootstrap_db + migrate, with one tenant and one admin. A CSV of
``--rows`` contacts is generated (Google Contacts headers; about 1% invalid emails, 1% repeated
emails, a share ``--existing`` of the emails already in the CRM so they are updates). Measured in
the same run, as the runtime role under row-level security:

1. baseline: ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the file into a plain, unindexed table;
2. the import's dry run (stage with COPY, normalise in Python, classify in SQL);
3. the import itself (stage + classify again, then chunked INSERT ... SELECT / UPDATE ... FROM).

Prints rows per second of each. Not part of the tests; the machine is shared, so keep ``--rows``
modest there (the default is 100,000; do not run 1M on a shared 2-core box).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "crm_bench_imports"
HOST = "127.0.0.1:5432"
ADMIN_URL = os.environ.get("BENCH_DATABASE_ADMIN_URL", f"postgres://postgres@{HOST}/postgres")

os.environ.update(
    DEBUG="true",
    DATABASE_URL=f"postgres://crm_app@{HOST}/{DATABASE}",
    DATABASE_OWNER_URL=f"postgres://crm_owner@{HOST}/{DATABASE}",
    DATABASE_ADMIN_URL=ADMIN_URL,
    DJANGO_SETTINGS_MODULE="crm.settings.base",
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()
django.conf.settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-imports-")  # uploads stay out of the project

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from crm.models import Membership, Tenant, User  # noqa: E402
from crm.roles import Role  # noqa: E402
from crm.tenancy.context import tenant_context  # noqa: E402
from imports import services  # noqa: E402
from imports.models import ContactImport, ImportStatus  # noqa: E402

HEADER = "Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value,Organization 1 - Name,Organization 1 - Title,Labels"
FIRST = ["Ann", "Bo", "Carla", "Dan", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "王", "李"]
LAST = ["Lee", "Chan", "Diaz", "Okafor", "Petrova", "Haddad", "Smith", "Tanaka", "Silva", "Berg", "小明", "娜"]


def recreate_database() -> None:
    connections.close_all()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    call_command("bootstrap_db", verbosity=0, stdout=io.StringIO())
    call_command("migrate", verbosity=0, interactive=False)


def generate(path: Path, rows: int, existing: float, rng: random.Random) -> list[str]:
    """Write the CSV; returns the emails that should already exist in the CRM."""
    already = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            email = f"person{n}@example.org"
            if rng.random() < 0.01:
                email = f"person{n}@@broken"
            elif n and rng.random() < 0.01:
                email = f"person{n - 1}@example.org"  # the same person twice
            elif rng.random() < existing:
                already.append(email)
            phone = f"+1 202 555 {rng.randrange(100, 199):04d}" if rng.random() < 0.5 else ""
            first, last = rng.choice(FIRST), rng.choice(LAST)
            out.write(f'{first},{last},{email},{phone},Company {n % 2000},Buyer,"vip, fair"\n')
    return already


def _untimed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    return execute(sql, params, many, context)


def _timed(totals: dict[str, float]) -> Any:
    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:100]
            totals[key] = totals.get(key, 0.0) + perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=float, default=0.2, help="share of rows whose email is already a contact")
    parser.add_argument("--keep-file", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print the slowest statements of the run")
    args = parser.parse_args()

    print(f"recreating {DATABASE} ...", flush=True)
    recreate_database()
    tenant = Tenant.objects.create(name="Bench Co", slug="bench", country="US")
    user = User.objects.create_user(email="admin@bench.example", password="bench-password-2026", full_name="Bench")  # noqa: S106
    Membership.objects.create(user=user, tenant=tenant, role=Role.ADMIN)

    folder = Path(tempfile.mkdtemp(prefix="bench-import-file-"))
    path = folder / "contacts.csv"
    already = generate(path, args.rows, args.existing, random.Random(2026))  # noqa: S311 (reproducible data)
    size = path.stat().st_size
    print(f"{args.rows:,} rows, {size / 1e6:.1f} MB; {len(already):,} emails already in the CRM", flush=True)

    # COPY FROM is refused on tables under row-level security, so the existing contacts go in with INSERT.
    with tenant_context(tenant.id), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_contact (tenant_id, email, first_name, last_name, phone, title, lifecycle_stage, "
            "source, city, country, email_consent, sms_consent, external_id, source_system, custom_fields, "
            "created_at, updated_at) "
            "SELECT %s, email, 'Old', 'Name', '', '', 'lead', '', '', '', false, false, '', '', '{}', now(), now() "
            "FROM unnest(%s::text[]) AS email",
            [tenant.id, already],
        )
    with connections["owner"].cursor() as cursor:  # only the owner may ANALYZE; fresh statistics, as in production
        cursor.execute("ANALYZE customers_contact, customers_account")
    with tenant_context(tenant.id), connection.cursor() as cursor:
        # The baseline's table: plain, unindexed, and (like the import's staging table) TEMP.
        cursor.execute("CREATE TEMP TABLE bench_plain_copy (a text, b text, c text, d text, e text, f text, g text)")

    # 1. Baseline: COPY of the same file into a plain table.
    started = perf_counter()
    with (
        tenant_context(tenant.id),
        connection.cursor() as cursor,
        path.open("rb") as stream,
        cursor.cursor.copy("COPY bench_plain_copy FROM STDIN (FORMAT csv, HEADER)") as copy,
    ):
        while block := stream.read(1 << 20):
            copy.write(block)
    copy_seconds = perf_counter() - started

    with tenant_context(tenant.id):
        contact_import = services.contact_import_create(
            tenant=tenant, upload=SimpleUploadedFile("contacts.csv", path.read_bytes()), by=user
        )
        ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.CHECK_QUEUED)
        # 2. The dry run.
        started = perf_counter()
        services.contact_import_check(import_id=contact_import.pk)
        check_seconds = perf_counter() - started
        checked = ContactImport.objects.get(pk=contact_import.pk)
        assert checked.status == ImportStatus.CHECKED, checked.message
        ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.QUEUED)
        # 3. The import.
        statements: dict[str, float] = {}
        started = perf_counter()
        with connection.execute_wrapper(_timed(statements) if args.profile else _untimed):
            services.contact_import_run(import_id=contact_import.pk)
        run_seconds = perf_counter() - started
        done = ContactImport.objects.get(pk=contact_import.pk)
    assert done.status == ImportStatus.DONE, done.message

    rows = args.rows
    print()
    print(f"{'step':<44}{'seconds':>10}{'rows/s':>12}")
    print(f"{'COPY into a plain table (baseline)':<44}{copy_seconds:>10.2f}{rows / copy_seconds:>12,.0f}")
    print(f"{'import dry run (stage + classify)':<44}{check_seconds:>10.2f}{rows / check_seconds:>12,.0f}")
    print(f"{'import run (stage + classify + write)':<44}{run_seconds:>10.2f}{rows / run_seconds:>12,.0f}")
    print(f"import vs COPY: {run_seconds / copy_seconds:.1f}x slower")
    print(
        f"created {done.created_count:,}, updated {done.updated_count:,}, unchanged {done.unchanged_count:,}, "
        f"rejected {done.rejected_count:,}"
    )
    for statement, seconds in sorted(statements.items(), key=lambda item: -item[1])[:8]:
        print(f"  {seconds:7.2f} s  {statement}")
    if not args.keep_file:
        path.unlink()
    connections.close_all()
    print(f"media in {settings.MEDIA_ROOT}; scratch database {DATABASE} left for inspection")


if __name__ == "__main__":
    main()
