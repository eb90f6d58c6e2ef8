#!/usr/bin/env python
"""Quick latency check of a few customer pages on the 1M-contact scratch database of bench/pages.py
(warm, signed in as Acme's admin, no test instrumentation): p50 and p95 of 40 requests each.

    .venv/bin/python bench/page_latency.py [path ...]

For following a regression between full runs of bench/pages.py; it writes nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

HOST, DATABASE = "127.0.0.1:5432", "crm_bench_pages"
os.environ.update(
    DEBUG="false",
    SECURE_SSL_REDIRECT="false",
    SECRET_KEY="bench-" + "x" * 60,
    ALLOWED_HOSTS="testserver",
    DATABASE_URL=f"postgres://crm_app@{HOST}/{DATABASE}",
    DATABASE_OWNER_URL=f"postgres://crm_owner@{HOST}/{DATABASE}",
    DJANGO_SETTINGS_MODULE="crm.settings.base",
)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from crm.models import User  # noqa: E402

PATHS = ["/customers/contacts/", "/customers/contacts/?stage=churned", "/search/?q=smit", "/deals/list/"]


def main() -> None:
    client = Client()
    client.force_login(User.objects.get(email="admin@acme.example"))
    for path in sys.argv[1:] or PATHS:
        client.get(path)
        samples = []
        for _ in range(40):
            started = time.perf_counter()
            assert client.get(path).status_code == 200, path
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(f"{path:45s} p50 {statistics.median(samples):6.1f} ms   p95 {samples[int(0.95 * 39)]:6.1f} ms")


if __name__ == "__main__":
    main()
