"""Reads of accounts, contacts and orders: scoped querysets with what each page needs joined."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.models import User
from customers.models import Account, Contact, LifecycleStage, Order, OrderStatus

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode_cursor(cursor: str | None, length: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    return values


def _search_query(text: str) -> SearchQuery:
    # Prefix match on every word: "ann smi" finds "Anna Smith".
    words = ["".join(ch for ch in word if ch.isalnum() or ch in "@.-_+") for word in text.split()]
    terms = " & ".join(f"{word}:*" for word in words if word)
    return SearchQuery(terms or "''", search_type="raw", config="simple")


def contact_page(*, cursor: str | None = None, query: str = "", stage: str = "") -> Page:
    """Contacts sorted by name, keyset-paginated on (last_name, first_name, id)."""
    contacts = Contact.objects.select_related("account", "owner").only(
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "lifecycle_stage",
        "account__name",
        "owner__full_name",
        "owner__email",
    )
    if query:
        contacts = contacts.filter(search_document=_search_query(query))
    if stage in LifecycleStage.values:
        contacts = contacts.filter(lifecycle_stage=stage)
    after = _decode_cursor(cursor, 3)
    if after:
        last, first, pk = after
        contacts = contacts.filter(
            Q(last_name__gt=last)
            | Q(last_name=last, first_name__gt=first)
            | Q(last_name=last, first_name=first, id__gt=pk)
        )
    rows = list(contacts.order_by("last_name", "first_name", "id")[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_cursor = _encode_cursor([rows[-1].last_name, rows[-1].first_name, rows[-1].id]) if has_more else None
    return Page(rows=rows, next_cursor=next_cursor)


def account_page(*, cursor: str | None = None, query: str = "") -> Page:
    """Accounts sorted by name, keyset-paginated on (name, id)."""
    accounts = Account.objects.select_related("owner")
    if query:
        accounts = accounts.filter(search_document=_search_query(query))
    after = _decode_cursor(cursor, 2)
    if after:
        name, pk = after
        accounts = accounts.filter(Q(name__gt=name) | Q(name=name, id__gt=pk))
    rows = list(accounts.order_by("name", "id")[: PAGE_SIZE + 1])
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_cursor = _encode_cursor([rows[-1].name, rows[-1].id]) if has_more else None
    return Page(rows=rows, next_cursor=next_cursor)


def contacts_for_detail() -> QuerySet[Contact]:
    return Contact.objects.select_related("account", "owner", "updated_by")


def accounts_for_detail() -> QuerySet[Account]:
    return Account.objects.select_related("owner", "parent")


def order_summary(*, contact: Contact | None = None, account: Account | None = None) -> dict[str, Any]:
    orders = Order.objects.filter(status=OrderStatus.PAID)
    if contact is not None:
        orders = orders.filter(contact=contact)
    if account is not None:
        orders = orders.filter(account=account)
    summary = orders.aggregate(total=Sum("amount"), count=Count("id"), last_order_at=Max("ordered_at"))
    summary["total"] = summary["total"] or Decimal("0")
    return summary


def recent_orders(*, contact: Contact | None = None, account: Account | None = None, limit: int = 10) -> list[Order]:
    orders = Order.objects.all()
    if contact is not None:
        orders = orders.filter(contact=contact)
    if account is not None:
        orders = orders.filter(account=account).select_related("contact")
    return list(orders.order_by("-ordered_at")[:limit])


def account_contacts(account: Account, *, limit: int = 25) -> list[Contact]:
    return list(Contact.objects.filter(account=account).order_by("last_name", "first_name", "id")[:limit])


def global_search(query: str, *, limit: int = 10) -> dict[str, list[Any]]:
    search = _search_query(query)
    contacts = Contact.objects.filter(search_document=search).select_related("account")
    accounts = Account.objects.filter(search_document=search)
    return {
        "contacts": list(contacts.order_by("last_name", "first_name", "id")[:limit]),
        "accounts": list(accounts.order_by("name", "id")[:limit]),
    }


def customer_counts(*, owner: User | None = None) -> dict[str, int]:
    contacts = Contact.objects.all()
    if owner is not None:
        contacts = contacts.filter(owner=owner)
    by_stage = dict(contacts.values_list("lifecycle_stage").annotate(n=Count("id")).order_by())
    return {
        "contacts": sum(by_stage.values()),
        **{stage: by_stage.get(stage, 0) for stage in LifecycleStage.values},
    }


def consent_counts() -> dict[str, int]:
    return Contact.objects.aggregate(
        email=Count("id", filter=Q(email_consent=True)), sms=Count("id", filter=Q(sms_consent=True))
    )


def account_count() -> int:
    return Account.objects.count()


def revenue_by_month(*, months: int = 24) -> list[tuple[str, float]]:
    """Paid revenue per calendar month, oldest first, with empty months as zero."""
    now = timezone.now()
    start = (now - timedelta(days=31 * (months - 1))).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = dict(
        Order.objects.filter(status=OrderStatus.PAID, ordered_at__gte=start)
        .annotate(month=TruncMonth("ordered_at"))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    series: list[tuple[str, float]] = []
    cursor = start
    while cursor <= now:
        key = next((m for m in totals if m.year == cursor.year and m.month == cursor.month), None)
        series.append((cursor.strftime("%Y-%m"), float(totals[key]) if key else 0.0))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return series


def orders_since(days: int) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=days)
    return Order.objects.filter(status=OrderStatus.PAID, ordered_at__gte=since).aggregate(
        count=Count("id"), total=Sum("amount")
    )


def contacts_for_api() -> QuerySet[Contact]:
    return Contact.objects.defer("search_document")


def accounts_for_api() -> QuerySet[Account]:
    return Account.objects.defer("search_document")


def account_options(query: str, *, limit: int = 20) -> list[Account]:
    """Accounts for a lookup box: full-text prefix match, else the first by name."""
    accounts = Account.objects.only("name")
    if query:
        accounts = accounts.filter(search_document=_search_query(query))
    return list(accounts.order_by("name", "id")[:limit])


def contact_delete_impact(contact: Contact) -> dict[str, int]:
    from interactions.models import Interaction

    return {
        "orders": Order.objects.filter(contact=contact).count(),
        "interactions": Interaction.objects.filter(contact=contact).count(),
    }


def account_delete_impact(account: Account) -> dict[str, int]:
    return {
        "contacts": Contact.objects.filter(account=account).count(),
        "subsidiaries": Account.objects.filter(parent=account).count(),
    }


def orders_for_detail() -> QuerySet[Order]:
    return Order.objects.select_related("contact")
