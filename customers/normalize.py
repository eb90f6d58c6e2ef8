"""Normalising contact data: one function per kind of value, each raising a clear ValidationError."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email


def normalize_email(value: str) -> str:
    """Lower-case, IDNA-normalised address (``Ann@Bücher.EXAMPLE`` → ``ann@bücher.example``)."""
    value = value.strip()
    if not value:
        return ""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(_("Enter a valid email address: %(reason)s"), params={"reason": str(error)}) from None
    return result.normalized.lower()


def normalize_phone(value: str, *, region: str) -> str:
    """E.164 (``+12025550143``), reading numbers without a country code as ``region``'s."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        example = phonenumbers.example_number(region.upper() or "US")
        hint = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL) if example else ""
        raise ValidationError(
            _("Enter a valid phone number, with the country code if it is not from %(region)s (e.g. %(example)s)."),
            params={"region": region.upper(), "example": hint},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_tags(value: str | list[str]) -> list[str]:
    """Comma-separated text or a list → trimmed, lower-case, unique tags in their first order."""
    items = value.split(",") if isinstance(value, str) else value
    tags: list[str] = []
    for item in items:
        tag = item.strip().lower()[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return tags
