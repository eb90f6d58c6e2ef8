"""Reads of the service desk: scoped querysets with what each page needs already joined."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum

from crm.sorting import Page, SortOption, keyset_page
from customers.models import Account, Contact, Deal, Order, OrderStatus, StageKind
from interactions.models import Interaction
from service_desk.lists import TICKET_SORTS
from service_desk.models import (
    OPEN_STATUSES,
    CannedResponse,
    Queue,
    QueueMember,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketStatusChange,
)

PAGE_SIZE = 50


def ticket_page(*, base: QuerySet[Ticket], cursor: str | None = None, sort: SortOption | None = None) -> Page:
    """Tickets of ``base`` (filtered by service_desk/filters.py) in ``sort`` order, keyset-paginated."""
    tickets = base.select_related("contact", "account", "assignee", "queue", "sla").only(
        "number", "subject", "status", "priority", "channel", "category", "tags", "requester_email",
        "created_at", "updated_at", "merged_into_id",
        "contact__first_name", "contact__last_name", "contact__email",
        "account__name", "assignee__full_name", "assignee__email", "queue__name",
        "sla__first_response_due", "sla__resolution_due", "sla__first_response_breached", "sla__resolution_breached",
    )  # fmt: skip
    return keyset_page(tickets, sort=sort or TICKET_SORTS.default, cursor=cursor, size=PAGE_SIZE)


def tickets_for_api() -> QuerySet[Ticket]:
    return Ticket.objects.all()


def tickets_for_detail() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "contact", "contact__account", "contact__score", "account", "deal", "order", "assignee", "queue",
        "merged_into", "updated_by", "created_by", "sla",
    )  # fmt: skip


def conversation(ticket: Ticket) -> list[TicketMessage]:
    """The ticket's messages, oldest first, with authors and attachments (three queries)."""
    return list(
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author_user", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def history(ticket: Ticket, *, limit: int = 50) -> list[dict[str, Any]]:
    """Status moves and field changes, newest first, merged into one list of dicts for the page."""
    statuses = list(
        TicketStatusChange.objects.filter(ticket=ticket).select_related("changed_by").order_by("-changed_at")[:limit]
    )
    events = list(
        TicketEvent.objects.filter(ticket=ticket).select_related("created_by").order_by("-created_at")[:limit]
    )
    rows: list[dict[str, Any]] = [
        {"at": change.changed_at, "by": change.changed_by, "status": change} for change in statuses
    ] + [{"at": event.created_at, "by": event.created_by, "event": event} for event in events]
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows[:limit]


def customer_context(ticket: Ticket) -> dict[str, Any]:
    """The customer card: the contact and account, their other tickets, scores, lifetime order total."""
    contact, account = ticket.contact, ticket.account or (ticket.contact.account if ticket.contact else None)
    if contact is None and account is None:
        return {"customer_contact": None, "customer_account": None, "other_tickets": [], "lifetime": None}
    others = Ticket.objects.exclude(pk=ticket.pk).select_related("assignee")
    others = others.filter(contact=contact) if contact is not None else others.filter(account=account)
    orders = Order.objects.filter(status=OrderStatus.PAID)
    orders = orders.filter(contact=contact) if contact is not None else orders.filter(account=account)
    lifetime = orders.aggregate(total=Sum("amount"), count=Count("id"), last=Max("ordered_at"))
    lifetime["total"] = lifetime["total"] or Decimal("0")
    open_count = others.filter(status__in=OPEN_STATUSES).count()
    return {
        **_customer_activity(contact=contact, account=account),
        "customer_contact": contact,
        "customer_account": account,
        "customer_score": getattr(contact, "score", None) if contact is not None else None,
        "other_tickets": list(others.order_by("-created_at", "-id")[:5]),
        "other_open_count": open_count,
        "lifetime": lifetime,
    }


def _customer_activity(*, contact: Contact | None, account: Account | None, limit: int = 3) -> dict[str, Any]:
    """The 360° card's lists: the last orders, the open deals and the last interactions of the contact
    (or, with no contact, of the account): three queries, each along its ``*_fk_idx`` index."""
    match = {"contact": contact} if contact is not None else {"account": account}
    orders = Order.objects.filter(**match).only("ordered_at", "amount", "currency", "status")
    deals = (
        Deal.objects.filter(**match, stage__kind=StageKind.OPEN)
        .select_related("stage")
        .only("name", "amount", "currency", "expected_close_date", "stage__name")
    )
    interactions = Interaction.objects.filter(**match).only("kind", "subject", "direction", "occurred_at")
    return {
        "recent_orders": list(orders.order_by("-ordered_at", "-id")[:limit]),
        "open_deals": list(deals.order_by("-created_at", "-id")[:limit]),
        "last_interactions": list(interactions.order_by("-occurred_at", "-id")[:limit]),
    }


def tickets_for_record(
    *, contact: Contact | None = None, account: Account | None = None, limit: int = 8
) -> dict[str, Any]:
    """The ticket card on contact and account pages: the newest tickets and how many are open."""
    tickets = Ticket.objects.select_related("assignee")
    tickets = tickets.filter(contact=contact) if contact is not None else tickets.filter(account=account)
    counts = tickets.aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)))
    return {"tickets": list(tickets.order_by("-created_at", "-id")[:limit]), **counts}


def unassigned_open_count() -> int:
    """The sidebar badge: open tickets nobody works (served by ticket_assignee_fk_idx)."""
    return Ticket.objects.filter(assignee__isnull=True, status__in=OPEN_STATUSES).count()


def canned_responses() -> QuerySet[CannedResponse]:
    return CannedResponse.objects.select_related("created_by").order_by("title")


def queues_with_members() -> list[Queue]:
    return list(
        Queue.objects.annotate(open_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)))
        .prefetch_related(
            Prefetch("memberships", queryset=QueueMember.objects.select_related("user").order_by("user__full_name"))
        )
        .order_by("name")
    )


def attachments_for_user() -> QuerySet[TicketAttachment]:
    return TicketAttachment.objects.select_related("message")


def ticket_search(text: str, *, limit: int = 5) -> list[Ticket]:
    """Global search: by number ("#1042" or "1042") or words of the subject."""
    text = text.strip().lstrip("#")
    if not text:
        return []
    tickets = Ticket.objects.select_related("contact")
    if text.isdigit():
        return list(tickets.filter(number=int(text))[:limit])
    # Newest first along ticket_created_idx, stopping at ``limit`` matches: words of recent tickets
    # are what agents look for, and a common word is found within the first few index pages.
    return list(tickets.filter(subject__icontains=text).order_by("-created_at", "-id")[:limit])
