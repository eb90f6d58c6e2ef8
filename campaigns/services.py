"""Writes of campaigns: static lists (members in bulk, set-wise SQL) and the campaign life cycle
(create, edit, send now or schedule, pause, resume, cancel, the A/B winner)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignSettings,
    CampaignStatus,
    DeliveryStatus,
    EventKind,
    SkipReason,
    StaticList,
    StaticListMember,
)
from campaigns.sending import SENDERS
from crm.models import Tenant, User
from customers.models import Contact


class StaticListNameTaken(ValueError):
    """Another list of the tenant already has this name (names compare case-insensitively)."""


def _lists_named(name: str) -> QuerySet[StaticList]:
    """Lists of this name in any case (the unique index compares lower-cased names too)."""
    return StaticList.objects.annotate(name_key=Lower("name")).filter(name_key=name.strip().lower())


def _name_taken(name: str, *, exclude: StaticList | None = None) -> bool:
    others = _lists_named(name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


@transaction.atomic
def static_list_create(*, tenant: Tenant, name: str, description: str = "", by: User) -> StaticList:
    name = name.strip()
    if _name_taken(name):
        raise StaticListNameTaken(_("A list named “%(name)s” already exists.") % {"name": name})
    return StaticList.objects.create(tenant=tenant, name=name, description=description.strip(), created_by=by)


@transaction.atomic
def static_list_update(*, tenant: Tenant, static_list: StaticList, name: str, description: str) -> StaticList:
    name = name.strip()
    if _name_taken(name, exclude=static_list):
        raise StaticListNameTaken(_("A list named “%(name)s” already exists.") % {"name": name})
    static_list.name, static_list.description, static_list.updated_at = name, description.strip(), timezone.now()
    static_list.save(update_fields=["name", "description", "updated_at"])
    return static_list


@transaction.atomic
def static_list_delete(*, tenant: Tenant, static_list: StaticList) -> None:
    # Every member row of every rep, not only the ones this user may see: the list goes whole.
    StaticListMember.unscoped_objects.filter(tenant=tenant, static_list=static_list).delete()
    static_list.delete()


def static_list_get_or_create(*, tenant: Tenant, name: str, by: User) -> StaticList:
    """The list with this name (any case), created if missing; safe when two requests race."""
    name = name.strip()
    existing = _lists_named(name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StaticList.objects.create(tenant=tenant, name=name, created_by=by)
    except IntegrityError:  # created by a concurrent request between the lookup and the insert
        return _lists_named(name).get()


@transaction.atomic
def static_list_add_contacts(*, tenant: Tenant, static_list: StaticList, contacts: QuerySet[Any], by: User) -> int:
    """Add every contact of ``contacts`` (already scoped to the user) not yet in the list; returns how many
    were added. One INSERT ... SELECT with ON CONFLICT DO NOTHING, so running it again adds nobody twice."""
    selection_sql, selection_params = contacts.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_staticlistmember (tenant_id, static_list_id, contact_id, added_by_id, added_at) "
            f"SELECT %s, %s, selection.id, %s, %s FROM ({selection_sql}) AS selection(id) "
            "ON CONFLICT (tenant_id, static_list_id, contact_id) DO NOTHING",
            [tenant.pk, static_list.pk, by.pk, timezone.now(), *selection_params],
        )
        added = cursor.rowcount
    if added:
        StaticList.objects.filter(pk=static_list.pk).update(updated_at=timezone.now())
    return added


@transaction.atomic
def static_list_remove_contacts(*, tenant: Tenant, static_list: StaticList, contacts: QuerySet[Any]) -> int:
    removed, _ = StaticListMember.objects.filter(static_list=static_list, contact__in=contacts.values("pk")).delete()
    if removed:
        StaticList.objects.filter(pk=static_list.pk).update(updated_at=timezone.now())
    return removed


# --- Campaigns ----------------------------------------------------------------------------------


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this (e.g. editing a sent campaign)."""


CAMPAIGN_FIELDS = (
    "name", "channel", "segment_ids", "list_ids", "exclude_segment_ids", "exclude_list_ids", "subject",
    "html_body", "text_body", "sms_body", "from_name", "from_email", "throttle_per_minute", "ab_enabled",
    "ab_subject_b", "ab_html_body_b", "ab_sms_body_b", "ab_sample_percent", "ab_metric", "ab_wait_hours",
)  # fmt: skip


@transaction.atomic
def campaign_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> Campaign:
    values = {name: data[name] for name in CAMPAIGN_FIELDS if name in data}
    return Campaign.objects.create(tenant=tenant, created_by=by, **values)


@transaction.atomic
def campaign_update(*, tenant: Tenant, campaign: Campaign, data: dict[str, Any], by: User) -> Campaign:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not locked.is_editable:
        raise CampaignStateError(_("This campaign has started; it can no longer be changed."))
    for name in CAMPAIGN_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    locked.updated_at = timezone.now()
    locked.save()
    return locked


def _kick_senders(tenant_id: int, campaign_id: int) -> None:
    from campaigns.tasks import send_campaign

    for _n in range(SENDERS):
        send_campaign.delay(tenant_id, campaign_id)


@transaction.atomic
def campaign_send_now(*, tenant: Tenant, campaign: Campaign, by: User) -> Campaign:
    """Start now: draft or scheduled → sending (once), then the deliveries are created by a task."""
    from campaigns.tasks import prepare_campaign

    started = Campaign.objects.filter(
        pk=campaign.pk, status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]
    ).update(status=CampaignStatus.SENDING, started_at=timezone.now(), updated_at=timezone.now())
    if not started:
        raise CampaignStateError(_("This campaign has already started."))
    transaction.on_commit(lambda: prepare_campaign.delay(tenant.id, campaign.pk))
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_schedule(*, tenant: Tenant, campaign: Campaign, at: Any, by: User) -> Campaign:
    updated = Campaign.objects.filter(
        pk=campaign.pk, status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]
    ).update(status=CampaignStatus.SCHEDULED, scheduled_at=at, updated_at=timezone.now())
    if not updated:
        raise CampaignStateError(_("This campaign has already started."))
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_unschedule(*, tenant: Tenant, campaign: Campaign, by: User) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SCHEDULED).update(
        status=CampaignStatus.DRAFT, scheduled_at=None, updated_at=timezone.now()
    )
    campaign.refresh_from_db()
    return campaign


def campaigns_start_due(*, tenant: Tenant) -> int:
    """Beat: scheduled campaigns whose time has come start, each exactly once (a conditional update)."""
    from campaigns.tasks import prepare_campaign

    started = 0
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=timezone.now())
    for campaign_id in list(due.values_list("id", flat=True)):
        with transaction.atomic():
            if Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SCHEDULED).update(
                status=CampaignStatus.SENDING, started_at=timezone.now()
            ):
                transaction.on_commit(partial(prepare_campaign.delay, tenant.id, campaign_id))
                started += 1
    return started


@transaction.atomic
def campaign_pause(*, tenant: Tenant, campaign: Campaign, by: User) -> bool:
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(status=CampaignStatus.PAUSED)
    )


@transaction.atomic
def campaign_resume(*, tenant: Tenant, campaign: Campaign, by: User) -> bool:
    resumed = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.PAUSED).update(
        status=CampaignStatus.SENDING
    )
    if resumed:
        transaction.on_commit(lambda: _kick_senders(tenant.id, campaign.pk))
    return bool(resumed)


@transaction.atomic
def campaign_cancel(*, tenant: Tenant, campaign: Campaign, by: User) -> bool:
    """Stop for good: nobody still waiting gets it (rows being sent right now finish)."""
    cancelled = Campaign.objects.filter(
        pk=campaign.pk,
        status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED],
    ).update(status=CampaignStatus.CANCELLED, finished_at=timezone.now())
    if cancelled:
        CampaignDelivery.objects.filter(
            campaign=campaign, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.HELD]
        ).update(status=DeliveryStatus.SKIPPED, reason=SkipReason.CANCELLED)
    return bool(cancelled)


@transaction.atomic
def campaign_delete(*, tenant: Tenant, campaign: Campaign, by: User) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignStateError(_("Only drafts can be deleted; cancel a campaign instead."))
    campaign.delete()


def campaign_prepared(*, tenant: Tenant, campaign_id: int) -> None:
    """After preparing: start the sender tasks (their claims make extra ones harmless)."""
    _kick_senders(tenant.id, campaign_id)


def campaign_test_send(*, tenant: Tenant, campaign: Campaign, to: str, contact: Contact | None, by: User) -> None:
    """Send the campaign as ``contact`` would get it (variant A) to ``to`` now; raises MailFailure."""
    from campaigns.content import custom_fields, render_email
    from mail.selectors import mail_settings_for
    from mail.services import MailNotConfigured
    from mail.smtp import classify, connection_for

    config = mail_settings_for(tenant)
    if config is None:
        raise MailNotConfigured(_("Outgoing mail is not set up yet; an admin can set it up under Email settings."))
    sample = contact or Contact(first_name=by.full_name.split(" ")[0] if by.full_name else "", email=to)
    subject, html, text = render_email(
        campaign=campaign, contact=sample, variant="a", delivery_id=None, custom_fields=custom_fields(), track=False
    )
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        subject=f"[{_('Test')}] {subject}", body=text, from_email=config.from_header, to=[to]
    )
    message.attach_alternative(html, "text/html")
    try:
        with connection_for(config) as smtp:
            message.connection = smtp
            message.send()
    except Exception as error:
        raise classify(error, config) from error


# --- A/B winner -----------------------------------------------------------------------------------


def ab_rates(campaign: Campaign) -> dict[str, dict[str, float]]:
    """Per variant: sent, unique opens and clicks, and their rates."""
    from django.db.models import Count, Q

    rows = (
        CampaignDelivery.objects.filter(campaign=campaign, in_ab_sample=True)
        .values("variant")
        .annotate(
            sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
            opens=Count("events", filter=Q(events__kind=EventKind.OPEN, events__first=True)),
            clicks=Count("events", filter=Q(events__kind=EventKind.CLICK, events__first=True)),
        )
    )
    rates: dict[str, dict[str, float]] = {}
    for row in rows:
        sent = row["sent"] or 0
        rates[row["variant"]] = {
            "sent": sent,
            "opens": row["opens"],
            "clicks": row["clicks"],
            "open_rate": row["opens"] / sent if sent else 0.0,
            "click_rate": row["clicks"] / sent if sent else 0.0,
        }
    return rates


def campaigns_decide_ab(*, tenant: Tenant) -> int:
    """Beat: A/B campaigns past their waiting time pick the winner once and release the rest to it."""
    from datetime import timedelta

    decided = 0
    now = timezone.now()
    candidates = Campaign.objects.filter(
        status__in=[CampaignStatus.SENDING, CampaignStatus.PAUSED],
        ab_enabled=True,
        ab_winner="",
        prepared_at__isnull=False,
    )
    for campaign in list(candidates):
        if campaign.started_at is None or now < campaign.started_at + timedelta(hours=campaign.ab_wait_hours):
            continue
        decided += int(campaign_decide_ab(tenant=tenant, campaign=campaign))
    return decided


@transaction.atomic
def campaign_decide_ab(*, tenant: Tenant, campaign: Campaign) -> bool:
    rates = ab_rates(campaign)
    key = "click_rate" if campaign.ab_metric == "click" else "open_rate"
    a, b = rates.get("a", {}).get(key, 0.0), rates.get("b", {}).get(key, 0.0)
    winner = "b" if b > a else "a"
    won = Campaign.objects.filter(pk=campaign.pk, ab_winner="").update(ab_winner=winner, ab_decided_at=timezone.now())
    if not won:
        return False
    CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.HELD).update(
        status=DeliveryStatus.QUEUED, variant=winner
    )
    if campaign.status == CampaignStatus.SENDING:
        transaction.on_commit(lambda: _kick_senders(tenant.id, campaign.pk))
    return True


@transaction.atomic
def campaign_settings_save(*, tenant: Tenant, start: Any, end: Any) -> CampaignSettings:
    config = CampaignSettings.objects.select_for_update().filter(tenant=tenant).first() or CampaignSettings(
        tenant=tenant
    )
    config.sms_quiet_start, config.sms_quiet_end, config.updated_at = start, end, timezone.now()
    config.save()
    return config
