"""Start-up check shared by the web server and the Celery worker."""

from __future__ import annotations

from django.db import connections


def check_runtime_database_role() -> None:
    """Connect once as the runtime role: raises UnsafeDatabaseRole if it could bypass RLS."""
    connection = connections["default"]
    connection.ensure_connection()
    connection.close()
