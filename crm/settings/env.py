"""Strict readers for settings from the environment.

django-environ alone is lenient (``DEBUG=maybe`` reads as False, a malformed
``DATABASE_URL`` yields an empty dict). Every reader here either returns a
well-formed value or raises ImproperlyConfigured naming the variable, so a bad
deployment stops at start-up instead of misbehaving later.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_env = environ.Env()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None else None


def is_set(name: str) -> bool:
    return bool(_raw(name))


def read_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if not value:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def read_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def read_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def read_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def read_database_url(name: str) -> dict[str, Any]:
    value = read_str(name)
    parts = urlsplit(value)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// URL (PostgreSQL is the only supported database); "
            f"got scheme {parts.scheme or 'none'!r}."
        )
    if not parts.path.strip("/"):
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://user@host:5432/crm.")
    try:
        config = _env.db_url_config(value)
    except Exception as error:  # environ raises several types for bad URLs
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from None
    # A Unix socket directory is written percent-encoded in the host: postgres://user@%2Frun%2Fpostgresql/db
    config["HOST"] = unquote(str(config.get("HOST") or ""))
    return config


def read_redis_url(name: str) -> str | None:
    value = _raw(name)
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must be a redis:// URL, e.g. redis://127.0.0.1:6379/0.")
    return value


def read_email_url(name: str, default: str) -> dict[str, Any]:
    value = _raw(name) or default
    scheme = urlsplit(value).scheme
    if scheme not in {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}:
        raise ImproperlyConfigured(
            f"{name}={value!r} has an unknown scheme; use smtp://, smtp+tls://, smtps:// or consolemail://."
        )
    return _env.email_url_config(value)
