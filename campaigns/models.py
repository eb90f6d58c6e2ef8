"""Marketing: static lists, campaigns and their per-recipient deliveries and events, suppressions and consent."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class StaticList(TenantModel):
    """A named set of contacts that changes only when someone adds or removes members."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # "Add to list" with a new name finds the list again instead of making a twin.
            models.UniqueConstraint("tenant", Lower("name"), name="staticlist_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class StaticListMember(TenantModel):
    VISIBILITY_OWNER_FIELD = "contact__owner"  # a rep sees the members they may see as contacts

    static_list = models.ForeignKey(StaticList, on_delete=models.CASCADE, db_index=False, related_name="members")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="list_memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # A contact is in a list once; bulk adds insert with ON CONFLICT DO NOTHING against it.
            models.UniqueConstraint(fields=["tenant", "static_list", "contact"], name="listmember_uniq"),
        ]
        indexes = [
            # The members page, newest first, with keyset pages; also the key checks when a list is deleted.
            models.Index(fields=["static_list", "added_at", "id"], name="listmember_list_fk_idx"),
            # "Which lists is this contact in", and the key checks when a contact is deleted.
            models.Index(fields=["contact"], name="listmember_contact_fk_idx"),
        ]


# --- Campaigns ------------------------------------------------------------------------------------


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class AbMetric(models.TextChoices):
    OPEN = "open", _("Open rate")
    CLICK = "click", _("Click rate")


class Campaign(TenantModel):
    """One email or SMS sent to an audience (segments and static lists, minus exclusions).

    The audience is kept as id arrays rather than many-to-many tables: it is read once, when the
    campaign starts and its deliveries are created set-wise; a deleted segment or list simply drops out."""

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    segment_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    list_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    exclude_segment_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    exclude_list_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    text_body = models.TextField(_("plain-text body"), blank=True)  # generated from the HTML when empty
    sms_body = models.TextField(_("SMS text"), blank=True)
    from_name = models.CharField(_("from name"), max_length=150, blank=True)
    from_email = models.EmailField(_("from address"), blank=True)  # blank: the workspace's mail settings
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    throttle_per_minute = models.PositiveIntegerField(_("at most per minute"), default=0)  # 0: no limit
    # A/B test: variant B differs in subject and/or body; the sample gets A or B, the rest the winner.
    ab_enabled = models.BooleanField(_("A/B test"), default=False)
    ab_subject_b = models.CharField(_("subject B"), max_length=255, blank=True)
    ab_html_body_b = models.TextField(_("HTML body B"), blank=True)
    ab_sms_body_b = models.TextField(_("SMS text B"), blank=True)
    ab_sample_percent = models.PositiveSmallIntegerField(_("sample size (%)"), default=20)
    ab_metric = models.CharField(_("winner by"), max_length=10, choices=AbMetric.choices, default=AbMetric.OPEN)
    ab_wait_hours = models.PositiveSmallIntegerField(_("decide after (hours)"), default=4)
    ab_winner = models.CharField(max_length=1, blank=True)
    ab_decided_at = models.DateTimeField(null=True, blank=True)
    # Preparation (the deliveries being created) and its outcome, for the progress bar and the skipped counts.
    prepared_at = models.DateTimeField(null=True, blank=True)
    audience_count = models.PositiveIntegerField(default=0)
    skipped_counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="campaign_list_idx"),  # list, newest first
            # The beat's "scheduled and due" lookup.
            models.Index(fields=["tenant", "status", "scheduled_at"], name="campaign_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)

    @property
    def status_badge(self) -> str:
        return {
            CampaignStatus.DRAFT: "text-bg-secondary",
            CampaignStatus.SCHEDULED: "text-bg-info",
            CampaignStatus.SENDING: "text-bg-primary",
            CampaignStatus.PAUSED: "text-bg-warning",
            CampaignStatus.SENT: "text-bg-success",
            CampaignStatus.CANCELLED: "text-bg-dark",
        }.get(self.status, "text-bg-light")  # type: ignore[call-overload]


class DeliveryStatus(models.TextChoices):
    HELD = "held", _("Waiting for the A/B winner")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class SkipReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("No address")
    NO_CONSENT = "no_consent", _("No consent")
    SUPPRESSED = "suppressed", _("On the suppression list")
    CANCELLED = "cancelled", _("Campaign cancelled")


class CampaignDelivery(TenantModel):
    """One recipient of a campaign: created once per (campaign, contact), claimed, sent once.

    ``claim_token`` names the sender run that holds the row while it is ``sending``; ``handing_at`` is
    set just before the message is handed to the server, which lets the sweeper tell a row that was
    never tried (safe to send again) from one that may have reached the server (campaigns/sending.py)."""

    VISIBILITY_OWNER_FIELD = "contact__owner"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, db_index=False, related_name="deliveries")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="+")
    address = models.CharField(_("address"), max_length=320, blank=True)
    variant = models.CharField(_("variant"), max_length=1, blank=True)
    in_ab_sample = models.BooleanField(default=False)  # got A or B as part of the test (not as the winner)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    handing_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)

    class Meta:
        verbose_name_plural = _("campaign deliveries")
        constraints = [
            # Created with INSERT ... ON CONFLICT DO NOTHING: starting twice adds nobody twice.
            models.UniqueConstraint(fields=["tenant", "campaign", "contact"], name="campaigndelivery_uniq"),
        ]
        indexes = [
            # The senders' claim (status queued, due) and the results' GROUP BY status.
            models.Index(fields=["campaign", "status", "id"], name="delivery_campaign_fk_idx"),
            models.Index(fields=["contact"], name="delivery_contact_fk_idx"),  # key checks, contact history
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.address}"


class EventKind(models.TextChoices):
    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    BOUNCE = "bounce", _("Bounced")
    COMPLAINT = "complaint", _("Complained")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")


class DeliveryEvent(TenantModel):
    """Something a recipient did with a delivery. ``first`` marks the first event of its kind for the
    delivery (unique counts); every click is kept for the totals and the per-link numbers."""

    VISIBILITY_OWNER_FIELD = "delivery__contact__owner"

    delivery = models.ForeignKey(CampaignDelivery, on_delete=models.CASCADE, db_index=False, related_name="events")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, db_index=False, related_name="+")
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    url = models.URLField(_("link"), max_length=2000, blank=True)
    first = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One "first" event per kind and delivery: concurrent opens cannot both count as unique.
            models.UniqueConstraint(
                fields=["tenant", "delivery", "kind"], condition=Q(first=True), name="deliveryevent_first_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "kind"], name="event_campaign_fk_idx"),  # results page, key checks
            models.Index(fields=["delivery"], name="event_delivery_fk_idx"),  # key checks
        ]


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Hard bounce")
    COMPLAINED = "complained", _("Complaint")
    MANUAL = "manual", _("Added by hand")


class Suppression(TenantModel):
    """An address no campaign may send to, whatever its audience or the contact's consent says."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=320)  # lower-cased email or E.164 number
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    at = models.DateTimeField(_("added"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        constraints = [
            # Also the anti-join of every campaign start and claim, and the list's search by prefix.
            models.UniqueConstraint(fields=["tenant", "channel", "address"], name="suppression_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "at", "id"], name="suppression_list_idx")]  # newest first

    def __str__(self) -> str:
        return self.address


class ConsentChange(TenantModel):
    """One change of a contact's marketing consent: what, when, and through what (the privacy export reads it)."""

    VISIBILITY_OWNER_FIELD = "contact__owner"

    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=50)  # preference_page, unsubscribe, one_click, manual ...
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "changed_at"], name="consentchange_contact_fk_idx"),  # contact history
            models.Index(fields=["tenant", "changed_at"], name="consentchange_tenant_idx"),  # audits, exports
        ]


class CampaignSettings(TenantModel):
    """Per-workspace campaign settings: SMS quiet hours, in the workspace's time zone."""

    sms_quiet_start = models.TimeField(_("quiet hours start"), default=time(21, 0))
    sms_quiet_end = models.TimeField(_("quiet hours end"), default=time(8, 0))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="campaignsettings_tenant_uniq")]
