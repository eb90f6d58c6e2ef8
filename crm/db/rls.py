"""Row-level security for tenant tables, installed by migrations.

``EnableTenantRowLevelSecurity`` is the one helper every tenant table goes
through. The project's makemigrations (crm/management/commands/makemigrations.py)
appends it after the CreateModel of every TenantModel subclass, so a new table
cannot forget it; tests/crm/test_rls.py fails if any tenant table lacks it.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation

POLICY_NAME = "tenant_isolation"
# current_setting(..., true) is NULL when never set and '' once reset: both mean no rows.
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def enable_statements(table: str) -> list[str]:
    quoted = f'"{table}"'
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}",
        f"CREATE POLICY {POLICY_NAME} ON {quoted} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    ]


def disable_statements(table: str) -> list[str]:
    quoted = f'"{table}"'
    return [
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}",
        f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY",
    ]


class EnableTenantRowLevelSecurity(Operation):
    """Enable and force RLS on a tenant model's table with the tenant isolation policy."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # no change to the model state

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        for statement in enable_statements(model._meta.db_table):
            schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        for statement in disable_statements(model._meta.db_table):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"
