"""migrate that runs as the owner role by default.

The owner owns the tables; the app's runtime role only gets row-level DML
(granted after every migrate, crm/apps.py), so it cannot alter tables or switch
row-level security off.
"""

from typing import Any

from django.core.management.commands import migrate

from crm.db.autodetector import TenantAwareAutodetector


class Command(migrate.Command):
    autodetector = TenantAwareAutodetector

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(database="owner")
