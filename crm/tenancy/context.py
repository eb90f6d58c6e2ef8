"""The current tenant of this request or task.

A context variable, not a thread-local: it is correct under threads, asyncio and
Celery's eager mode, and ``tenant_context`` always restores the previous value,
so one request's tenant can never be seen by the next one on the same thread.
The database backend copies it into the session setting ``app.tenant_id`` that
the row-level security policies read (crm/db/backends/postgresql/base.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current_tenant_id: ContextVar[int | None] = ContextVar("current_tenant_id", default=None)


class TenantNotSetError(RuntimeError):
    """Tenant data was queried with no current tenant."""


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


def require_tenant_id() -> int:
    tenant_id = _current_tenant_id.get()
    if tenant_id is None:
        raise TenantNotSetError(
            "No current tenant: tenant data can only be read inside tenant_context(...), a request "
            "with an active membership, or a TenantTask. Cross-tenant jobs must say so with the "
            "model's `unscoped_objects` manager."
        )
    return tenant_id


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    """Run the block as ``tenant_id`` (None: as no tenant), restoring the previous tenant after."""
    if tenant_id is not None and not isinstance(tenant_id, int):
        raise TypeError(f"tenant_context takes a tenant id (int), got {type(tenant_id).__name__}")
    token = _current_tenant_id.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant_id.reset(token)


# Record visibility (issue 3): the signed-in user's scope, set by the middleware next to the
# tenant. None means "all records", which is also what tasks and commands get.
_own_records_of: ContextVar[int | None] = ContextVar("own_records_of", default=None)


def own_records_only_for() -> int | None:
    """The user id whose records alone are visible, or None when every record is."""
    return _own_records_of.get()


@contextmanager
def visibility_context(own_records_of: int | None) -> Iterator[None]:
    token = _own_records_of.set(own_records_of)
    try:
        yield
    finally:
        _own_records_of.reset(token)
