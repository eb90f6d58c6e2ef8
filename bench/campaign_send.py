#!/usr/bin/env python
"""Benchmark: an email campaign to a local SMTP server (issue 7, "Speed").

    source /tmp/env_<you>.sh   # DATABASE_URL / DATABASE_OWNER_URL of a migrated database
    .venv/bin/python bench/campaign_send.py [--recipients 100000] [--no-write]

Creates a throwaway tenant with ``--recipients`` consenting contacts in one static list (INSERT ...
SELECT generate_series), then measures, as the runtime role under row-level security:
1. preparing the campaign: the set-wise INSERT ... SELECT of the delivery rows;
2. sending it: claim batches (FOR UPDATE SKIP LOCKED), one SMTP connection per batch, two status
   writes per message (campaigns/sending.py), to an aiosmtpd server in this process;
3. baseline, in the same run: a bare smtplib loop sending the same number of similar messages over
   one connection to the same server.
The tenant is deleted afterwards. The results replace the "Campaign sending" section of
docs/benchmarks.md. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import smtplib
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Campaign sending"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.base")
os.environ.pop("REDIS_URL", None)  # tasks in-process; the benchmark calls the services directly
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from docs_section import replace_section  # noqa: E402

from campaigns.models import Campaign, CampaignStatus, StaticList  # noqa: E402
from campaigns.sending import campaign_prepare, campaign_send_run  # noqa: E402
from crm.models import Tenant  # noqa: E402
from crm.secrets import encrypt_secret  # noqa: E402
from crm.tenancy.context import tenant_context  # noqa: E402
from mail.models import MailSettings  # noqa: E402


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    n = args.recipients

    handler = Counter()
    from tests.peers import free_port

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    tenant = Tenant.objects.create(name=f"Bench campaigns {stamp}", slug=f"bench-campaigns-{stamp}")
    try:
        with tenant_context(tenant.pk):
            MailSettings.objects.create(
                tenant=tenant, host="127.0.0.1", port=port, security="none", from_email="news@bench.example",
                password_encrypted=encrypt_secret(""), timeout=30,
            )  # fmt: skip
            static_list = StaticList.objects.create(tenant=tenant, name="Everyone")
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO customers_contact (tenant_id, first_name, last_name, email, phone, title, "
                    "lifecycle_stage, source, city, country, email_consent, sms_consent, external_id, "
                    "source_system, custom_fields, created_at, updated_at) "
                    "SELECT %s, 'Person', 'No ' || g, 'person' || g || '@bench.example', '', '', 'customer', '', "
                    "'', '', true, false, '', '', '{}', now(), now() FROM generate_series(1, %s) g",
                    [tenant.pk, n],
                )
                cursor.execute(
                    "INSERT INTO campaigns_staticlistmember (tenant_id, static_list_id, contact_id, added_at) "
                    "SELECT %s, %s, id, now() FROM customers_contact WHERE tenant_id = %s",
                    [tenant.pk, static_list.pk, tenant.pk],
                )
                cursor.execute("ANALYZE customers_contact")
            campaign = Campaign.objects.create(
                tenant=tenant, name="Bench", status=CampaignStatus.SENDING, started_at=timezone.now(),
                list_ids=[static_list.pk], subject='Hello {{ first_name|default:"there" }}',
                html_body='<p>Hi {{ first_name }},</p><p><a href="https://shop.example.com/">Shop</a></p>',
            )  # fmt: skip
            started = perf_counter()
            campaign_prepare(tenant=tenant, campaign_id=campaign.pk)
            prepare_seconds = perf_counter() - started

            started = perf_counter()
            while True:
                result = campaign_send_run(tenant=tenant, campaign_id=campaign.pk, budget_seconds=3600)
                if result.next_run_in is None:
                    break
            send_seconds = perf_counter() - started
            sent = handler.count

        handler.count = 0
        started = perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(n):
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = "news@bench.example", f"p{i}@bench.example", "Hi"
                message.set_content("Hi Person,\n\nShop: https://shop.example.com/")
                message.add_alternative('<p>Hi Person,</p><p><a href="https://shop.example.com/">Shop</a></p>', "html")
                smtp.send_message(message)
        bare_seconds = perf_counter() - started
    finally:
        controller.stop()
        with tenant_context(tenant.pk), connection.cursor() as cursor:
            for table in ("campaigns_deliveryevent", "campaigns_campaigndelivery", "campaigns_campaign",
                          "campaigns_staticlistmember", "campaigns_staticlist", "mail_mailsettings",
                          "customers_contact"):  # fmt: skip
                cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
            cursor.execute("DELETE FROM crm_tenant WHERE id = %s", [tenant.pk])  # nothing else refers to it

    rate, bare_rate = sent / send_seconds, n / bare_seconds
    section = (
        f"{SECTION}\n\n"
        f"`bench/campaign_send.py --recipients {n}` on {platform.node()} ({os.cpu_count()} cores), "
        f"{datetime.now(UTC):%Y-%m-%d}. Local aiosmtpd server in the same process (it shares the GIL with "
        "the sender, for both measurements).\n\n"
        "| Step | Time | Rate |\n|---|---|---|\n"
        f"| Prepare {n:,} deliveries (INSERT ... SELECT) | {prepare_seconds:.2f} s | "
        f"{n / prepare_seconds:,.0f} rows/s |\n"
        f"| Send {sent:,} campaign emails (claim, render, SMTP, mark) | {send_seconds:.1f} s | {rate:,.0f} msg/s |\n"
        f"| Bare smtplib loop, same count | {bare_seconds:.1f} s | {bare_rate:,.0f} msg/s |\n\n"
        f"Campaign sending runs at {100 * rate / bare_rate:.0f}% of the bare loop's rate.\n"
    )
    print(section)
    if not args.no_write:
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, section)


if __name__ == "__main__":
    main()
