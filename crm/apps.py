from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM core"

    def ready(self) -> None:
        from crm import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(grant_runtime_role_privileges, sender=self)


# Tables the runtime role may append to but never rewrite (audit trail, issue 9).
APPEND_ONLY_TABLES: list[str] = ["audit_auditevent"]


def grant_runtime_role_privileges(using: str, **_: Any) -> None:
    """After every migrate (as owner), give the runtime role DML on all tables."""
    from django.conf import settings
    from django.db import connections

    from crm.db.roles import grant_runtime_privileges

    runtime_role = settings.DATABASES["default"]["USER"]
    connection = connections[using]
    if connection.settings_dict["USER"] == runtime_role:
        return
    with connection.cursor() as cursor:
        grant_runtime_privileges(cursor, runtime_role=runtime_role, append_only_tables=APPEND_ONLY_TABLES)
