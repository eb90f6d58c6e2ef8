"""Sort options for lists, and keyset pages that keep to them (no OFFSET).

Each list (``"contacts"``, ``"accounts"``, ``"deals"``, later ``"tickets"``) has a ``SortRegistry``
of ``SortOption``s: a key for the URL (``?sort=newest``), a label, and the ordered column
expressions, the last of which is the primary key so that every row has one place. All columns
of an option go the same way, so "the rows after the last one shown" is one row-value comparison,
``(a, b, id) > (x, y, z)`` (``<`` when descending), which PostgreSQL answers with one range scan
of a (tenant, a, b, id) index, read forwards or backwards. Expressions work the same as columns:
a nullable column is sorted through ``Coalesce(column, sentinel)`` (a row comparison with NULL is
NULL, which would drop those rows from every later page) with an index on that expression.

Other apps add options later (custom fields, JSON values): ``registry.register(option)`` for an
option every tenant has, ``registry.register_provider(fn)`` for options that depend on the tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Expression, F, Model, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.functional import Promise

from crm.cursors import decode_cursor, encode_cursor

PAGE_SIZE = 50


@dataclass(frozen=True)
class SortOption:
    """One way to order a list. ``columns`` are field names or expressions; the last must be "id"."""

    key: str
    label: str | Promise
    columns: Sequence[str | Expression]
    descending: bool = False
    # Rows this order lists at all, if not every row: sorting contacts by a score lists the scored
    # ones, which lets PostgreSQL walk the score table's index and join each contact by its key.
    only: Q | None = None

    def __post_init__(self) -> None:
        if not self.columns or self.columns[-1] not in ("id", "pk"):
            raise ValueError(f"sort {self.key!r}: the last column must be the id, so every row has one place")

    def expressions(self) -> list[Any]:
        return [F(column) if isinstance(column, str) else column for column in self.columns]

    def aliases(self) -> list[str]:
        return [f"_sort_{index}" for index in range(len(self.columns))]


@dataclass
class SortRegistry:
    """The sort options of one list, in menu order; the first registered (or ``default=True``) is the default."""

    list_key: str
    _options: dict[str, SortOption] = field(default_factory=dict)
    _providers: list[Callable[[Any], Sequence[SortOption]]] = field(default_factory=list)
    _default: str = ""

    def register(self, option: SortOption, *, default: bool = False) -> SortOption:
        self._options[option.key] = option
        if default or not self._default:
            self._default = option.key
        return option

    def register_provider(self, provider: Callable[[Any], Sequence[SortOption]]) -> None:
        """``provider(tenant)`` returns options that exist for that tenant only (custom fields)."""
        self._providers.append(provider)

    def options(self, tenant: Any = None) -> list[SortOption]:
        extra = [option for provider in self._providers for option in provider(tenant)] if tenant else []
        return [*self._options.values(), *extra]

    @property
    def default(self) -> SortOption:
        return self._options[self._default]

    def get(self, key: str | None, tenant: Any = None) -> SortOption:
        """The option named ``key``; an unknown or missing key is the default (never an error)."""
        if key and key in self._options:
            return self._options[key]
        if key and tenant is not None:
            for option in self.options(tenant):
                if option.key == key:
                    return option
        return self.default


_REGISTRIES: dict[str, SortRegistry] = {}


def sorts_for(list_key: str) -> SortRegistry:
    """The registry of ``list_key``, created on first use."""
    return _REGISTRIES.setdefault(list_key, SortRegistry(list_key))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def order_by_sort(queryset: QuerySet[Any], sort: SortOption) -> QuerySet[Any]:
    """``queryset`` annotated with the sort values (``_sort_0``…) and ordered by them."""
    if sort.only is not None:
        queryset = queryset.filter(sort.only)
    annotated = queryset.annotate(**dict(zip(sort.aliases(), sort.expressions(), strict=True)))
    return annotated.order_by(*(F(alias).desc() if sort.descending else F(alias).asc() for alias in sort.aliases()))


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(values: list[Any], sort: SortOption, model: type[Model]) -> list[Any] | None:
    """Cursor values back to Python values of each column's type; None if they do not parse."""
    parsed = []
    query = model._default_manager.none().query
    for expression, value in zip(sort.expressions(), values, strict=True):
        output_field = expression.resolve_expression(query).output_field
        try:
            parsed.append(None if value is None else output_field.to_python(value))
        except (ValidationError, TypeError, ValueError):
            return None
    return parsed


def after_condition(sort: SortOption, values: list[Any]) -> TupleGreaterThan | TupleLessThan:
    """``(a, b, id) > (x, y, z)`` (``<`` when descending): one range on the sort's index."""
    lookup = TupleLessThan if sort.descending else TupleGreaterThan
    return lookup(Tuple(*(F(alias) for alias in sort.aliases())), tuple(values))


def keyset_page(queryset: QuerySet[Any], *, sort: SortOption, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of ``queryset`` in ``sort`` order after ``cursor``.

    The cursor carries the sort key: a cursor of another sort (a stale link) starts at page one.
    """
    rows_query = order_by_sort(queryset, sort)
    decoded = decode_cursor(cursor, len(sort.columns) + 1)
    if decoded and decoded[0] == sort.key:
        values = _from_json(decoded[1:], sort, queryset.model)
        if values is not None:
            rows_query = rows_query.filter(after_condition(sort, values))
    rows = list(rows_query[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor([sort.key, *(_to_json(getattr(last, alias)) for alias in sort.aliases())])
    return Page(rows=rows, next_cursor=next_cursor)
