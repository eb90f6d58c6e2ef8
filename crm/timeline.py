"""One chronological stream per contact or account, which any app can add to.

An app contributes a *source*: a function that returns its own entries for a contact or an
account, newest first, strictly before a cursor, at most ``limit`` of them. It registers it
with ``@timeline_source`` in a module its AppConfig imports in ``ready()``. This module merges
the sources; it knows nothing about interactions, orders, deals or tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.cursors import decode_cursor, encode_cursor

TIMELINE_PAGE_SIZE = 25


@dataclass(frozen=True, order=True)
class TimelinePosition:
    """Where an entry sits: by time, then by source, then by id (a total order for paging)."""

    at: datetime
    source: str
    key: int


@dataclass(frozen=True)
class TimelineEntry:
    position: TimelinePosition
    icon: str  # a bootstrap-icons name, e.g. "bi-telephone"
    title: str
    detail: str = ""
    meta: str = ""
    url: str | None = None


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


Source = Callable[..., list[TimelineEntry]]
_SOURCES: dict[str, Source] = {}


def timeline_source(name: str) -> Callable[[Source], Source]:
    """Register ``source(*, contact, account, before: TimelinePosition | None, limit) -> entries``."""

    def register(source: Source) -> Source:
        _SOURCES[name] = source
        return source

    return register


def timeline_page(*, contact: Any = None, account: Any = None, cursor: str | None = None) -> TimelinePage:
    """The next page of the merged timeline, newest first."""
    before = decode_position(cursor)
    limit = TIMELINE_PAGE_SIZE
    candidates: list[TimelineEntry] = []
    for source in _SOURCES.values():
        candidates += source(contact=contact, account=account, before=before, limit=limit + 1)
    candidates.sort(key=lambda entry: entry.position, reverse=True)
    entries = candidates[:limit]
    more = len(candidates) > limit
    return TimelinePage(entries, encode_position(entries[-1].position) if more and entries else None)


def encode_position(position: TimelinePosition) -> str:
    return encode_cursor([position.at.isoformat(), position.source, position.key])


def decode_position(cursor: str | None) -> TimelinePosition | None:
    values = decode_cursor(cursor, 3)
    if values is None:
        return None
    try:
        return TimelinePosition(datetime.fromisoformat(values[0]), str(values[1]), int(values[2]))
    except (ValueError, TypeError):
        return None  # a mangled cursor starts from the newest entries again
