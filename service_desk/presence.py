"""Who else has a ticket open: a short-lived roster in the cache (Redis), never in the database.

Each open ticket page refreshes its agent's entry every 15 s (htmx poll); an entry not refreshed for
``PRESENCE_TTL`` seconds is gone, so an agent who closed the tab drops off within a poll or three.
One cache key per tenant and ticket holds ``{user id: {"name", "seen", "typing"}}``. Two agents polling
at the same instant may overwrite each other's entry; the next poll puts it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from crm.models import User

PRESENCE_TTL = 45  # seconds an entry lives without a refresh
TYPING_TTL = 20  # seconds "is typing" lasts after the last poll that reported typing


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _key(tenant_id: int, ticket_id: int) -> str:
    return f"service_desk:presence:{tenant_id}:{ticket_id}"


def ticket_presence_touch(
    *, tenant_id: int, ticket_id: int, user: User, typing: bool = False, now: datetime | None = None
) -> list[Viewer]:
    """Mark ``user`` as viewing the ticket (and typing, if so) and return the *other* live viewers,
    by name. ``now`` is the clock (tests pass one to look past the expiry)."""
    stamp = (now or timezone.now()).timestamp()
    key = _key(tenant_id, ticket_id)
    roster: dict[str, dict[str, Any]] = cache.get(key) or {}
    live = {uid: entry for uid, entry in roster.items() if stamp - entry.get("seen", 0) < PRESENCE_TTL}
    live[str(user.pk)] = {"name": user.display_name, "seen": stamp, "typing": stamp if typing else 0}
    cache.set(key, live, timeout=PRESENCE_TTL)
    others = [
        Viewer(user_id=int(uid), name=entry["name"], typing=stamp - entry.get("typing", 0) < TYPING_TTL)
        for uid, entry in live.items()
        if uid != str(user.pk)
    ]
    return sorted(others, key=lambda viewer: viewer.name.lower())
