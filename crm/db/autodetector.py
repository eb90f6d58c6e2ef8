"""makemigrations' autodetector, taught to secure every new tenant table."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.operations import CreateModel

from crm.db.rls import EnableTenantRowLevelSecurity


def is_tenant_table(app_label: str, model_name: str) -> bool:
    from crm.tenancy.models import TenantModel

    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy


class TenantAwareAutodetector(MigrationAutodetector):
    """Append EnableTenantRowLevelSecurity right after each new TenantModel's CreateModel."""

    def _detect_changes(self, convert_apps: Any = None, graph: Any = None) -> dict[str, list[Any]]:
        changes = super()._detect_changes(convert_apps, graph)  # type: ignore[misc]
        for app_label, migrations in changes.items():
            for migration in migrations:
                secured: list[Any] = []
                for operation in migration.operations:
                    secured.append(operation)
                    if isinstance(operation, CreateModel) and is_tenant_table(app_label, operation.name):
                        secured.append(EnableTenantRowLevelSecurity(operation.name))
                migration.operations = secured
        return changes
