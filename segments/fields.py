"""The registry of fields a segment rule can test.

A field knows its key, label, group (the field picker's heading), its value type, the operators
valid for that type, its choices (for choice fields, possibly computed per tenant), and how to turn
an operator and an already-validated value into a ``Q`` over ``Contact``. Rules never loop over
contacts in Python: every field builds a condition on the contact row, a join the ORM makes
(account, score), or a correlated ``EXISTS``/subquery on an indexed column.

Other apps add fields from their ``AppConfig.ready()``::

    from segments.fields import FieldType, register_field

    register_field(
        key="campaigns.opened",
        label=_("Opened campaign"),
        group=_("Campaigns"),
        type=FieldType.CHOICE,
        choices=campaign_choices,           # a callable, read per tenant when the builder is shown
        build=opened_campaign_q,            # (op, value, ctx) -> Q; value is normalised (see below)
    )

Fields that exist per tenant (custom fields) come from ``register_field_source(fn)``: ``fn()``
returns the current tenant's fields.

Values reach ``build`` normalised by segments/rules.py according to the type:
text ``str``; number ``Decimal`` (``between``: a 2-tuple); date ``datetime.date`` (``between``: a
2-tuple; ``in_last``/``not_in_last``/``in_next``: ``int`` days); choice and multi-choice
``list[str]``; boolean ``None`` (the operator says it); relative-date ``int`` days;
``is_empty``/``is_not_empty`` ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from crm.models import Tenant, User


class FieldType:
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    BOOLEAN = "boolean"
    RELATIVE_DATE = "relative_date"  # "had X in the last N days": the value is a number of days


class Op:
    EQ = "eq"
    NEQ = "neq"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    ON = "on"
    BEFORE = "before"
    AFTER = "after"
    IN_LAST = "in_last"
    NOT_IN_LAST = "not_in_last"
    IN_NEXT = "in_next"
    IN = "in"
    NOT_IN = "not_in"
    HAS_ANY = "has_any"
    HAS_ALL = "has_all"
    HAS_NONE = "has_none"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"


OPERATOR_LABELS: dict[str, Promise] = {
    Op.EQ: _("is"),
    Op.NEQ: _("is not"),
    Op.CONTAINS: _("contains"),
    Op.NOT_CONTAINS: _("does not contain"),
    Op.STARTS_WITH: _("starts with"),
    Op.ENDS_WITH: _("ends with"),
    Op.GT: _("is more than"),
    Op.GTE: _("is at least"),
    Op.LT: _("is less than"),
    Op.LTE: _("is at most"),
    Op.BETWEEN: _("is between"),
    Op.ON: _("is on"),
    Op.BEFORE: _("is before"),
    Op.AFTER: _("is after"),
    Op.IN_LAST: _("in the last … days"),
    Op.NOT_IN_LAST: _("not in the last … days"),
    Op.IN_NEXT: _("in the next … days"),
    Op.IN: _("is any of"),
    Op.NOT_IN: _("is none of"),
    Op.HAS_ANY: _("has any of"),
    Op.HAS_ALL: _("has all of"),
    Op.HAS_NONE: _("has none of"),
    Op.IS_TRUE: _("is yes"),
    Op.IS_FALSE: _("is no"),
    Op.IS_EMPTY: _("is empty"),
    Op.IS_NOT_EMPTY: _("is not empty"),
}

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    FieldType.TEXT: (
        Op.EQ,
        Op.NEQ,
        Op.CONTAINS,
        Op.NOT_CONTAINS,
        Op.STARTS_WITH,
        Op.ENDS_WITH,
        Op.IS_EMPTY,
        Op.IS_NOT_EMPTY,
    ),
    FieldType.NUMBER: (Op.EQ, Op.NEQ, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
    FieldType.DATE: (
        Op.ON,
        Op.BEFORE,
        Op.AFTER,
        Op.BETWEEN,
        Op.IN_LAST,
        Op.NOT_IN_LAST,
        Op.IS_EMPTY,
        Op.IS_NOT_EMPTY,
    ),
    FieldType.CHOICE: (Op.IN, Op.NOT_IN, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
    FieldType.MULTI_CHOICE: (Op.HAS_ANY, Op.HAS_ALL, Op.HAS_NONE, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
    FieldType.BOOLEAN: (Op.IS_TRUE, Op.IS_FALSE),
    FieldType.RELATIVE_DATE: (Op.IN_LAST, Op.NOT_IN_LAST),
}

# Operators whose value is a number of days (the builder shows a number input with "days").
DAYS_OPERATORS = frozenset({Op.IN_LAST, Op.NOT_IN_LAST, Op.IN_NEXT})
NO_VALUE_OPERATORS = frozenset({Op.IS_EMPTY, Op.IS_NOT_EMPTY, Op.IS_TRUE, Op.IS_FALSE})


@dataclass
class RuleContext:
    """What a field may need besides the value: whose "me", which time zone's days, and the segments
    already being expanded (a segment that contains itself, directly or not, is refused)."""

    tenant_id: int
    user: User | None = None
    now: datetime = field(default_factory=timezone.now)
    segment_stack: tuple[int, ...] = ()
    tenant: Tenant | None = None  # read on first need (only date rules need its time zone)

    @property
    def zone(self) -> ZoneInfo:
        if self.tenant is None:
            from crm.models import Tenant

            self.tenant = Tenant.objects.get(pk=self.tenant_id)
        try:
            return ZoneInfo(self.tenant.time_zone or "UTC")
        except (ValueError, KeyError):
            return ZoneInfo("UTC")

    def nested(self, segment_id: int) -> RuleContext:
        return RuleContext(
            tenant_id=self.tenant_id,
            user=self.user,
            now=self.now,
            segment_stack=(*self.segment_stack, segment_id),
            tenant=self.tenant,
        )

    def start_of_day(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def today(self) -> date:
        return timezone.localtime(self.now, self.zone).date()

    def days_ago(self, days: int) -> datetime:
        """The start of the day ``days`` days before today (so "in the last 7 days" is whole days)."""
        return self.start_of_day(self.today() - timedelta(days=days))


Builder = Callable[[str, Any, RuleContext], Q]
Choices = Sequence[tuple[str, str | Promise]] | Callable[[], Sequence[tuple[str, str | Promise]]]


@dataclass(frozen=True)
class SegmentField:
    key: str
    label: str | Promise
    group: str | Promise
    type: str
    build: Builder
    choices: Choices | None = None
    operators: tuple[str, ...] = ()
    help_text: str | Promise = ""
    unit: str | Promise = ""  # shown after number inputs: "%", "days"
    validate_choices: bool = True  # False: any value is accepted (tags), the choices only suggest

    @property
    def allowed_operators(self) -> tuple[str, ...]:
        return self.operators or OPERATORS_BY_TYPE[self.type]

    def choice_list(self) -> list[tuple[str, str]]:
        if self.choices is None:
            return []
        values = self.choices() if callable(self.choices) else self.choices
        return [(str(value), str(label)) for value, label in values]


class RuleError(ValueError):
    """A rule that cannot be compiled; the message names the rule ("Rule 2.1 (Total spend): ...")."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


_FIELDS: dict[str, SegmentField] = {}
_SOURCES: list[Callable[[], Iterable[SegmentField]]] = []


def register_field(
    *,
    key: str,
    label: str | Promise,
    group: str | Promise,
    type: str,
    build: Builder,
    choices: Choices | None = None,
    operators: Sequence[str] = (),
    help_text: str | Promise = "",
    unit: str | Promise = "",
    validate_choices: bool = True,
) -> SegmentField:
    """Add a field every tenant can use. Registering a key again replaces it (autoreload, tests).
    The built-in fields register first, so the field picker lists them before other apps' groups."""
    _ensure_builtins()
    if type not in OPERATORS_BY_TYPE:
        raise ValueError(f"unknown segment field type {type!r}")
    unknown = set(operators) - set(OPERATOR_LABELS)
    if unknown:
        raise ValueError(f"unknown operators {sorted(unknown)}")
    segment_field = SegmentField(
        key=key,
        label=label,
        group=group,
        type=type,
        build=build,
        choices=choices,
        operators=tuple(operators),
        help_text=help_text,
        unit=unit,
        validate_choices=validate_choices,
    )
    _FIELDS[key] = segment_field
    return segment_field


def register_field_source(source: Callable[[], Iterable[SegmentField]]) -> None:
    """Add a function returning the current tenant's own fields (e.g. its custom fields)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def all_fields() -> list[SegmentField]:
    """Every field for the current tenant, in registration order (built-ins, then per-tenant fields)."""
    _ensure_builtins()
    fields = list(_FIELDS.values())
    for source in _SOURCES:
        fields.extend(source())
    return fields


def get_field(key: str) -> SegmentField | None:
    _ensure_builtins()
    if key in _FIELDS:
        return _FIELDS[key]
    for source in _SOURCES:
        for candidate in source():
            if candidate.key == key:
                return candidate
    return None


def grouped_fields() -> list[tuple[str, list[SegmentField]]]:
    """Fields by group, groups in first-registration order, for the builder's field picker."""
    groups: dict[str, list[SegmentField]] = {}
    for segment_field in all_fields():
        groups.setdefault(str(segment_field.group), []).append(segment_field)
    return list(groups.items())


def _ensure_builtins() -> None:
    from segments import builtin_fields  # noqa: F401 - registers on import


# --- Building blocks for ``build`` functions -------------------------------------------------------


def column(path: str, *, text_case_insensitive: bool = True, empty_value: Any = None) -> Builder:
    """A builder comparing a column (or a ``__`` path through a join) with the rule's value.

    ``empty_value`` is what "is empty" also matches besides NULL ("" for text columns)."""

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        ci = "i" if text_case_insensitive else ""
        match op:
            case Op.EQ:
                return Q(**{f"{path}__{ci}exact" if isinstance(value, str) else path: value})
            case Op.NEQ:
                return ~Q(**{f"{path}__{ci}exact" if isinstance(value, str) else path: value})
            case Op.CONTAINS:
                return Q(**{f"{path}__{ci}contains": value})
            case Op.NOT_CONTAINS:
                return ~Q(**{f"{path}__{ci}contains": value})
            case Op.STARTS_WITH:
                return Q(**{f"{path}__{ci}startswith": value})
            case Op.ENDS_WITH:
                return Q(**{f"{path}__{ci}endswith": value})
            case Op.GT | Op.GTE | Op.LT | Op.LTE:
                return Q(**{f"{path}__{op}": value})
            case Op.BETWEEN:
                return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
            case Op.IN:
                return Q(**{f"{path}__in": value})
            case Op.NOT_IN:
                return ~Q(**{f"{path}__in": value})
            case Op.IS_TRUE:
                return Q(**{path: True})
            case Op.IS_FALSE:
                return Q(**{path: False})
            case Op.IS_EMPTY:
                empty = Q(**{f"{path}__isnull": True})
                return empty | Q(**{path: empty_value}) if empty_value is not None else empty
            case Op.IS_NOT_EMPTY:
                present = Q(**{f"{path}__isnull": False})
                return present & ~Q(**{path: empty_value}) if empty_value is not None else present
        raise RuleError(str(_("This operator does not apply here.")))

    return build


def datetime_column(path: str) -> Builder:
    """A builder for a timestamp column compared by whole days in the tenant's time zone, so every
    condition is a range on the column itself (indexes serve it)."""

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        match op:
            case Op.ON:
                return Q(
                    **{
                        f"{path}__gte": ctx.start_of_day(value),
                        f"{path}__lt": ctx.start_of_day(value + timedelta(days=1)),
                    }
                )
            case Op.BEFORE:
                return Q(**{f"{path}__lt": ctx.start_of_day(value)})
            case Op.AFTER:
                return Q(**{f"{path}__gte": ctx.start_of_day(value + timedelta(days=1))})
            case Op.BETWEEN:
                return Q(
                    **{
                        f"{path}__gte": ctx.start_of_day(value[0]),
                        f"{path}__lt": ctx.start_of_day(value[1] + timedelta(days=1)),
                    }
                )
            case Op.IN_LAST:
                return Q(**{f"{path}__gte": ctx.days_ago(value)})
            case Op.NOT_IN_LAST:
                return ~Q(**{f"{path}__gte": ctx.days_ago(value)})
            case Op.IS_EMPTY:
                return Q(**{f"{path}__isnull": True})
            case Op.IS_NOT_EMPTY:
                return Q(**{f"{path}__isnull": False})
        raise RuleError(str(_("This operator does not apply here.")))

    return build


def date_column(path: str) -> Builder:
    """A builder for a ``DateField`` (no time zone involved)."""

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        today = ctx.today()
        match op:
            case Op.ON:
                return Q(**{path: value})
            case Op.BEFORE:
                return Q(**{f"{path}__lt": value})
            case Op.AFTER:
                return Q(**{f"{path}__gt": value})
            case Op.BETWEEN:
                return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
            case Op.IN_LAST:
                return Q(**{f"{path}__gte": today - timedelta(days=value), f"{path}__lte": today})
            case Op.NOT_IN_LAST:
                return ~Q(**{f"{path}__gte": today - timedelta(days=value), f"{path}__lte": today})
            case Op.IN_NEXT:
                return Q(**{f"{path}__gte": today, f"{path}__lte": today + timedelta(days=value)})
            case Op.IS_EMPTY:
                return Q(**{f"{path}__isnull": True})
            case Op.IS_NOT_EMPTY:
                return Q(**{f"{path}__isnull": False})
        raise RuleError(str(_("This operator does not apply here.")))

    return build


def last_event_date(events: Callable[[], QuerySet[Any]], date_field: str) -> Builder:
    """A builder for "the date of the contact's latest <event>" as EXISTS tests, never MAX() over every
    contact: ``events()`` returns the event rows already correlated to the contact
    (``filter(contact=OuterRef("pk"))``), so an index on (contact, date) answers each test.

    "Last order is before D" = had one, and none on or after D; "not in the last N days" includes
    contacts that never had one."""

    def since(moment: datetime) -> Exists:
        return Exists(events().filter(**{f"{date_field}__gte": moment}))

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        ever = Q(Exists(events()))
        match op:
            case Op.ON:
                start, end = ctx.start_of_day(value), ctx.start_of_day(value + timedelta(days=1))
                return Q(since(start)) & ~Q(since(end))
            case Op.BEFORE:
                return ever & ~Q(since(ctx.start_of_day(value)))
            case Op.AFTER:
                return Q(since(ctx.start_of_day(value + timedelta(days=1))))
            case Op.BETWEEN:
                start, end = ctx.start_of_day(value[0]), ctx.start_of_day(value[1] + timedelta(days=1))
                return Q(since(start)) & ~Q(since(end))
            case Op.IN_LAST:
                return Q(since(ctx.days_ago(value)))
            case Op.NOT_IN_LAST:
                return ~Q(since(ctx.days_ago(value)))
            case Op.IS_EMPTY:
                return ~ever
            case Op.IS_NOT_EMPTY:
                return ever
        raise RuleError(str(_("This operator does not apply here.")))

    return build


def had_event(events: Callable[[], QuerySet[Any]], date_field: str) -> Builder:
    """A relative-date builder: "had <event> in the last N days" / "not in the last N days"."""
    last = last_event_date(events, date_field)

    def build(op: str, value: Any, ctx: RuleContext) -> Q:
        return last(op, value, ctx)

    return build


def to_decimal(value: float | int | str) -> Decimal:
    return Decimal(str(value))
