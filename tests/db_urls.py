"""Database URLs of the running test database, for processes the tests start."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connections


def database_url(alias: str, *, user: str | None = None, password: str | None = None) -> str:
    """The URL of ``alias``'s test database, optionally as another role."""
    settings = connections[alias].settings_dict
    user = user or settings["USER"]
    password = settings.get("PASSWORD") or "" if password is None else password
    host = str(settings["HOST"] or "")
    host = quote(host, safe="") if host.startswith("/") else host
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}" if password else quote(user, safe="")
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{settings['NAME']}"
