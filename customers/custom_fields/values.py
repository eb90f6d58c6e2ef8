"""Parsing and validating custom-field values: one function per write path's raw input.

Values are stored as JSON a query can compare: numbers as JSON numbers, dates as ISO text,
booleans as true/false, multi-choices as lists in the order the admin defined. An empty value is
stored as no key at all, so "has a value" is one ``?`` test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from customers.models import CustomField, CustomFieldType

TEXT_MAX_LENGTH = 1000
TRUE_WORDS = {"true", "yes", "y", "1", "on", "是", "x"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "否"}


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list | tuple) and not raw)


def clean_custom_value(field: CustomField, raw: Any) -> Any:
    """The value to store for ``raw`` (None for empty), or ValidationError saying what is wrong."""
    if is_empty(raw):
        if field.required:
            raise ValidationError(_("%(label)s is required.") % {"label": field.label}, code="required")
        return None
    cleaner = _CLEANERS[field.field_type]
    return cleaner(field, raw)


def clean_custom_values(
    fields: Iterable[CustomField], raw: Mapping[str, Any], *, existing: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The record's new ``custom_fields``: ``existing`` with every field in ``fields`` replaced by its
    cleaned value from ``raw``. Keys of archived or unknown fields in ``existing`` are kept untouched.
    Raises ValidationError with a message per field key."""
    result = dict(existing or {})
    errors: dict[str, list[ValidationError]] = {}
    for field in fields:
        try:
            value = clean_custom_value(field, raw.get(field.key))
        except ValidationError as error:
            errors[field.key] = [error]
            continue
        if value is None:
            result.pop(field.key, None)
        else:
            result[field.key] = value
    if errors:
        raise ValidationError(errors)
    return result


def _text(field: CustomField, raw: Any) -> str:
    text = str(raw).strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(
            _("%(label)s is %(length)d characters long; the most is %(max)d.")
            % {"label": field.label, "length": len(text), "max": TEXT_MAX_LENGTH}
        )
    return text


def _number(field: CustomField, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(_("%(label)s must be a number.") % {"label": field.label})
    text = str(raw).strip().replace(",", "").replace(" ", "") if isinstance(raw, str) else raw
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            _("%(label)s must be a number; “%(value)s” is not.") % {"label": field.label, "value": raw}
        ) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ValidationError(_("%(label)s must be a finite number below 10¹⁵.") % {"label": field.label})
    return int(number) if number == number.to_integral_value() else float(number)


def _date(field: CustomField, raw: Any) -> str:
    if isinstance(raw, date):
        return raw.isoformat()
    try:
        parsed = parse_date(str(raw).strip())
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise ValidationError(
            _("%(label)s must be a date written YYYY-MM-DD; “%(value)s” is not.") % {"label": field.label, "value": raw}
        )
    return parsed.isoformat()


def _canonical_choice(field: CustomField, raw: Any) -> str:
    wanted = str(raw).strip()
    for choice in field.choices:
        if choice.casefold() == wanted.casefold():
            return choice
    raise ValidationError(
        _("“%(value)s” is not one of the choices for %(label)s: %(choices)s.")
        % {"value": wanted, "label": field.label, "choices": ", ".join(field.choices)}
    )


def _choice(field: CustomField, raw: Any) -> str:
    return _canonical_choice(field, raw)


def _multi_choice(field: CustomField, raw: Any) -> list[str] | None:
    items = raw.split(";") if isinstance(raw, str) else list(raw)
    chosen = {_canonical_choice(field, item) for item in items if not is_empty(item)}
    if not chosen and field.required:
        raise ValidationError(_("%(label)s is required.") % {"label": field.label}, code="required")
    return [choice for choice in field.choices if choice in chosen] or None


def _boolean(field: CustomField, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(
        _("%(label)s must be yes or no; “%(value)s” is neither.") % {"label": field.label, "value": raw}
    )


def _url(field: CustomField, raw: Any) -> str:
    url = str(raw).strip()
    if "://" not in url:
        url = "https://" + url
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            _("%(label)s must be a web address such as https://example.com; “%(value)s” is not.")
            % {"label": field.label, "value": raw}
        ) from None
    return url


_CLEANERS: dict[str, Callable[[CustomField, Any], Any]] = {
    CustomFieldType.TEXT: _text,
    CustomFieldType.NUMBER: _number,
    CustomFieldType.DATE: _date,
    CustomFieldType.CHOICE: _choice,
    CustomFieldType.MULTI_CHOICE: _multi_choice,
    CustomFieldType.BOOLEAN: _boolean,
    CustomFieldType.URL: _url,
}


def display_value(field: CustomField, value: Any) -> str:
    """A stored value as people read it on pages and in exports."""
    if value is None:
        return ""
    if field.field_type == CustomFieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if field.field_type == CustomFieldType.MULTI_CHOICE and isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def export_value(field: CustomField, value: Any) -> Any:
    """A stored value for a spreadsheet cell: numbers stay numbers; multi-choices are joined with "; ",
    which is also how imports split them."""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value
