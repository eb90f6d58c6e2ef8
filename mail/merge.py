"""Merge fields in email templates: a fixed list of names replaced by plain strings.

Deliberately not a template engine: ``{{ name }}`` is looked up in a dictionary of strings built
from a few whitelisted attributes, so a template can never reach other attributes, call methods or
run tags. Anything else in double braces, and any ``{% tag %}``, is an error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELD_PATTERN = re.compile(r"\{\{\s*(.*?)\s*\}\}")
TAG_PATTERN = re.compile(r"\{%.*?%\}|\{#.*?#\}")
CUSTOM_PREFIX = "contact.custom."

STANDARD_FIELDS = {
    "contact.first_name": gettext_lazy("Contact's first name"),
    "contact.last_name": gettext_lazy("Contact's last name"),
    "contact.full_name": gettext_lazy("Contact's full name"),
    "contact.email": gettext_lazy("Contact's email address"),
    "contact.title": gettext_lazy("Contact's job title"),
    "account.name": gettext_lazy("Account (company) name"),
    "user.full_name": gettext_lazy("Your name"),
    "user.email": gettext_lazy("Your email address"),
}


@dataclass(frozen=True)
class MergeProblem:
    text: str

    def __str__(self) -> str:
        return self.text


def fields_in(text: str) -> list[str]:
    """The merge field names used in ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for match in FIELD_PATTERN.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def problems(text: str, *, allowed: Iterable[str]) -> list[MergeProblem]:
    """What is wrong with ``text`` as a template: unknown fields and template tags, each named."""
    allowed_names = set(allowed)
    found = [
        MergeProblem(
            _("Unknown merge field {{ %(field)s }}. Use one of the fields listed next to the form.") % {"field": name}
        )
        for name in fields_in(text)
        if name not in allowed_names
    ]
    found += [
        MergeProblem(_("Template tags such as %(tag)s are not supported; only {{ fields }}.") % {"tag": tag})
        for tag in dict.fromkeys(TAG_PATTERN.findall(text))
    ]
    return found


def render(text: str, values: Mapping[str, str], *, html: bool = False) -> str:
    """Replace every known field by its value (HTML-escaped in HTML bodies); unknown ones stay as typed."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return escape(values[name]) if html else values[name]

    return FIELD_PATTERN.sub(replace, text)


def allowed_fields(custom_keys: Iterable[str]) -> dict[str, str]:
    """Every field name a template may use, with what it means."""
    fields = {name: str(label) for name, label in STANDARD_FIELDS.items()}
    for key in custom_keys:
        fields[f"{CUSTOM_PREFIX}{key}"] = _("Custom field “%(key)s”") % {"key": key}
    return fields
