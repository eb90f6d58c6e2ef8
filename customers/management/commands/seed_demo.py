"""manage.py seed_demo: create the demo tenants with users for every role and realistic data.

    manage.py seed_demo                      # 2000 Acme customers (+ 500 at Globex), seed 42
    manage.py seed_demo --if-empty           # what `make run` does: keep existing demo data
    manage.py seed_demo --reset --customers 1000000 --seed 7

What is generated and the signal planted for analytics: customers/demo/generate.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from customers.demo.seed import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    STRATEGIES,
    DemoTenantsExistError,
    SeedResult,
    seed_demo,
)


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Create the demo tenants (Acme, Globex) with a user per role and realistic customer data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=int, default=DEFAULT_CUSTOMERS, help="Acme's contacts; Globex gets a quarter."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed and size, same data.")
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--reset", action="store_true", help="Delete the demo tenants first and recreate them.")
        when.add_argument("--if-empty", action="store_true", help="Do nothing when the demo tenants are seeded.")
        parser.add_argument(
            "--strategy",
            choices=STRATEGIES,
            default="auto",
            help="online: one transaction as the app role; bulk: owner role, keys and indexes rebuilt after "
            "the load (locks the tables); auto: bulk from 50,000 customers.",
        )
        parser.add_argument(
            "--now", type=_instant, help="ISO date/time the data is relative to (default: today 00:00 UTC)."
        )
        parser.add_argument(
            "--score", action="store_true", help="After seeding, run the analytics models once per demo tenant."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["customers"] < 1:
            raise CommandError("--customers must be at least 1.")
        progress = self.stdout.write if options["verbosity"] >= 2 else None
        try:
            result = seed_demo(
                customers=options["customers"],
                seed=options["seed"],
                reset=options["reset"],
                if_empty=options["if_empty"],
                now=options["now"],
                strategy=options["strategy"],
                progress=progress,
            )
        except DemoTenantsExistError as error:
            raise CommandError(str(error)) from None
        self._report(result)
        if result.created:
            from campaigns.demo import seed_campaigns

            seed_campaigns(tenant_ids=[summary.tenant_id for summary in result.tenants])
        if options["score"] and result.created:
            self._score(result)
        if result.created:  # after scoring: "high value" is the top quarter of the scores, when there are any
            from segments.demo import seed_demo_segments

            seed_demo_segments(tenant_ids=[summary.tenant_id for summary in result.tenants])

    def _score(self, result: SeedResult) -> None:
        """One scoring run per demo tenant, so the demo opens with churn risk and value on every contact."""
        from analytics.scoring import analytics_run_execute
        from analytics.services import analytics_run_start
        from crm.models import Tenant
        from crm.tenancy.context import tenant_context

        for summary in result.tenants:
            tenant = Tenant.objects.get(pk=summary.tenant_id)
            with tenant_context(tenant.id):
                run = analytics_run_start(tenant=tenant, by=None)
                analytics_run_execute(run_id=run.id)  # does nothing if an eager task already ran it
                run.refresh_from_db()
            outcome = run.error or run.promotion_note
            self.stdout.write(f"  scored {summary.name}: {run.get_status_display()}. {outcome}")

    def _report(self, result: SeedResult) -> None:
        write = self.stdout.write
        if not result.created:
            write("Demo tenants already seeded; nothing to do (use --reset to recreate them).")
        else:
            write(self.style.SUCCESS(f"Seeded the demo tenants in {result.seconds:.1f}s ({result.strategy})."))
            for summary in result.tenants:
                counts = summary.counts
                write(
                    f"  {summary.name} [{summary.slug}]: {counts.accounts:,} accounts, {counts.contacts:,} contacts, "
                    f"{counts.orders:,} orders, {counts.interactions:,} interactions"
                )
            write(f"  Data is relative to {result.now:%Y-%m-%d %H:%M %Z}.")
        write(f"Sign in with any of these, password {result.password}:")
        for user in result.users:
            roles = ", ".join(f"{role} in {slug}" for slug, role in user.roles)
            write(f"  {user.email:<28} {user.full_name} ({roles})")
