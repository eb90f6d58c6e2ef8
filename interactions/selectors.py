"""Reads of the communication log. Every queryset starts from the scoped manager, so tenant and
record visibility (interactions follow their contact's owner) apply everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.sorting import Page, SortOption, keyset_page
from customers.models import Contact, Deal
from customers.selectors import contact_search_filter
from interactions.models import Direction, Interaction, InteractionAttachment

FEED_PAGE_SIZE = 50
# Newest first on (occurred_at, id): the feed index (tenant, occurred_at) serves it under RLS.
NEWEST = SortOption("newest", _("Newest first"), ["occurred_at", "id"], descending=True)


def recent_interactions(
    *,
    limit: int = 8,
    logged_by: User | None = None,
    inbound_only: bool = False,
) -> list[Interaction]:
    interactions = Interaction.objects.select_related("contact", "logged_by")
    if logged_by is not None:
        interactions = interactions.filter(logged_by=logged_by)
    if inbound_only:
        interactions = interactions.filter(direction=Direction.INBOUND)
    return list(interactions.order_by("-occurred_at", "-id")[:limit])


def interactions_by_kind(*, days: int = 30) -> dict[str, int]:
    since = timezone.now() - timedelta(days=days)
    rows = Interaction.objects.filter(occurred_at__gte=since).values_list("kind").annotate(n=Count("id")).order_by()
    return dict(rows)


def interactions_for_detail() -> QuerySet[Interaction]:
    """One interaction with everything its page shows: links, participants, attachments."""
    return Interaction.objects.select_related("contact", "account", "deal", "logged_by").prefetch_related(
        Prefetch("participant_contacts", queryset=Contact.objects.order_by("last_name", "first_name", "id")),
        Prefetch("participant_users", queryset=User.objects.order_by("full_name", "id")),
        Prefetch("attachments", queryset=InteractionAttachment.objects.order_by("created_at", "id")),
    )


def attachments_for_user() -> QuerySet[InteractionAttachment]:
    """Attachments whose interaction the current user may see (tenant and record visibility)."""
    return InteractionAttachment.objects.filter(interaction__in=Interaction.objects.values("pk")).select_related(
        "interaction"
    )


def interactions_for_api() -> QuerySet[Interaction]:
    return (
        Interaction.objects.select_related("contact", "account", "deal", "logged_by")
        .prefetch_related("participant_contacts", "participant_users")
        .annotate(attachment_count=Count("attachments"))
    )


@dataclass(frozen=True)
class FeedFilters:
    """What the activity feed (and the API list) is narrowed to; every field optional."""

    kind: str = ""
    direction: str = ""
    channel: str = ""
    logged_by: int | None = None
    contact_query: str = ""
    contact_id: int | None = None
    deal_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(value not in ("", None) for value in self.__dict__.values())


def _start_of_day(value: date) -> datetime:
    return timezone.make_aware(datetime.combine(value, time.min))


def filtered_interactions(filters: FeedFilters, *, region: str = "US") -> QuerySet[Interaction]:
    interactions = Interaction.objects.all()
    if filters.kind:
        interactions = interactions.filter(kind=filters.kind)
    if filters.direction:
        interactions = interactions.filter(direction=filters.direction)
    if filters.channel:
        interactions = interactions.filter(channel=filters.channel)
    if filters.logged_by is not None:
        interactions = interactions.filter(logged_by_id=filters.logged_by)
    if filters.contact_id is not None:
        interactions = interactions.filter(contact_id=filters.contact_id)
    if filters.deal_id is not None:
        interactions = interactions.filter(deal_id=filters.deal_id)
    if filters.contact_query.strip():
        # Contacts matching the name/email/phone prefix, through their indexes; then their interactions.
        matches = Contact.objects.filter(contact_search_filter(filters.contact_query, region=region)).values("pk")
        interactions = interactions.filter(contact_id__in=matches)
    if filters.date_from is not None:
        interactions = interactions.filter(occurred_at__gte=_start_of_day(filters.date_from))
    if filters.date_to is not None:
        interactions = interactions.filter(occurred_at__lt=_start_of_day(filters.date_to + timedelta(days=1)))
    return interactions


def feed_page(filters: FeedFilters, *, cursor: str | None = None, region: str = "US") -> Page:
    """One page of the activity feed, newest first, keyset-paginated (no OFFSET)."""
    rows = (
        filtered_interactions(filters, region=region)
        .select_related("contact", "deal", "logged_by")
        .annotate(attachment_count=Count("attachments"))
    )
    return keyset_page(rows, sort=NEWEST, cursor=cursor, size=FEED_PAGE_SIZE)


def deal_interactions(deal: Deal, *, limit: int = 10) -> list[Interaction]:
    """The latest interactions about a deal, for its page."""
    return list(
        Interaction.objects.filter(deal=deal)
        .select_related("contact", "logged_by")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-occurred_at", "-id")[:limit]
    )


def participant_contact_choices(contact: Contact | None) -> QuerySet[Contact]:
    """Who else may have taken part: the contact's colleagues at the same account (a short list;
    not sliced, because a form field filters it again to validate the choice)."""
    if contact is None or contact.account_id is None:
        return Contact.objects.none()
    return (
        Contact.objects.filter(account_id=contact.account_id)
        .exclude(pk=contact.pk)
        .order_by("last_name", "first_name", "id")
        .only("first_name", "last_name", "email")
    )


def open_deal_choices(contact: Contact | None, *, keep: int | None = None) -> QuerySet[Deal]:
    """The open deals of the contact or its account (and ``keep``, the deal already chosen, even if closed)."""
    if contact is None:
        return Deal.objects.filter(pk=keep) if keep else Deal.objects.none()
    condition = Q(contact=contact)
    if contact.account_id is not None:
        condition |= Q(account_id=contact.account_id)
    condition &= Q(stage__kind="open")
    if keep:
        condition |= Q(pk=keep)
    return Deal.objects.filter(condition).order_by("-created_at", "id").only("name")
