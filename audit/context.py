"""Who is acting, from where: set once per request (middleware) or task, read by every audit row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditActor:
    user_id: int | None = None
    label: str = ""
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current_actor: ContextVar[AuditActor | None] = ContextVar("audit_actor", default=None)


def current_actor() -> AuditActor | None:
    return _current_actor.get()


@contextmanager
def audit_actor_context(actor: AuditActor | None) -> Iterator[None]:
    """Attribute every audit row written in the block to ``actor``; restores the previous one after."""
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)
