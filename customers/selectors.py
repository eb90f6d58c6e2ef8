"""Reads of accounts, contacts and orders: scoped querysets with what each page needs joined."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Collate, TruncMonth
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from crm.models import User
from crm.sorting import Page, SortOption, keyset_page, order_by_sort
from customers.models import Account, Contact, Deal, LifecycleStage, Order, OrderStatus
from customers.sorts import ACCOUNT_SORTS, CONTACT_SORTS
from shipments.models import Shipment

PAGE_SIZE = 50


def _search_words(text: str) -> list[str]:
    words = ["".join(ch for ch in word if ch.isalnum() or ch in "@.-_+'") for word in text.lower().split()]
    return [word for word in words if word][:5]


def starts_with(expression: Any, prefix: str) -> Q:
    """``expression`` begins with ``prefix``, written as a byte-order range.

    Under row-level security PostgreSQL only uses an index for LEAKPROOF operators: btree
    comparisons qualify, LIKE and full-text ``@@`` do not (they ran as scans of all of a
    tenant's rows: 1.5 s at a million contacts). The range is served by the
    ``*_prefix_idx`` indexes: on generated lower-case columns in "C" collation (``*_key``), or on
    (tenant, column COLLATE "C") where the column is stored normalised already (email, phone).
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(GreaterThanOrEqual(expression, prefix), LessThan(expression, upper))


def _phone_prefix(word: str, region: str) -> str | None:
    digits = "".join(ch for ch in word if ch.isdigit())
    if len(digits) < 3:
        return None
    if word.startswith("+"):
        return "+" + digits
    code = phonenumbers.country_code_for_region(region.upper() or "US")
    return f"+{code}{digits}" if code else None


def contact_search_filter(text: str, *, region: str = "US") -> Q:
    """Every word is the start of the contact's first name, last name, email or phone; a query
    of digits and phone punctuation ("(202) 555-01") is one phone number prefix."""
    if text.strip() and set(text.strip()) <= set("0123456789+-(). "):
        phone = _phone_prefix(text.strip(), region)
        return starts_with(Collate("phone", "C"), phone) if phone else Q(pk__in=[])
    condition = Q()
    for word in _search_words(text):
        matches = (
            starts_with(F("last_name_key"), word)
            | starts_with(F("first_name_key"), word)
            | starts_with(Collate("email", "C"), word)
        )
        phone = _phone_prefix(word, region)
        if phone:
            matches |= starts_with(Collate("phone", "C"), phone)
        condition &= matches
    return condition


def account_search_filter(text: str) -> Q:
    """The account's name starts with the words typed, in order ("maple pe" finds "Maple Peak")."""
    words = _search_words(text)
    return starts_with(F("name_key"), " ".join(words)) if words else Q()


def contact_page(*, base: QuerySet[Contact], cursor: str | None = None, sort: SortOption | None = None) -> Page:
    """Contacts of ``base`` (filtered by customers/filters.py) in ``sort`` order (by name when
    not given), keyset-paginated on the sort's columns (crm/sorting.py)."""
    contacts = base.select_related("account", "owner").only(
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
    return keyset_page(contacts, sort=sort or CONTACT_SORTS.default, cursor=cursor, size=PAGE_SIZE)


def contacts_for_export(*, base: QuerySet[Contact], fields: list[str], sort: SortOption | None = None) -> QuerySet[Any]:
    """The contact list as filtered (``base``), in list order, as tuples of ``fields``."""
    return order_by_sort(base, sort or CONTACT_SORTS.default).values_list(*fields)


def account_page(*, base: QuerySet[Account], cursor: str | None = None, sort: SortOption | None = None) -> Page:
    """Accounts of ``base`` (filtered by customers/filters.py) in ``sort`` order (by name when not given)."""
    accounts = base.select_related("owner")
    return keyset_page(accounts, sort=sort or ACCOUNT_SORTS.default, cursor=cursor, size=PAGE_SIZE)


def contacts_for_detail() -> QuerySet[Contact]:
    return Contact.objects.select_related("account", "owner", "updated_by", "score")


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
    # Each order's latest shipment (shipments app) for its status badge: one more query for the page.
    latest_first = Prefetch("shipments", queryset=Shipment.objects.order_by("-created_at", "-id"))
    return list(orders.order_by("-ordered_at").prefetch_related(latest_first)[:limit])


def account_contacts(account: Account, *, limit: int = 25) -> list[Contact]:
    return list(Contact.objects.filter(account=account).order_by("last_name", "first_name", "id")[:limit])


def global_search(query: str, *, limit: int = 10) -> dict[str, list[Any]]:
    """Contacts and accounts whose names, email or phone start with the words typed.

    Ranked: last-name matches first, then first names, then the rest, each by name. Ordering by
    the rank also keeps the planner on the prefix indexes rather than walking the name index.
    """
    from service_desk.selectors import ticket_search  # tickets by number ("#1042") or subject words

    tickets = ticket_search(query, limit=limit)
    words = _search_words(query)
    if not words:
        return {"contacts": [], "accounts": [], "deals": [], "tickets": tickets}
    accounts = Account.objects.filter(account_search_filter(query)).order_by("name_key", "id")
    deals = (
        Deal.objects.filter(deal_search_filter(query))
        .select_related("stage", "account")
        .only("name", "amount", "currency", "stage__name", "stage__kind", "account__name")
        .order_by("name_key", "id")
    )
    return {
        "contacts": _ranked_contacts(query, words[0], limit),
        "accounts": list(accounts[:limit]),
        "deals": list(deals[:limit]),
        "tickets": tickets,
    }


def deal_search_filter(text: str) -> Q:
    """The deal's name starts with the words typed, in order ("maple re" finds "Maple Peak renewal"
    only if typed from the start: "maple peak re")."""
    # Whole lower-cased text, punctuation kept: deal names often start with "#" or "(Q3)".
    prefix = " ".join(text.lower().split())[:200]
    return starts_with(F("name_key"), prefix) if prefix else Q()


def _ranked_contacts(query: str, first_word: str, limit: int) -> list[Contact]:
    """Last-name matches first, then first-name matches, then the rest (email, phone).

    One small query per rank, each reading its index in result order and stopping at ``limit``:
    a common surname matches thousands of contacts, and sorting them all cost 30 ms.
    """
    region = _tenant_region()
    contacts = Contact.objects.select_related("account")
    other_words = " ".join(_search_words(query)[1:])
    rest = contact_search_filter(other_words, region=region) if other_words else Q()
    by_last_name = starts_with(F("last_name_key"), first_word)
    by_first_name = starts_with(F("first_name_key"), first_word)
    # Each rank states only its own conditions: repeating the whole OR made PostgreSQL expect
    # a handful of rows and sort thousands instead of reading the index in order.
    ranks = [
        contacts.filter(by_last_name, rest).order_by("last_name_key", "first_name_key", "id"),
        contacts.filter(by_first_name, rest).exclude(by_last_name).order_by("first_name_key", "last_name_key", "id"),
        contacts.filter(contact_search_filter(query, region=region))
        .exclude(by_last_name | by_first_name)
        .order_by("last_name_key", "first_name_key", "id"),
    ]
    found: list[Contact] = []
    for rank in ranks:
        found += list(rank[: limit - len(found)])
        if len(found) >= limit:
            break
    return found


def _tenant_region() -> str:
    from crm.models import Tenant
    from crm.tenancy.context import require_tenant_id

    return Tenant.objects.filter(pk=require_tenant_id()).values_list("country", flat=True).first() or "US"


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
    return Contact.objects.select_related("score")


def accounts_for_api() -> QuerySet[Account]:
    return Account.objects.all()


def account_options(query: str, *, limit: int = 20) -> list[Account]:
    """Accounts for a lookup box: full-text prefix match, else the first by name."""
    accounts = Account.objects.only("name")
    if query:
        accounts = accounts.filter(account_search_filter(query))
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
