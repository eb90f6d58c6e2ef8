"""The current tenant of this request or task.

A context variable, not a thread-local: it is correct under threads, asyncio and
Celery's eager mode, and ``tenant_context`` always restores the previous value,
so one request's tenant can never be seen by the next one on the same thread.
The database backend copies it into the session setting ``app.tenant_id`` that
the row-level security policies read (crm/db/backends/postgresql/base.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


# Record visibility (issue 3): the ids of the users whose records the signed-in user may see,
# set by the middleware next to the tenant (crm/visibility.py). None means "all records", which is
# also what tasks and commands get unless they set it.
_visible_owners: ContextVar[tuple[int, ...] | None] = ContextVar("visible_owners", default=None)


def visible_owner_ids() -> tuple[int, ...] | None:
    """The owners whose records alone are visible (the user, or their teams' members), or None when
    every record is. Hashable, so it can key caches of per-visibility figures."""
    return _visible_owners.get()


@contextmanager
def visibility_context(owners: int | Iterable[int] | None) -> Iterator[None]:
    scope = None if owners is None else (owners,) if isinstance(owners, int) else tuple(sorted(set(owners)))
    token = _visible_owners.set(scope)
    try:
        yield
    finally:
        _visible_owners.reset(token)


# Per-request memo: small reads that several parts of one page need (custom-field definitions for
# the filters, the sort menu and the form) are read once. Set by the middleware for each request and
# dropped after it, so no value outlives the request that read it.
_request_memo: ContextVar[dict[object, object] | None] = ContextVar("request_memo", default=None)


def request_memo() -> dict[object, object] | None:
    """This request's memo, or None outside a request (tasks, commands: no memo, always fresh)."""
    return _request_memo.get()


@contextmanager
def request_scope() -> Iterator[None]:
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)
