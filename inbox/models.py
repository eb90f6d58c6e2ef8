"""Incoming email: the dropbox, the IMAP poller and the signed HTTP endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class InboxRoute(models.Model):
    """Which workspace a dropbox token belongs to.

    Deliberately NOT a tenant table: the SMTP receiver and the HTTP endpoint learn the tenant from
    the token, before any tenant is current, and row-level security would hide every row then. It
    holds nothing but the token (already public: it is in the address) and the tenant; everything
    else about the inbox, the HTTP secret included, lives in ``InboxSettings`` under RLS.
    """

    tenant = models.OneToOneField("crm.Tenant", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40, unique=True)  # the unique index serves routing by token
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.token


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None: plain text (testing only)")


class PollStatus(models.TextChoices):
    NEVER = "never", _("Not polled yet")
    OK = "ok", _("Working")
    ERROR = "error", _("Failed; retrying")
    AUTH_FAILED = "auth_failed", _("Refused the login; paused until the settings change")


class InboxSettings(TenantModel):
    """One per workspace: the HTTP endpoint secret and the IMAP mailbox to poll."""

    http_secret_encrypted = models.TextField(blank=True, editable=False)
    http_secret_created_at = models.DateTimeField(null=True, blank=True)
    imap_enabled = models.BooleanField(_("poll this mailbox"), default=False)
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("port"), default=993)
    imap_security = models.CharField(
        _("security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("username"), max_length=255, blank=True)
    imap_password_encrypted = models.TextField(blank=True, editable=False)
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    # Incremental polling: the UIDs we have seen are only meaningful within one UIDVALIDITY.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    last_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_poll_status = models.CharField(max_length=12, choices=PollStatus.choices, default=PollStatus.NEVER)
    last_poll_message = models.TextField(blank=True)
    last_poll_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="inboxsettings_tenant_uniq")]  # one per tenant

    def __str__(self) -> str:
        return f"{self.imap_username}@{self.imap_host}" if self.imap_host else "inbox settings"

    @property
    def has_imap_password(self) -> bool:
        return bool(self.imap_password_encrypted)

    @property
    def imap_configured(self) -> bool:
        return bool(self.imap_host and self.imap_username and self.imap_password_encrypted)


class Source(models.TextChoices):
    DROPBOX = "dropbox", _("Dropbox (SMTP)")
    IMAP = "imap", _("IMAP mailbox")
    HTTP = "http", _("HTTP endpoint")


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    LOGGED = "logged", _("Logged")
    IGNORED_AUTO_REPLY = "ignored-auto-reply", _("Ignored: auto-reply")
    IGNORED_BOUNCE = "ignored-bounce", _("Ignored: bounce")
    UNMATCHED = "unmatched", _("No matching contact")
    REJECTED = "rejected", _("Rejected")


class InboundMessage(TenantModel):
    """Every message received, whatever became of it; the raw bytes are in default storage."""

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    message_id = models.CharField(_("Message-ID"), max_length=998)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_name = models.CharField(_("from name"), max_length=255, blank=True)
    to_addresses = models.JSONField(default=list, blank=True)
    cc_addresses = models.JSONField(default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.TextField(_("reason"), blank=True)
    direction = models.CharField(max_length=10, blank=True)  # of the interaction logged: inbound/outbound
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)  # the References header's ids, oldest first, space-separated
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)  # sanitised with nh3 at parse time
    raw_name = models.CharField(max_length=255, blank=True)  # the raw bytes in default storage
    rejected_attachments = models.JSONField(default=list, blank=True)  # [{"name", "reason"}]
    interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    # The email of ours it answers (threaded by In-Reply-To/References against mail.OutboundEmail).
    parent_interaction = models.ForeignKey(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        constraints = [
            # Idempotency: a second copy of the same Message-ID is a no-op.
            models.UniqueConstraint(fields=["tenant", "message_id"], name="inboundmessage_tenant_msgid_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-received_at"], name="inbound_list_idx"),  # the inbox list
            models.Index(fields=["tenant", "status", "-received_at"], name="inbound_status_idx"),  # filter
            # message_id_for_interaction; also PostgreSQL's key checks when an interaction is deleted.
            models.Index(fields=["interaction"], name="inbound_interaction_fk_idx"),
            models.Index(fields=["parent_interaction"], name="inbound_parent_fk_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id
