"""Segment rules: validated, normalised, described in words and compiled to one ``Q`` over contacts.

The JSON shape (stored on ``Segment.rules``, sent by the builder and the API)::

    {"match": "all" | "any", "rules": [
        {"field": "orders.total", "op": "gt", "value": "500"},
        {"match": "any", "rules": [ ... ]},          # a nested group
    ]}

Rules are numbered by position, groups included: "Rule 2.1" is the first rule of the second entry.
Every message names its rule and field: "Rule 2.1 (Total spend): enter a number".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from segments.fields import (
    DAYS_OPERATORS,
    NO_VALUE_OPERATORS,
    OPERATOR_LABELS,
    FieldType,
    Op,
    RuleContext,
    RuleError,
    SegmentField,
    get_field,
)

__all__ = ["RuleError", "RuleIssue", "compile_rules", "describe_rules", "normalise_rules", "validate_rules"]

MAX_DEPTH = 4  # the top group and up to three levels of groups inside it
MAX_RULES = 60
MAX_DAYS = 36500
MAX_TEXT = 200
MATCHES = ("all", "any")


@dataclass(frozen=True)
class RuleIssue:
    path: str  # "2.1"; "" for the whole segment
    message: str


def empty_rules() -> dict[str, Any]:
    return {"match": "all", "rules": []}


# --- Walking the tree ------------------------------------------------------------------------------


@dataclass
class _Walk:
    check_choices: bool
    issues: list[RuleIssue] = field(default_factory=list)
    count: int = 0

    def fail(self, path: str, label: str, message: str) -> None:
        if path:
            prefix = (
                _("Rule %(path)s (%(field)s)") % {"path": path, "field": label}
                if label
                else _("Rule %(path)s") % {"path": path}
            )
            self.issues.append(RuleIssue(path, f"{prefix}: {message}"))
        else:
            self.issues.append(RuleIssue(path, message))


def _group(node: Any, path: str, depth: int, walk: _Walk) -> dict[str, Any] | None:
    if not isinstance(node, dict) or not isinstance(node.get("rules", []), list):
        walk.fail(path, "", _("a group needs a list of rules."))
        return None
    match = node.get("match", "all")
    if match not in MATCHES:
        walk.fail(path, "", _("match must be “all” or “any”."))
        return None
    if depth > MAX_DEPTH:
        walk.fail(path, "", _("groups can be nested at most %(depth)s deep.") % {"depth": MAX_DEPTH - 1})
        return None
    children: list[dict[str, Any]] = []
    rules = node.get("rules", [])
    if not rules and path:
        walk.fail(path, "", _("this group is empty: add a rule or remove the group."))
    for index, child in enumerate(rules, start=1):
        child_path = f"{path}.{index}" if path else str(index)
        if isinstance(child, dict) and "rules" in child:
            normalised = _group(child, child_path, depth + 1, walk)
        else:
            normalised = _rule(child, child_path, walk)
        if normalised is not None:
            children.append(normalised)
    return {"match": match, "rules": children}


def _rule(node: Any, path: str, walk: _Walk) -> dict[str, Any] | None:
    walk.count += 1
    if walk.count == MAX_RULES + 1:
        walk.fail(path, "", _("a segment can have at most %(count)s rules.") % {"count": MAX_RULES})
    if not isinstance(node, dict):
        walk.fail(path, "", _("not a rule."))
        return None
    key = node.get("field")
    segment_field = get_field(key) if isinstance(key, str) else None
    if segment_field is None:
        walk.fail(path, "", _("choose a field (“%(key)s” does not exist, or no longer).") % {"key": key or ""})
        return None
    label = str(segment_field.label)
    op = node.get("op")
    if op not in segment_field.allowed_operators:
        walk.fail(path, label, _("choose a condition."))
        return None
    try:
        value = parse_value(segment_field, op, node.get("value"), check_choices=walk.check_choices)
    except RuleError as error:
        walk.fail(path, label, str(error))
        return None
    return {"field": key, "op": op, "value": _json_value(value)}


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- Values ----------------------------------------------------------------------------------------


def parse_value(segment_field: SegmentField, op: str, raw: Any, *, check_choices: bool = True) -> Any:
    """The rule's value as its builder expects it (segments/fields.py), or RuleError saying what to enter."""
    if op in NO_VALUE_OPERATORS:
        return None
    if op in DAYS_OPERATORS or segment_field.type == FieldType.RELATIVE_DATE:
        return _days(raw)
    match segment_field.type:
        case FieldType.NUMBER:
            if op == Op.BETWEEN:
                low, high = _pair(raw, _number)
                if low > high:
                    raise RuleError(_("the first number must not be more than the second."))
                return (low, high)
            return _number(raw)
        case FieldType.DATE:
            if op == Op.BETWEEN:
                start, end = _pair(raw, _date)
                if start > end:
                    raise RuleError(_("the first date must not be after the second."))
                return (start, end)
            return _date(raw)
        case FieldType.CHOICE | FieldType.MULTI_CHOICE:
            return _choices(segment_field, raw, check=check_choices)
        case _:
            text = str(raw if raw is not None else "").strip()
            if not text:
                raise RuleError(_("enter a value."))
            if len(text) > MAX_TEXT:
                raise RuleError(_("enter at most %(count)s characters.") % {"count": MAX_TEXT})
            return text


def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise RuleError(_("enter a number."))
    try:
        number = Decimal(str(raw).strip().replace(",", "")) if raw not in (None, "") else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or abs(number) > Decimal("1e15"):
        raise RuleError(_("enter a number."))
    return number


def _date(raw: Any) -> date:
    try:
        parsed = parse_date(str(raw).strip()) if raw not in (None, "") else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise RuleError(_("enter a date (YYYY-MM-DD)."))
    return parsed


def _days(raw: Any) -> int:
    try:
        number = float(str(raw).strip()) if raw not in (None, "") and not isinstance(raw, bool) else math.nan
    except ValueError:
        number = math.nan
    if math.isnan(number) or number != int(number) or not 1 <= number <= MAX_DAYS:
        raise RuleError(_("enter a whole number of days from 1 to %(max)s.") % {"max": MAX_DAYS})
    return int(number)


def _pair(raw: Any, parse: Any) -> tuple[Any, Any]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise RuleError(_("enter both ends of the range."))
    return parse(raw[0]), parse(raw[1])


def _choices(segment_field: SegmentField, raw: Any, *, check: bool) -> list[str]:
    if isinstance(raw, list | tuple):
        items = list(raw)
    elif not segment_field.validate_choices:  # free values typed into one box: "vip, newsletter"
        items = str(raw or "").split(",")
    else:
        items = [raw]
    values = list(dict.fromkeys(str(item).strip() for item in items if item is not None and str(item).strip()))
    if not values:
        raise RuleError(_("choose at least one value."))
    if len(values) > 200:
        raise RuleError(_("choose at most 200 values."))
    if check and segment_field.validate_choices and segment_field.choices is not None:
        known = {value for value, _label in segment_field.choice_list()}
        unknown = [value for value in values if value not in known]
        if unknown:
            raise RuleError(_("“%(value)s” is not one of the choices.") % {"value": unknown[0]})
    return values


# --- Public API ------------------------------------------------------------------------------------


def validate_rules(rules: Any) -> tuple[dict[str, Any], list[RuleIssue]]:
    """The rules normalised for storage and every problem found (choices checked against the tenant's)."""
    walk = _Walk(check_choices=True)
    normalised = _group(rules if rules not in (None, {}) else empty_rules(), "", 1, walk)
    return normalised or empty_rules(), walk.issues


def normalise_rules(rules: Any) -> dict[str, Any]:
    """The rules for storage; RuleError on the first problem."""
    normalised, issues = validate_rules(rules)
    if issues:
        raise RuleError(issues[0].message, path=issues[0].path)
    return normalised


def compile_rules(rules: Any, ctx: RuleContext) -> Q:
    """One condition over ``Contact`` for the rules (no rules: every contact). Choices are not checked
    against the tenant's (that reads the database); a stale or foreign id simply matches nothing."""
    walk = _Walk(check_choices=False)
    tree = _group(rules if rules not in (None, {}) else empty_rules(), "", 1, walk)
    if walk.issues or tree is None:
        issue = walk.issues[0] if walk.issues else RuleIssue("", _("These rules cannot be read."))
        raise RuleError(issue.message, path=issue.path)
    return _compile_group(tree, "", ctx)


def _compile_group(group: dict[str, Any], path: str, ctx: RuleContext) -> Q:
    conditions: list[Q] = []
    for index, child in enumerate(group["rules"], start=1):
        child_path = f"{path}.{index}" if path else str(index)
        if "rules" in child:
            conditions.append(_compile_group(child, child_path, ctx))
            continue
        segment_field = get_field(child["field"])
        assert segment_field is not None  # checked by _group
        try:
            value = parse_value(segment_field, child["op"], child["value"], check_choices=False)
            conditions.append(segment_field.build(child["op"], value, ctx))
        except (RuleError, ValueError, TypeError) as error:
            message = (
                str(error)
                if isinstance(error, RuleError)
                else _("“%(value)s” is not a valid choice.") % {"value": child["value"]}
            )
            prefix = _("Rule %(path)s (%(field)s)") % {"path": child_path, "field": segment_field.label}
            raise RuleError(f"{prefix}: {message}", path=child_path) from error
    if not conditions:
        return Q()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition if group["match"] == "all" else combined | condition
    return combined


# --- In words --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    """A group in words for the detail page: ``items`` are sentences (str) or nested Described."""

    match: str
    items: list[str | Described]

    @property
    def is_group(self) -> bool:
        return True


def describe_rules(rules: Any) -> Described:
    group = rules if isinstance(rules, dict) and rules.get("rules") else empty_rules()
    return _describe_group(group)


def _describe_group(group: dict[str, Any]) -> Described:
    items: list[str | Described] = []
    for child in group.get("rules", []):
        if isinstance(child, dict) and "rules" in child:
            items.append(_describe_group(child))
        elif isinstance(child, dict):
            items.append(describe_rule(child))
    return Described(match=group.get("match", "all"), items=items)


def describe_rule(rule: dict[str, Any]) -> str:
    segment_field = get_field(str(rule.get("field")))
    if segment_field is None:
        return _("Unknown field “%(key)s”") % {"key": rule.get("field")}
    op, value = rule.get("op", ""), rule.get("value")
    words = f"{segment_field.label} {OPERATOR_LABELS.get(op, op)}"
    if op in NO_VALUE_OPERATORS:
        return words
    if op in DAYS_OPERATORS or segment_field.type == FieldType.RELATIVE_DATE:
        return f"{segment_field.label} {_describe_days(op, value)}"
    if isinstance(value, list) and segment_field.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        labels = dict(segment_field.choice_list()) if segment_field.choices is not None else {}
        shown = ", ".join(labels.get(str(item), str(item)) for item in value)
        return f"{words} {shown}"
    if op == Op.BETWEEN and isinstance(value, list) and len(value) == 2:
        return f"{words} {value[0]}{segment_field.unit} {_('and')} {value[1]}{segment_field.unit}"
    return f"{words} {value}{segment_field.unit}"


def _describe_days(op: str, value: Any) -> str:
    if op == Op.NOT_IN_LAST:
        return _("not in the last %(days)s days") % {"days": value}
    if op == Op.IN_NEXT:
        return _("in the next %(days)s days") % {"days": value}
    return _("in the last %(days)s days") % {"days": value}
