"""Database URLs of the running test database, for processes the tests start."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connections


def database_url(alias: str) -> str:
    settings = connections[alias].settings_dict
    host = quote(settings["HOST"] or "", safe="") if str(settings["HOST"]).startswith("/") else settings["HOST"]
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings.get("PASSWORD") else ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{settings['USER']}{password}@{host}{port}/{settings['NAME']}"
