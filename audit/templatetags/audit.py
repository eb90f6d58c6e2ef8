"""``{% audit_history_url obj %}``: the field history page of any record (no query)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def audit_history_url(obj: Any) -> str:
    return reverse("audit:history", args=[obj._meta.label_lower, obj.pk])


@register.filter
def audit_value(value: Any) -> str:
    """A recorded before/after value as text: empty values as a dash, lists joined."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if value is True:
        return "✓"
    if value is False:
        return "✗"
    return str(value)
