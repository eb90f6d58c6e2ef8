"""Configuration from the environment: malformed values stop start-up and say which variable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from crm.db.backends.postgresql.base import DatabaseWrapper
from crm.db.roles import UnsafeDatabaseRole
from tests.db_urls import database_url

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    ours = ("DJANGO_", "DEBUG", "SECRET_KEY", "SITE_URL")  # each test sets these itself
    base = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
    base.update(
        DATABASE_URL=database_url("default"),
        DATABASE_OWNER_URL=database_url("owner"),
        DJANGO_SETTINGS_MODULE="crm.settings.base",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://root@localhost/crm", "DATABASE_URL must be a postgres:// URL"),
        ("DATABASE_URL", "postgres://crm_app@localhost", "DATABASE_URL must name a database"),
        ("DATABASE_OWNER_URL", "", "DATABASE_OWNER_URL must be set with DATABASE_URL"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a redis:// URL"),
        ("CONN_MAX_AGE", "forever", "CONN_MAX_AGE='forever' is not a whole number"),
        ("EMAIL_URL", "pigeon://coop", "EMAIL_URL='pigeon://coop' has an unknown scheme"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(variable, value, message):
    result = run(["manage.py", "check"], **{"DEBUG": "true", variable: value})
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_production_needs_a_real_secret_key():
    result = run(["manage.py", "check"], DEBUG="false", ALLOWED_HOSTS="crm.example.com")
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_production_settings_pass_the_deployment_checklist():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crm.example.com",
        SITE_URL="https://crm.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_site_url_is_warned_that_reminder_links_break():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode != 0
    assert "crm.W001" in result.stderr and "SITE_URL is not set" in result.stderr


def superuser_settings() -> dict:
    settings = dict(connections["default"].settings_dict)
    settings["USER"], settings["PASSWORD"] = "postgres", ""
    return settings


@pytest.mark.django_db
def test_the_runtime_connection_refuses_a_superuser_role():
    wrapper = DatabaseWrapper(superuser_settings(), alias="superuser-check")
    with pytest.raises(UnsafeDatabaseRole, match="is a superuser"):
        wrapper.ensure_connection()
    assert wrapper.connection is None, "the unsafe connection must not stay open for a retry"


@pytest.mark.django_db
def test_the_web_app_refuses_to_start_as_a_superuser():
    superuser_url = database_url("default", user="postgres", password="")
    result = run(["-c", "import crm.wsgi"], DEBUG="true", DATABASE_URL=superuser_url)
    assert result.returncode != 0
    assert "row-level security would not isolate tenants" in result.stderr


def test_collectstatic_works_with_the_production_storage(tmp_path, settings):
    """Production serves hashed, compressed files; every file a vendor file references must exist."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/bootstrap/bootstrap.min.*.css"))
