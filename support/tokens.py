"""Signed links for customers: the portal of one ticket and the survey of one solved ticket.

A token is ``django.core.signing`` over (tenant id, object id) with a salt per purpose, so a portal
token does not open a survey, nothing can be forged without SECRET_KEY, and the tenant comes from the
signed payload (the page then loads the object inside that tenant only)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

PORTAL_SALT = "support.portal.v1"
SURVEY_SALT = "support.csat.v1"
NPS_SALT = "support.nps.v1"


def _dump(salt: str, tenant_id: int, object_id: int) -> str:
    return signing.dumps([tenant_id, object_id], salt=salt)


def _load(salt: str, token: str) -> tuple[int, int] | None:
    try:
        value = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return None
    return value[0], value[1]


def portal_token(*, tenant_id: int, ticket_id: int) -> str:
    return _dump(PORTAL_SALT, tenant_id, ticket_id)


def portal_token_read(token: str) -> tuple[int, int] | None:
    """(tenant id, ticket id) of a genuine portal token, else None."""
    return _load(PORTAL_SALT, token)


def survey_token(*, tenant_id: int, survey_id: int) -> str:
    return _dump(SURVEY_SALT, tenant_id, survey_id)


def survey_token_read(token: str) -> tuple[int, int] | None:
    return _load(SURVEY_SALT, token)


def nps_token(*, tenant_id: int, response_id: int) -> str:
    return _dump(NPS_SALT, tenant_id, response_id)


def nps_token_read(token: str) -> tuple[int, int] | None:
    return _load(NPS_SALT, token)


def absolute(path: str) -> str:
    """Links in email are written by workers, outside any request: SITE_URL gives the host."""
    return f"{settings.SITE_URL}{path}"


def portal_url(*, tenant_id: int, ticket_id: int) -> str:
    return absolute(reverse("support:portal", args=[portal_token(tenant_id=tenant_id, ticket_id=ticket_id)]))


def survey_url(*, tenant_id: int, survey_id: int, rating: int | None = None) -> str:
    path = reverse("support:survey", args=[survey_token(tenant_id=tenant_id, survey_id=survey_id)])
    return absolute(f"{path}?rating={rating}" if rating else path)
