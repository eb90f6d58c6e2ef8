"""Headers on every page, the body size cap, production settings and no inline script in any template."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.db_urls import database_url

ROOT = Path(__file__).resolve().parents[2]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/auth/login/", "/", "/customers/contacts/", "/security/"])
def test_pages_carry_the_csp_and_security_headers(alice_client, path):
    response = alice_client.get(path, follow=True)
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == directives(CSP)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_before_it_is_read(client, settings, alice):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    response = client.post("/auth/login/", data="x" * 1001, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    response = client.post("/auth/login/", {"username": alice.email, "password": "x"})
    assert response.status_code == 200  # a small form still gets through


def test_the_body_cap_admits_the_largest_upload(settings):
    largest = max(settings.IMPORT_MAX_UPLOAD_BYTES, settings.INBOUND_MAIL_MAX_BYTES,
                  settings.INTERACTION_ATTACHMENT_MAX_BYTES)  # fmt: skip
    assert largest < settings.REQUEST_MAX_BODY_BYTES


def run_settings(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "SESSION_", "SECURE_"))
    }
    base.update(
        DATABASE_URL=database_url("default"),
        DATABASE_OWNER_URL=database_url("owner"),
        DJANGO_SETTINGS_MODULE="crm.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crm.example.com",
        SITE_URL="https://crm.example.com",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_security_settings_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_AGE, s.SESSION_IDLE_TIMEOUT, s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_SAMESITE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.REQUEST_MAX_BODY_BYTES)"
    )
    result = run_settings(
        code,
        SESSION_COOKIE_AGE="3600",
        SESSION_IDLE_TIMEOUT="900",
        SECURE_HSTS_PRELOAD="false",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme",
        CSRF_TRUSTED_ORIGINS="https://crm.example.com",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="30",
        REQUEST_MAX_BODY_BYTES="2048",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "3600 900 False False ('HTTP_X_FORWARDED_SCHEME', 'https') ['https://crm.example.com'] True True Lax 3 "
        "0:30:00 2048"
    )


def test_without_a_proxy_no_client_can_claim_https():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(hasattr(s, 'SECURE_PROXY_SSL_HEADER') and s.SECURE_PROXY_SSL_HEADER)"
    )
    result = run_settings(code, SECURE_PROXY_SSL_HEADER="none")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


@pytest.mark.django_db
def test_production_settings_pass_check_deploy_at_warning_level():
    result = run_settings(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        CSRF_TRUSTED_ORIGINS="https://crm.example.com",
        SESSION_IDLE_TIMEOUT="1800",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\bhx-on[:-]|\bhx-vars=|[\"']js:|javascript:", re.IGNORECASE)
HX_TRIGGER = re.compile(r'hx-trigger="([^"]*)"')
TRIGGER_FILTER = re.compile(r"(?<![\w:])(?!(?:from|target):)[a-zA-Z][\w:.-]*\[")  # focus[this.value] is eval'd


def has_trigger_filter(line: str) -> bool:
    return any(TRIGGER_FILTER.search(value) for value in HX_TRIGGER.findall(line))


def test_no_template_has_inline_script_handlers_or_eval():
    """The CSP forbids them: they would silently stop working. Use static/ files and data-* attributes."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), start=1):
            found = INLINE_SCRIPT.search(line) or INLINE_HANDLER.search(line) or HTMX_EVAL.search(line)
            if found or has_trigger_filter(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not offenders, "inline JavaScript the CSP blocks:\n" + "\n".join(offenders)
