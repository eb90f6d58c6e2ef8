"""Signed tokens in campaign links: unsubscribe, preferences, open pixel and click redirect.

Each token carries the tenant id, so the public endpoints (no signed-in user) can enter the right
tenant before reading anything; the signature (SECRET_KEY, a salt per purpose) makes a forged or
altered token, or one made for another purpose, fail as a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE = "campaigns.unsubscribe"
PREFERENCES = "campaigns.preferences"
OPEN = "campaigns.open"
CLICK = "campaigns.click"


@dataclass(frozen=True)
class TokenData:
    tenant_id: int
    object_id: int  # a delivery id, or a contact id for preferences
    url: str = ""


def make(purpose: str, tenant_id: int, object_id: int, url: str = "") -> str:
    payload: list[object] = [tenant_id, object_id]
    if url:
        payload.append(url)
    return signing.dumps(payload, salt=purpose, compress=True)


def read(purpose: str, token: str) -> TokenData | None:
    try:
        payload = signing.loads(token, salt=purpose)
    except signing.BadSignature:
        return None
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        return None
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in payload[:2]):
        return None
    url = payload[2] if len(payload) == 3 and isinstance(payload[2], str) else ""
    return TokenData(tenant_id=payload[0], object_id=payload[1], url=url)


@lru_cache(maxsize=8)
def _address(view: str, site: str) -> tuple[str, str]:
    """The absolute URL of ``view`` around its token, reversed once (reverse() per message is slow)."""
    before, _marker, after = reverse(view, args=["TOKEN"]).partition("TOKEN")
    return f"{site}{before}", after


def _url(view: str, token: str) -> str:
    before, after = _address(view, settings.SITE_URL)
    return f"{before}{token}{after}"


def unsubscribe_url(tenant_id: int, delivery_id: int) -> str:
    return _url("campaigns:unsubscribe", make(UNSUBSCRIBE, tenant_id, delivery_id))


def preferences_url(tenant_id: int, contact_id: int) -> str:
    return _url("campaigns:preferences", make(PREFERENCES, tenant_id, contact_id))


def open_url(tenant_id: int, delivery_id: int) -> str:
    return _url("campaigns:track-open", make(OPEN, tenant_id, delivery_id))


def click_url(tenant_id: int, delivery_id: int, url: str) -> str:
    return _url("campaigns:track-click", make(CLICK, tenant_id, delivery_id, url))
