"""The customer-facing channels of the service desk: settings, the automatic emails sent to customers
(acknowledgments, web-form confirmations, satisfaction surveys) and the survey answers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel

DEFAULT_AUTO_REPLY_SUBJECT = "We received your request"
DEFAULT_AUTO_REPLY_BODY = (
    "Hello {name},\n\n"
    "Thank you for contacting us. Your request has been received as ticket #{number} "
    "(“{subject}”) and a member of our team will get back to you soon.\n\n"
    "You can follow and answer your ticket here: {link}\n"
)


class ClosedReplyPolicy(models.TextChoices):
    REOPEN = "reopen", _("Reopen the closed ticket")
    FOLLOW_UP = "follow_up", _("Open a new follow-up ticket")


class SupportSettings(TenantModel):
    """One per workspace, created on first use."""

    web_form_enabled = models.BooleanField(_("public web form"), default=True)
    auto_reply_enabled = models.BooleanField(_("acknowledge new tickets by email"), default=True)
    auto_reply_subject = models.CharField(
        _("acknowledgment subject"), max_length=200, default=DEFAULT_AUTO_REPLY_SUBJECT
    )
    auto_reply_body = models.TextField(_("acknowledgment text"), default=DEFAULT_AUTO_REPLY_BODY)
    # Loop protection: however a mail loop starts, one address gets at most this many automatic emails an hour.
    auto_reply_limit_per_hour = models.PositiveSmallIntegerField(
        _("automatic emails per sender per hour"), default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    closed_reply_policy = models.CharField(
        _("a reply to a closed ticket"), max_length=20, choices=ClosedReplyPolicy.choices,
        default=ClosedReplyPolicy.FOLLOW_UP,
    )  # fmt: skip
    csat_enabled = models.BooleanField(_("send satisfaction surveys"), default=True)
    csat_delay_hours = models.PositiveSmallIntegerField(
        _("hours after solving"), default=1, validators=[MaxValueValidator(24 * 14)]
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("support settings")
        verbose_name_plural = _("support settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="supportsettings_tenant_uniq")]

    def __str__(self) -> str:
        return "support settings"


class NoticeKind(models.TextChoices):
    ACKNOWLEDGMENT = "ack", _("Acknowledgment")
    CONFIRMATION = "confirmation", _("Web form confirmation")
    SURVEY = "survey", _("Satisfaction survey")
    NPS = "nps", _("NPS survey")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SupportNotice(TenantModel):
    """An automatic email to a customer. Kept apart from mail.OutboundEmail because it is not a
    conversation (no timeline entry) and carries ``Auto-Submitted: auto-generated``/``auto-replied``;
    the rows also count the automatic emails per address for loop protection."""

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    ticket = models.ForeignKey(
        "service_desk.Ticket", on_delete=models.CASCADE, db_index=False, related_name="+", null=True, blank=True
    )
    to_address = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    message_id = models.CharField(max_length=255)
    in_reply_to = models.CharField(max_length=998, blank=True)
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Loop protection: automatic emails to one address in the last hour.
            models.Index(fields=["tenant", "to_address", "created_at"], name="supportnotice_rate_idx"),
            models.Index(fields=["ticket", "kind"], name="supportnotice_ticket_fk_idx"),
            # A customer answering the acknowledgment is threaded into the ticket by this id.
            models.Index(fields=["tenant", "message_id"], name="supportnotice_msgid_idx"),
            # The requeue sweep: notices still queued or sending.
            models.Index(
                fields=["tenant", "created_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="supportnotice_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class SurveyStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    SKIPPED = "skipped", _("Not sent")  # no address, or the address had too many automatic emails


class CsatSurvey(TenantModel):
    """The satisfaction survey of one solved ticket: at most one per ticket (unique), answered once.

    The agent and queue are copied when the survey is sent, so reports keep the person who solved
    the ticket even after it is reassigned."""

    ticket = models.ForeignKey("service_desk.Ticket", on_delete=models.CASCADE, db_index=False, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    queue = models.ForeignKey(
        "service_desk.Queue", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    to_address = models.EmailField(blank=True)
    status = models.CharField(max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SENT)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Once per ticket: the sweep inserts and a duplicate run finds the row there.
            models.UniqueConstraint(fields=["tenant", "ticket"], name="csatsurvey_ticket_uniq"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="csatsurvey_rating_range",
            ),
        ]
        indexes = [
            # The report: answers per month (and per agent and queue within the tenant).
            models.Index(
                fields=["tenant", "answered_at"],
                condition=models.Q(rating__isnull=False),
                name="csatsurvey_answered_idx",
            ),
            models.Index(fields=["ticket"], name="csatsurvey_ticket_fk_idx"),  # key checks when a ticket goes
            models.Index(fields=["agent"], name="csatsurvey_agent_fk_idx"),
            models.Index(fields=["queue"], name="csatsurvey_queue_fk_idx"),
        ]

    def __str__(self) -> str:
        return f"survey of ticket {self.ticket_id}"


class NpsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


DEFAULT_NPS_QUESTION = "How likely is it that you would recommend us to a friend or colleague?"


class NpsSurvey(TenantModel):
    """A Net Promoter Score survey emailed once to the members of a segment (one row per recipient)."""

    name = models.CharField(_("name"), max_length=150)
    question = models.CharField(_("question"), max_length=300, default=DEFAULT_NPS_QUESTION)
    segment = models.ForeignKey(
        "segments.Segment", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("segment"),
    )  # fmt: skip
    segment_name = models.CharField(max_length=200, blank=True)  # kept when the segment is deleted
    status = models.CharField(max_length=10, choices=NpsStatus.choices, default=NpsStatus.QUEUED)
    recipients = models.PositiveIntegerField(default=0)  # members with an address, not suppressed
    processed = models.PositiveIntegerField(default=0)  # of them, emailed or skipped: the progress bar
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="npssurvey_list_idx"),  # newest first
            models.Index(fields=["segment"], name="npssurvey_segment_fk_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def progress(self) -> int:
        if self.status == NpsStatus.QUEUED:
            return 0
        return round(100 * self.processed / self.recipients) if self.recipients else 100


class NpsResponse(TenantModel):
    """One recipient of an NPS survey: written when the survey goes out, answered once (0-10)."""

    survey = models.ForeignKey(NpsSurvey, on_delete=models.CASCADE, db_index=False, related_name="responses")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    address = models.EmailField()
    emailed = models.BooleanField(null=True)  # None: not yet; False: held back by loop protection
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One email per contact and survey: the sending task may run twice.
            models.UniqueConstraint(fields=["tenant", "survey", "contact"], name="npsresponse_contact_uniq"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=10), name="npsresponse_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["survey", "emailed"], name="npsresponse_survey_fk_idx"),  # sending and results
            models.Index(fields=["contact"], name="npsresponse_contact_fk_idx"),
        ]
