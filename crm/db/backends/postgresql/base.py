"""PostgreSQL backend that keeps the session's ``app.tenant_id`` equal to the current tenant.

Before any cursor is handed out, the connection's ``app.tenant_id`` setting is
made to match ``crm.tenancy.context.current_tenant_id()``. The value last sent is
cached per connection and forgotten on every (savepoint) rollback, because
PostgreSQL undoes a SET made inside a transaction that rolls back. So on a
reused, persistent connection the setting is always the current tenant's, or
empty, which the RLS policies read as "no rows".

With ``OPTIONS["runtime_role"]`` the backend also refuses a connection whose role
is a superuser or has BYPASSRLS.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

from crm.db.roles import assert_runtime_role_is_safe
from crm.tenancy.context import current_tenant_id

_UNKNOWN = object()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tenant_in_session: object = _UNKNOWN

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("runtime_role", None)
        return params

    def init_connection_state(self) -> None:
        super().init_connection_state()
        self._tenant_in_session = _UNKNOWN
        if self.settings_dict["OPTIONS"].get("runtime_role"):
            try:
                with self.connection.cursor() as cursor:
                    assert_runtime_role_is_safe(cursor)
            except Exception:
                # Never keep an unsafe connection around for a later retry to reuse.
                self.connection.close()
                self.connection = None
                raise

    def _cursor(self, name: str | None = None) -> Any:
        cursor = super()._cursor(name)  # type: ignore[misc]
        self._sync_tenant_setting()
        return cursor

    def _sync_tenant_setting(self) -> None:
        wanted = current_tenant_id()
        if wanted == self._tenant_in_session:
            return
        if self.connection.info.transaction_status == TransactionStatus.INERROR:
            # Only ROLLBACK (TO SAVEPOINT) can run now, and it needs no tenant; setting
            # one would fail and stop the rollback. The rollback forgets the cache.
            return
        with self.wrap_database_errors:
            self.connection.execute(
                "SELECT set_config('app.tenant_id', %s, false)", ["" if wanted is None else str(wanted)]
            )
        self._tenant_in_session = wanted

    def forget_tenant_setting(self) -> None:
        self._tenant_in_session = _UNKNOWN

    # Forget the cached value *after* rolling back: rolling back to a savepoint itself
    # takes a cursor, which may set the tenant inside the savepoint that is then undone.
    def _rollback(self) -> None:
        super()._rollback()  # type: ignore[misc]
        self._tenant_in_session = _UNKNOWN

    def _savepoint_rollback(self, sid: str) -> None:
        super()._savepoint_rollback(sid)  # type: ignore[misc]
        self._tenant_in_session = _UNKNOWN

    def _close(self) -> None:
        self._tenant_in_session = _UNKNOWN
        super()._close()  # type: ignore[misc]
