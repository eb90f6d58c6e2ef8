"""Turning one row of the file into the values that will be stored, or the reasons it cannot be.

Only what a library must see value by value happens here (email-validator, phonenumbers, custom
field rules); everything that compares rows with each other or with the database happens set-wise
in SQL (imports/engine.py). Normalising reuses customers/normalize.py and
customers/custom_fields/values.py, so an imported contact is stored exactly as a form would store it.

A cell left empty means "no value in the file": an update keeps what the contact already has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from customers.custom_fields.values import FALSE_WORDS, TRUE_WORDS, clean_custom_value, is_empty
from customers.models import Contact, CustomField, LifecycleStage, PreferredChannel
from customers.normalize import normalize_email, normalize_phone, normalize_tags
from imports.mapping import CUSTOM_PREFIX
from imports.reader import column_label

# Stored columns of the staging table, in COPY order (imports/engine.py creates it from this list).
TEXT_FIELDS = [
    "first_name", "last_name", "email", "phone", "title", "account", "lifecycle_stage", "source",
    "preferred_channel", "street", "city", "region", "postal_code", "country", "birthday", "external_id",
    "source_system",
]  # fmt: skip
BOOLEAN_FIELDS = ["email_consent", "sms_consent"]
_CJK = re.compile("[\u4e00-\u9fff]")
_MAX_LENGTHS: dict[str, int | None] = {
    name: getattr(Contact._meta.get_field(name), "max_length", None) for name in TEXT_FIELDS if name != "account"
}
_MAX_LENGTHS["account"] = 200
_MAX_LENGTHS["birthday"] = None
_MAX_LENGTHS["email"] = 254


@dataclass
class CellError:
    column: str
    value: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class CleanRow:
    """The values of one row as they will be stored; ``None`` for "not in the file"."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    missing_required: str = ""  # label of a required custom field left empty (only matters for new contacts)
    errors: list[CellError] = field(default_factory=list)
    cell_errors: dict[int, str] = field(default_factory=dict)  # column index → reason, for the preview

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def has_identity(self) -> bool:
        return any(self.values.get(name) for name in ("first_name", "last_name", "email"))


def split_full_name(text: str) -> tuple[str, str]:
    """(first, last): 王小明 → (小明, 王); "Ann Lee Smith" → ("Ann Lee", "Smith"); "Smith, Ann" → ("Ann", "Smith")."""
    text = " ".join(text.split())
    if _CJK.match(text) and " " not in text:
        return text[1:], text[:1]  # family name first; two-character family names are rare enough
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (last, "")


def _choice(choices: list[tuple[str, Any]], label: str) -> Callable[[str], str]:
    def clean(value: str) -> str:
        wanted = value.strip().casefold()
        for stored, shown in choices:
            if wanted in (stored.casefold(), str(shown).casefold()):
                return stored
        raise ValidationError(
            _("“%(value)s” is not a %(label)s; use one of: %(choices)s.")
            % {"value": value, "label": label, "choices": ", ".join(str(shown) for _, shown in choices)}
        )

    return clean


def _boolean(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("“%(value)s” is neither yes nor no.") % {"value": value})


def _country(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValidationError(
            _("Use a two-letter country code such as US, DE or CN; “%(value)s” is not.") % {"value": value}
        )
    return code


def _birthday(value: str) -> str:
    try:
        parsed = parse_date(value.strip()[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(_("Write the date as YYYY-MM-DD; “%(value)s” is not.") % {"value": value})
    return parsed.isoformat()


class RowCleaner:
    """Cleans rows for one import: its mapping, the tenant's phone region and custom fields."""

    def __init__(
        self,
        *,
        headers: list[str],
        mapping: list[str],
        region: str,
        custom_fields: list[CustomField],
        source_system: str,
        strict_width: bool,
    ) -> None:
        self.headers = headers
        self.mapping = mapping
        self.width = len(headers)
        self.strict_width = strict_width
        self.source_system = source_system
        fields_by_key = {custom.key: custom for custom in custom_fields}
        self.custom_columns = {
            index: fields_by_key[target[len(CUSTOM_PREFIX) :]]
            for index, target in enumerate(mapping)
            if target.startswith(CUSTOM_PREFIX) and target[len(CUSTOM_PREFIX) :] in fields_by_key
        }
        mapped_custom = {custom.key for custom in self.custom_columns.values()}
        self.required_unmapped = [
            custom for custom in custom_fields if custom.required and custom.key not in mapped_custom
        ]
        self.cleaners: dict[str, Callable[[str], Any]] = {
            "email": normalize_email,
            "phone": lambda value: normalize_phone(value, region=region),
            "lifecycle_stage": _choice(list(LifecycleStage.choices), _("lifecycle stage")),
            "preferred_channel": _choice(list(PreferredChannel.choices), _("preferred channel")),
            "country": _country,
            "birthday": _birthday,
            "email_consent": _boolean,
            "sms_consent": _boolean,
        }

    def clean(self, number: int, cells: list[str]) -> CleanRow:
        row = CleanRow(number=number)
        if (len(cells) > self.width and any(cells[self.width :])) or (self.strict_width and len(cells) < self.width):
            reason = _("This row has %(cells)s columns; the header has %(header)s.") % {
                "cells": len(cells),
                "header": self.width,
            }
            row.errors.append(CellError("", "", reason))
            return row
        for index, target in enumerate(self.mapping):
            value = cells[index].strip() if index < len(cells) else ""
            if not target or (not value and not target.startswith(CUSTOM_PREFIX)):
                continue
            try:
                self._clean_cell(row, index, target, value)
            except ValidationError as error:
                reason = " ".join(error.messages)
                row.errors.append(CellError(column_label(self.headers, index), value, reason))
                row.cell_errors[index] = reason
        if not row.missing_required and self.required_unmapped:
            row.missing_required = self.required_unmapped[0].label
        if row.values.get("external_id") is not None:
            row.values.setdefault("source_system", self.source_system)
        else:
            row.values.pop("source_system", None)  # only meaningful with an external id
        return row

    def _clean_cell(self, row: CleanRow, index: int, target: str, value: str) -> None:
        if target.startswith(CUSTOM_PREFIX):
            custom = self.custom_columns.get(index)
            if custom is None:
                return
            if is_empty(value):
                if custom.required and not row.missing_required:
                    row.missing_required = custom.label
                return
            cleaned = clean_custom_value(custom, value)
            if cleaned is not None:
                row.custom = {**(row.custom or {}), custom.key: cleaned}
            return
        if target == "tags":
            row.tags = normalize_tags((row.tags or []) + normalize_tags(value))
            return
        if target == "full_name":
            first, last = split_full_name(value)
            for name, part in (("first_name", first), ("last_name", last)):
                if part:
                    row.values[name] = self._limited(name, part)
            return
        cleaner = self.cleaners.get(target)
        cleaned = cleaner(value) if cleaner else value
        if cleaned == "" and target in ("email", "phone"):
            return
        row.values[target] = self._limited(target, cleaned) if isinstance(cleaned, str) else cleaned

    def _limited(self, target: str, value: str) -> str:
        limit = _MAX_LENGTHS.get(target)
        if limit and len(value) > limit:
            raise ValidationError(
                _("%(length)s characters long; the most is %(max)s.") % {"length": len(value), "max": limit}
            )
        return value
