"""Who a campaign reaches: its segments and static lists minus its exclusions, as one contact query.

Unscoped on purpose (within the tenant by the filter and row-level security): a campaign goes to its
whole audience, not to the part of it the marketer's record visibility shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db.models import Q, QuerySet

from campaigns.models import Campaign, StaticListMember
from customers.models import Contact


class AudienceError(ValueError):
    """A segment of the audience cannot be evaluated (e.g. a rule on a deleted field)."""


def segments_available() -> bool:
    try:
        from segments.selectors import segment_contacts  # noqa: F401
    except ImportError:
        return False
    return True


def _segment_condition(segment_ids: Sequence[int]) -> Q:
    if not segment_ids or not segments_available():
        return Q(pk__in=[])
    from segments.models import Segment
    from segments.selectors import segment_contacts

    condition = Q(pk__in=[])
    for segment in Segment.objects.filter(pk__in=list(segment_ids)).order_by("id"):
        try:
            condition |= Q(pk__in=segment_contacts(segment).values("pk"))
        except ValueError as error:  # segments.rules.RuleError names the rule
            raise AudienceError(f"{segment.name}: {error}") from error
    return condition


def _list_condition(list_ids: Sequence[int]) -> Q:
    if not list_ids:
        return Q(pk__in=[])
    members = StaticListMember.unscoped_objects.filter(static_list_id__in=list(list_ids)).values("contact_id")
    return Q(pk__in=members)


def audience_contacts(
    *,
    tenant_id: int,
    segment_ids: Sequence[int],
    list_ids: Sequence[int],
    exclude_segment_ids: Sequence[int] = (),
    exclude_list_ids: Sequence[int] = (),
) -> QuerySet[Contact]:
    """Contacts in any of the segments or lists and in none of the exclusions (one query)."""
    include = _segment_condition(segment_ids) | _list_condition(list_ids)
    contacts = Contact.unscoped_objects.filter(tenant_id=tenant_id).filter(include)
    if exclude_segment_ids or exclude_list_ids:
        contacts = contacts.exclude(_segment_condition(exclude_segment_ids) | _list_condition(exclude_list_ids))
    return contacts


def campaign_audience(campaign: Campaign) -> QuerySet[Contact]:
    return audience_contacts(
        tenant_id=cast(int, campaign.tenant_id),
        segment_ids=campaign.segment_ids,
        list_ids=campaign.list_ids,
        exclude_segment_ids=campaign.exclude_segment_ids,
        exclude_list_ids=campaign.exclude_list_ids,
    )


def reachable_filter(channel: str) -> dict[str, Any]:
    """The contact fields that make a contact reachable on ``channel`` (address and consent)."""
    if channel == "sms":
        return {"sms_consent": True, "phone__gt": ""}
    return {"email_consent": True, "email__gt": ""}
