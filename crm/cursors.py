"""Opaque keyset-pagination cursors: the sort values of the last row shown, as URL-safe text."""

from __future__ import annotations

import base64
import json
from typing import Any


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(cursor: str | None, length: int) -> list[Any] | None:
    """The values, or None for a missing or mangled cursor (which restarts at the first page)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    return values
