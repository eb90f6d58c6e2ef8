"""Reads of static lists: the index with member counts, a list's members page by page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime

from campaigns.models import StaticList, StaticListMember
from crm.cursors import decode_cursor, encode_cursor

MEMBERS_PAGE_SIZE = 50


def static_lists_with_counts() -> QuerySet[StaticList]:
    """Every list of the tenant with the number of members the user may see, by name."""
    visible = StaticListMember.objects.values("pk")  # the rep's record visibility applies to the count
    return (
        StaticList.objects.select_related("created_by")
        .annotate(member_count=Count("members", filter=Q(members__in=visible)))
        .order_by("name", "id")
    )


def static_list_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in StaticList.objects.order_by("name", "id").values_list("pk", "name")]


@dataclass(frozen=True)
class MembersPage:
    rows: list[StaticListMember]
    next_cursor: str | None


def members_page(*, static_list: StaticList, cursor: str | None) -> MembersPage:
    """Newest members first, keyset-paged on (added_at, id) by listmember_list_fk_idx."""
    members = (
        StaticListMember.objects.filter(static_list=static_list)
        .select_related("contact", "contact__owner", "contact__account", "added_by")
        .order_by("-added_at", "-id")
    )
    after = decode_cursor(cursor, 2)
    added_at = parse_datetime(str(after[0])) if after else None
    if after and added_at is not None and isinstance(after[1], int):  # a mangled cursor restarts at the top
        members = members.filter(Q(added_at__lt=added_at) | Q(added_at=added_at, id__lt=after[1]))
    rows = list(members[: MEMBERS_PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > MEMBERS_PAGE_SIZE:
        rows = rows[:MEMBERS_PAGE_SIZE]
        next_cursor = encode_cursor([rows[-1].added_at.isoformat(), rows[-1].pk])
    return MembersPage(rows=rows, next_cursor=next_cursor)


def lists_of_contact(contact_id: int) -> list[StaticList]:
    return list(StaticList.objects.filter(members__contact_id=contact_id).order_by("name"))
