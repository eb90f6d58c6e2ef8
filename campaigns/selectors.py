"""Reads of campaigns: static lists and members, campaign pages with their counts, results, suppressions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower, TruncHour
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignSettings,
    ConsentChange,
    DeliveryEvent,
    DeliveryStatus,
    EventKind,
    SkipReason,
    StaticList,
    StaticListMember,
    Suppression,
)
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


# --- Campaigns ----------------------------------------------------------------------------------

CAMPAIGNS_PAGE_SIZE = 25
SUPPRESSIONS_PAGE_SIZE = 50


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    sent: int
    opens: int
    clicks: int

    @property
    def open_rate(self) -> float:
        return self.opens / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:
        return self.clicks / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class CampaignsPage:
    rows: list[CampaignRow]
    next_cursor: str | None


def campaigns_page(*, cursor: str | None, status: str = "") -> CampaignsPage:
    """Newest first, keyset-paged on (created_at, id) by campaign_list_idx; counts in two grouped queries."""
    campaigns = Campaign.objects.select_related("created_by").defer(
        "html_body", "text_body", "ab_html_body_b", "sms_body", "ab_sms_body_b"
    )
    if status:
        campaigns = campaigns.filter(status=status)
    campaigns = campaigns.order_by("-created_at", "-id")
    after = decode_cursor(cursor, 2)
    created = parse_datetime(str(after[0])) if after else None
    if after and created is not None and isinstance(after[1], int):
        campaigns = campaigns.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=after[1]))
    found = list(campaigns[: CAMPAIGNS_PAGE_SIZE + 1])
    next_cursor = None
    if len(found) > CAMPAIGNS_PAGE_SIZE:
        found = found[:CAMPAIGNS_PAGE_SIZE]
        next_cursor = encode_cursor([found[-1].created_at.isoformat(), found[-1].pk])
    ids = [campaign.pk for campaign in found]
    sent = dict(
        CampaignDelivery.objects.filter(campaign_id__in=ids, status=DeliveryStatus.SENT)
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    events: dict[tuple[int, str], int] = {
        (campaign_id, kind): n
        for campaign_id, kind, n in DeliveryEvent.objects.filter(
            campaign_id__in=ids, first=True, kind__in=[EventKind.OPEN, EventKind.CLICK]
        )
        .values("campaign_id", "kind")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "kind", "n")
    }
    rows = [
        CampaignRow(
            campaign=campaign,
            sent=sent.get(campaign.pk, 0),
            opens=events.get((campaign.pk, EventKind.OPEN), 0),
            clicks=events.get((campaign.pk, EventKind.CLICK), 0),
        )
        for campaign in found
    ]
    return CampaignsPage(rows=rows, next_cursor=next_cursor)


@dataclass(frozen=True)
class CampaignStats:
    audience: int
    sent: int
    failed: int
    uncertain: int
    waiting: int  # queued, held for the A/B winner, or being sent
    skipped: int
    skipped_by_reason: list[tuple[str, int]]
    opens: int
    clicks: int
    click_total: int
    unsubscribes: int
    bounces: int
    complaints: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def progress(self) -> int:
        return round(100 * self.done / self.audience) if self.audience else 0

    @property
    def open_rate(self) -> float:
        return self.opens / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:  # CTR: unique clickers of those who got it
        return self.clicks / self.sent if self.sent else 0.0

    @property
    def click_to_open(self) -> float:
        return self.clicks / self.opens if self.opens else 0.0


def campaign_stats(campaign: Campaign) -> CampaignStats:
    from campaigns.sending import UNCERTAIN

    counts = CampaignDelivery.objects.filter(campaign=campaign).aggregate(
        audience=Count("id"),
        sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        uncertain=Count("id", filter=Q(status=DeliveryStatus.FAILED, reason=UNCERTAIN)),
        waiting=Count("id", filter=Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENDING])),
        skipped=Count("id", filter=Q(status=DeliveryStatus.SKIPPED)),
    )
    by_reason = list(
        CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.SKIPPED)
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("reason", "n")
    )
    labels = dict(SkipReason.choices) | {"duplicate": _("Same address as another recipient")}
    events = DeliveryEvent.objects.filter(campaign=campaign).aggregate(
        opens=Count("id", filter=Q(kind=EventKind.OPEN, first=True)),
        clicks=Count("id", filter=Q(kind=EventKind.CLICK, first=True)),
        click_total=Count("id", filter=Q(kind=EventKind.CLICK)),
        unsubscribes=Count("id", filter=Q(kind=EventKind.UNSUBSCRIBE, first=True)),
        bounces=Count("id", filter=Q(kind=EventKind.BOUNCE, first=True)),
        complaints=Count("id", filter=Q(kind=EventKind.COMPLAINT, first=True)),
    )
    return CampaignStats(
        **counts,
        skipped_by_reason=[(str(labels.get(reason, reason)), n) for reason, n in by_reason],
        **events,
    )


def top_links(campaign: Campaign, *, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        DeliveryEvent.objects.filter(campaign=campaign, kind=EventKind.CLICK)
        .values("url")
        .annotate(total=Count("id"), unique=Count("delivery_id", distinct=True))
        .order_by("-total", "url")[:limit]
    )


def engagement_timeline(campaign: Campaign) -> dict[str, list[Any]]:
    """Unique opens and clicks per hour since the start (the results chart)."""
    rows = (
        DeliveryEvent.objects.filter(campaign=campaign, first=True, kind__in=[EventKind.OPEN, EventKind.CLICK])
        .annotate(hour=TruncHour("at"))
        .values("hour", "kind")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
    hours: dict[str, dict[str, int]] = {}
    for row in rows:
        label = timezone.localtime(row["hour"]).strftime("%m-%d %H:00")
        hours.setdefault(label, {"open": 0, "click": 0})[row["kind"]] = row["n"]
    return {
        "hours": list(hours),
        "opens": [value["open"] for value in hours.values()],
        "clicks": [value["click"] for value in hours.values()],
    }


def recent_deliveries(campaign: Campaign, *, status: str = "", limit: int = 20) -> list[CampaignDelivery]:
    deliveries = CampaignDelivery.objects.filter(campaign=campaign).select_related("contact")
    if status:
        deliveries = deliveries.filter(status=status)
    return list(deliveries.order_by("-id")[:limit])


def segment_choices() -> list[tuple[str, str]]:
    from segments.models import Segment

    return [(str(pk), name) for pk, name in Segment.objects.order_by("name", "id").values_list("pk", "name")]


@dataclass(frozen=True)
class AudienceCount:
    total: int
    reachable: int
    error: str = ""


def audience_count(
    *, tenant_id: int, channel: str, segment_ids: list[int], list_ids: list[int],
    exclude_segment_ids: list[int], exclude_list_ids: list[int],
) -> AudienceCount:  # fmt: skip
    """How many contacts the audience has, and how many of them have an address, consent and no suppression."""
    from campaigns.audience import AudienceError, audience_contacts, reachable_filter

    try:
        contacts = audience_contacts(
            tenant_id=tenant_id, segment_ids=segment_ids, list_ids=list_ids,
            exclude_segment_ids=exclude_segment_ids, exclude_list_ids=exclude_list_ids,
        )  # fmt: skip
        suppressed = Suppression.objects.filter(channel=channel).values("address")
        address = Lower("email") if channel == "email" else F("phone")
        counts = contacts.annotate(key=address).aggregate(
            total=Count("id"),
            reachable=Count("id", filter=Q(**reachable_filter(channel)) & ~Q(key__in=suppressed)),
        )
    except AudienceError as error:
        return AudienceCount(0, 0, str(error))
    return AudienceCount(counts["total"], counts["reachable"])


def suppressions_page(*, search: str = "", cursor: str | None = None) -> tuple[list[Suppression], str | None]:
    rows = Suppression.objects.select_related("added_by").order_by("-at", "-id")
    if search.strip():
        rows = rows.filter(address__startswith=search.strip().lower())
    after = decode_cursor(cursor, 2)
    at = parse_datetime(str(after[0])) if after else None
    if after and at is not None and isinstance(after[1], int):
        rows = rows.filter(Q(at__lt=at) | Q(at=at, id__lt=after[1]))
    found = list(rows[: SUPPRESSIONS_PAGE_SIZE + 1])
    if len(found) > SUPPRESSIONS_PAGE_SIZE:
        found = found[:SUPPRESSIONS_PAGE_SIZE]
        return found, encode_cursor([found[-1].at.isoformat(), found[-1].pk])
    return found, None


def campaign_settings_for(tenant: Any) -> CampaignSettings:
    return CampaignSettings.objects.filter(tenant=tenant).first() or CampaignSettings(tenant=tenant)


def contact_consent_history(contact_id: int) -> list[ConsentChange]:
    return list(
        ConsentChange.objects.filter(contact_id=contact_id).select_related("changed_by").order_by("-changed_at")
    )


def _audience(campaign: Campaign) -> QuerySet[Any]:
    from campaigns.audience import campaign_audience

    return campaign_audience(campaign)


def audience_sample(campaign: Campaign) -> Any:
    """A recipient to preview the campaign as: the first reachable audience member, else anyone."""
    from campaigns.audience import AudienceError, reachable_filter

    try:
        audience = _audience(campaign).select_related("account")
        return (
            audience.filter(**reachable_filter(campaign.channel)).order_by("id").first()
            or audience.order_by("id").first()
        )
    except AudienceError:
        return None


def preview_choices(campaign: Campaign, *, limit: int = 25) -> list[Any]:
    from campaigns.audience import AudienceError

    try:
        return list(_audience(campaign).order_by("last_name", "first_name", "id")[:limit])
    except AudienceError:
        return []


def campaign_problems(campaign: Campaign) -> list[str]:
    """What stops the campaign from being sent, in words (checked again before sending and scheduling)."""
    from campaigns import content, merge

    found: list[str] = []
    if not (campaign.segment_ids or campaign.list_ids):
        found.append(_("Pick at least one segment or static list as the audience."))
    allowed = content.merge_field_names()
    if campaign.channel == "sms":
        from sms.models import SmsSettings

        if not campaign.sms_body:
            found.append(_("Write the SMS text."))
        if not SmsSettings.objects.exists():
            found.append(_("SMS is not set up for this workspace (Settings → SMS)."))
        texts = [campaign.sms_body, campaign.ab_sms_body_b]
    else:
        from mail.models import MailSettings

        if not campaign.subject:
            found.append(_("Write a subject."))
        if not campaign.html_body:
            found.append(_("Write the email body."))
        if not MailSettings.objects.exists():
            found.append(_("Outgoing mail is not set up yet (Settings → Email)."))
        texts = [
            campaign.subject,
            campaign.html_body,
            campaign.text_body,
            campaign.ab_subject_b,
            campaign.ab_html_body_b,
        ]
    for text in texts:
        found += merge.problems(text or "", allowed=allowed)
    return found
