"""Reads of segments and of the contacts their rules select (always one SQL query)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crm.models import Tenant, User
from crm.tenancy.context import require_tenant_id
from customers.models import Contact
from segments.fields import RuleContext
from segments.models import Segment
from segments.rules import RuleError, compile_rules

SAMPLE_SIZE = 10


def rules_contacts(
    rules: dict[str, Any], *, user: User | None = None, tenant: Tenant | None = None, segment_id: int | None = None
) -> QuerySet[Contact]:
    """The current tenant's contacts matching ``rules`` (the signed-in user's record visibility applies
    through the scoped manager). ``user`` is who "me" means. RuleError on rules that cannot compile."""
    ctx = RuleContext(
        tenant_id=require_tenant_id(), user=user, tenant=tenant, segment_stack=(segment_id,) if segment_id else ()
    )
    return Contact.objects.filter(compile_rules(rules, ctx))


def segment_contacts(segment: Segment, *, user: User | None = None) -> QuerySet[Contact]:
    """The segment's members now; "me" in its rules means ``user``, or whoever made it."""
    who = user if user is not None else segment.created_by
    return rules_contacts(segment.rules, user=who, segment_id=segment.pk)


def segments_for_list() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by").order_by("name", "id")


def contact_sample(contacts: QuerySet[Contact], size: int = SAMPLE_SIZE) -> list[Contact]:
    """A few members to show: newest first, read by contact_created_sort_idx."""
    return list(contacts.select_related("account", "owner").order_by("-created_at", "-id")[:size])


def segment_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Segment.objects.order_by("name", "id").values_list("pk", "name")]


def segment_filter(contacts: QuerySet[Contact], segment_id: str, *, user: User | None) -> QuerySet[Contact]:
    """``contacts`` narrowed to a segment's members (the contact list's ``?segment=<id>``). An id that is
    not one of the tenant's segments, or rules that no longer compile, match nobody."""
    segment = Segment.objects.filter(pk=int(segment_id)).first() if segment_id.isdigit() else None
    if segment is None:
        return contacts.none()
    ctx = RuleContext(tenant_id=require_tenant_id(), user=user or segment.created_by, segment_stack=(segment.pk,))
    try:
        return contacts.filter(compile_rules(segment.rules, ctx))
    except RuleError:
        return contacts.none()
