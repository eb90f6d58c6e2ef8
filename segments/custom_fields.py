"""Segment fields for the tenant's own custom fields on contacts and their accounts (one field per
active custom field, typed as the admin defined it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db.models import F, JSONField, Q, Value
from django.db.models.fields.json import DataContains, HasKey, KeyTextTransform, KeyTransform
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IEndsWith,
    In,
    IsNull,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
)
from django.utils.translation import gettext_lazy as _

from segments.fields import Builder, FieldType, Op, RuleContext, SegmentField


def _custom_field_builder(prefix: str, key: str, field_type: str) -> Builder:
    """Custom values live in JSON (customers/custom_fields/values.py): numbers as JSON numbers, dates as
    ISO text (which sorts like dates), multi-choice as a JSON list. Expressions, not ``__`` paths, so a key
    named like a lookup ("in", "contains") cannot be misread."""
    json_path = f"{prefix}custom_fields"
    raw, as_text = KeyTransform(key, json_path), KeyTextTransform(key, json_path)
    has_key = Q(HasKey(F(json_path), key))

    def negate(condition: Q) -> Q:
        # NOT over a missing key is NULL, so "is not X" adds the records with no value at all.
        return ~condition | ~has_key

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
            # A value is there when the key holds something other than null, "" or [].
            blank = Q(IsNull(as_text, True)) | Q(In(as_text, ["", "[]"]))
            return ~has_key | blank if op == Op.IS_EMPTY else has_key & ~blank
        if field_type == "number":  # compared as JSON numbers (jsonb orders numbers numerically)
            if op == Op.BETWEEN:
                return Q(GreaterThanOrEqual(raw, _json(value[0]))) & Q(LessThanOrEqual(raw, _json(value[1])))
            if op == Op.NEQ:
                return negate(Q(Exact(raw, _json(value))))
            return Q(_COMPARE[op](raw, _json(value)))
        if field_type == "date":
            return _custom_date(op, value, ctx, as_text, negate)
        if field_type == "boolean":
            is_yes = Q(Exact(raw, Value(True, output_field=JSONField())))
            return is_yes if op == Op.IS_TRUE else negate(is_yes)
        if field_type == "multi_choice":
            any_of = Q(pk__in=[])
            for choice in value:  # the rule's few chosen values, not rows
                any_of |= Q(_json_contains(raw, [choice]))
            match op:
                case Op.HAS_ANY:
                    return any_of
                case Op.HAS_ALL:
                    return Q(_json_contains(raw, list(value)))
                case _:
                    return negate(any_of)
        if field_type == "choice":
            condition = Q(In(as_text, list(value)))
            return condition if op == Op.IN else negate(condition)
        # text and web address
        lowered = str(value).lower()
        match op:
            case Op.EQ:
                return Q(Exact(Lower(as_text), lowered))
            case Op.NEQ:
                return negate(Q(Exact(Lower(as_text), lowered)))
            case Op.CONTAINS:
                return Q(IContains(as_text, value))
            case Op.NOT_CONTAINS:
                return negate(Q(IContains(as_text, value)))
            case Op.STARTS_WITH:
                return Q(IStartsWith(as_text, value))
            case _:
                return Q(IEndsWith(as_text, value))

    return build


_COMPARE: dict[str, Any] = {
    Op.EQ: Exact,
    Op.GT: GreaterThan,
    Op.GTE: GreaterThanOrEqual,
    Op.LT: LessThan,
    Op.LTE: LessThanOrEqual,
}


def _json(number: Any) -> Value:
    return Value(float(number), output_field=JSONField())


def _json_contains(expression: Any, value: list[str]) -> Any:
    return DataContains(expression, Value(value, output_field=JSONField()))


def _custom_date(op: str, value: Any, ctx: RuleContext, as_text: Any, negate: Callable[[Q], Q]) -> Q:
    today = ctx.today()

    def between(start: Any, end: Any) -> Q:
        return Q(GreaterThanOrEqual(as_text, start.isoformat())) & Q(LessThanOrEqual(as_text, end.isoformat()))

    match op:
        case Op.ON:
            return Q(Exact(as_text, value.isoformat()))
        case Op.BEFORE:
            return Q(LessThan(as_text, value.isoformat()))
        case Op.AFTER:
            return Q(GreaterThan(as_text, value.isoformat()))
        case Op.BETWEEN:
            return between(value[0], value[1])
        case Op.IN_LAST:
            return between(today - timedelta(days=value), today)
        case Op.NOT_IN_LAST:
            return negate(between(today - timedelta(days=value), today))
        case _:
            return between(today, today + timedelta(days=value))


_CUSTOM_TYPES = {
    "text": FieldType.TEXT,
    "url": FieldType.TEXT,
    "number": FieldType.NUMBER,
    "date": FieldType.DATE,
    "choice": FieldType.CHOICE,
    "multi_choice": FieldType.MULTI_CHOICE,
    "boolean": FieldType.BOOLEAN,
}


def custom_fields() -> Iterable[SegmentField]:
    """The current tenant's active custom fields of contacts and accounts, as segment fields."""
    from customers.custom_fields.selectors import active_custom_fields
    from customers.models import CustomFieldEntity

    for entity, prefix, group in (
        (CustomFieldEntity.CONTACT, "", _("Contact custom fields")),
        (CustomFieldEntity.ACCOUNT, "account__", _("Account custom fields")),
    ):
        for custom in active_custom_fields(entity):
            field_type = _CUSTOM_TYPES.get(custom.field_type, FieldType.TEXT)
            choices = [(choice, choice) for choice in custom.choices] if custom.has_choices else None
            operators: tuple[str, ...] = ()
            if field_type == FieldType.DATE:
                operators = (
                    Op.ON, Op.BEFORE, Op.AFTER, Op.BETWEEN, Op.IN_LAST, Op.NOT_IN_LAST, Op.IN_NEXT,
                    Op.IS_EMPTY, Op.IS_NOT_EMPTY,
                )  # fmt: skip
            yield SegmentField(
                key=f"{'account.' if prefix else ''}cf.{custom.key}",
                label=custom.label,
                group=group,
                type=field_type,
                build=_custom_field_builder(prefix, custom.key, custom.field_type),
                choices=choices,
                operators=operators,
            )
