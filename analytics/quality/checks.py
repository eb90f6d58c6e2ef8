"""What counts as clean, one function per kind of value: each returns the clean value, or None
when the value cannot be fixed without guessing (it is then flagged, and left as it is)."""

from __future__ import annotations

import pycountry
from django.core.exceptions import ValidationError

from customers.normalize import normalize_email, normalize_phone

# ISO 3166-1 alpha-2, officially assigned codes only: "UK" or "EU" are not countries here.
COUNTRY_CODES: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)


def clean_email(value: str) -> str | None:
    """Lower-case, IDNA-normalised (customers/normalize.py); None if not an address at all."""
    try:
        return normalize_email(value)
    except ValidationError:
        return None


def clean_phone(value: str, *, region: str) -> str | None:
    """E.164, numbers without a country code read as the tenant's ``region``; None if unreadable."""
    try:
        return normalize_phone(value, region=region)
    except ValidationError:
        return None


def clean_country(value: str) -> str | None:
    """Upper-case ISO 3166-1 alpha-2 code; None for anything else (no guessing "UK" means GB)."""
    code = value.strip().upper()
    if not code:
        return ""
    return code if code in COUNTRY_CODES else None


def clean_name(value: str) -> str:
    """Trimmed, runs of whitespace (tabs, no-break spaces) as one space; case left alone
    ("McDonald", "van der Berg" are spelt as their owners spell them)."""
    return " ".join(value.split())
