"""Outgoing email: each workspace's SMTP server, reusable templates, and every email sent to a contact."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (usually port 587)")
    SSL = "ssl", _("SSL/TLS (usually port 465)")
    NONE = "none", _("None: plain text (usually port 25)")


class CheckStatus(models.TextChoices):
    NEVER = "never", _("Not checked yet")
    CHECKING = "checking", _("Checking…")
    OK = "ok", _("Working")
    FAILED = "failed", _("Failed")


class MailSettings(TenantModel):
    """The workspace's outgoing mail server (one row per tenant, created on first save).

    The password is stored encrypted (crm/secrets.py) and never sent back to a browser."""

    host = models.CharField(_("SMTP server"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("security"), max_length=10, choices=SmtpSecurity.choices, default=SmtpSecurity.STARTTLS
    )
    username = models.CharField(_("username"), max_length=255, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    from_name = models.CharField(_("from name"), max_length=150, blank=True)
    from_email = models.EmailField(_("from address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    timeout = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=15, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    check_status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.NEVER)
    check_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("outgoing mail settings")
        verbose_name_plural = _("outgoing mail settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="mailsettings_tenant_uniq")]  # one per tenant

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def from_header(self) -> str:
        from email.utils import formataddr

        return formataddr((self.from_name, self.from_email)) if self.from_name else self.from_email

    @property
    def from_domain(self) -> str:
        return self.from_email.rpartition("@")[2] or "localhost"


class EmailTemplate(TenantModel):
    """A reusable subject and body with merge fields ({{ contact.first_name }}, mail/merge.py)."""

    name = models.CharField(_("name"), max_length=150)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body (plain text)"))
    html_body = models.TextField(_("body (HTML, optional)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of the template list and picker, sorted by name.
            models.UniqueConstraint(fields=["tenant", "name"], name="emailtemplate_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(TenantModel):
    """One email to a contact, written in the CRM and sent through the workspace's SMTP server.

    Exactly one per logged interaction (the unique constraint on interaction makes it one-to-one).
    ``message_id`` is the Message-ID header with its angle brackets; incoming replies find their
    email by it (inbox app, through In-Reply-To / References)."""

    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the contact it was sent to

    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="+")
    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.CASCADE, db_index=False, related_name="outbound_emails"
    )
    parent_interaction = models.ForeignKey(  # the email this one answers
        "interactions.Interaction", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    meeting = models.ForeignKey(  # the meeting whose invitation is attached
        "interactions.Interaction", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    template = models.ForeignKey(
        EmailTemplate, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    from_header = models.CharField(_("from"), max_length=320)
    reply_to = models.CharField(_("reply-to"), max_length=320, blank=True)
    to = ArrayField(models.EmailField(), verbose_name=_("to"))
    cc = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("cc"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    invite = models.TextField(blank=True)  # the text/calendar part, fixed at compose time so retries send the same
    message_id = models.CharField(_("Message-ID"), max_length=255)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="outemail_outbox_idx"),  # sent list
            # Contact timeline (failed emails); also the key check when a contact is deleted.
            models.Index(fields=["contact", "created_at"], name="outemail_contact_fk_idx"),
            # Key checks when an interaction, meeting or template is deleted.
            models.Index(fields=["interaction"], name="outemail_interaction_fk_idx"),
            models.Index(fields=["parent_interaction"], name="outemail_parent_fk_idx"),
            models.Index(fields=["meeting"], name="outemail_meeting_fk_idx"),
            models.Index(fields=["template"], name="outemail_template_fk_idx"),
        ]
        constraints = [
            # Incoming replies are threaded by this header (inbox app).
            models.UniqueConstraint(fields=["tenant", "message_id"], name="outboundemail_message_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "interaction"], name="outboundemail_interaction_uniq"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_failed(self) -> bool:
        return self.status == OutboundStatus.FAILED

    @property
    def status_badge(self) -> str:
        return {
            OutboundStatus.QUEUED: "text-bg-secondary",
            OutboundStatus.SENDING: "text-bg-info",
            OutboundStatus.SENT: "text-bg-success",
            OutboundStatus.FAILED: "text-bg-danger",
        }.get(self.status, "text-bg-light")  # type: ignore[call-overload]
