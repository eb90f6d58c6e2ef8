"""Writes of the mail app: settings, templates, and composing, sending and retrying emails."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.mime.text import MIMEText
from email.utils import make_msgid
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from crm.secrets import encrypt_secret
from customers.models import Contact
from interactions.models import Interaction
from mail.models import CheckStatus, EmailTemplate, MailSettings, OutboundEmail, OutboundStatus
from mail.selectors import ParentHeaders, mail_settings_for
from mail.smtp import MailFailure, classify, connection_for

SEND_TIME_LIMIT_SECONDS = 240  # mail.send_outbound's hard time limit (mail/tasks.py)
# Changing any of these makes an earlier "Working" verdict meaningless.
CONNECTION_FIELDS = ("host", "port", "security", "username", "from_email")


class MailNotConfigured(ValueError):
    """Outgoing mail has no server yet."""


# --- Settings ---------------------------------------------------------------------------------


@transaction.atomic
def mail_settings_save(
    *, tenant: Tenant, data: dict[str, Any], password: str = "", clear_password: bool = False, by: User
) -> MailSettings:
    """Create or update the workspace's SMTP settings. A blank ``password`` keeps the stored one."""
    config = MailSettings.objects.select_for_update().filter(tenant=tenant).first() or MailSettings(tenant=tenant)
    changed = config.pk is None or any(getattr(config, name) != data.get(name) for name in CONNECTION_FIELDS)
    for name, value in data.items():
        setattr(config, name, value)
    if password:
        config.password_encrypted = encrypt_secret(password)
        changed = True
    elif clear_password and config.password_encrypted:
        config.password_encrypted = ""
        changed = True
    if changed:
        config.check_status, config.last_error, config.last_checked_at = CheckStatus.NEVER, "", None
    config.updated_at, config.updated_by = timezone.now(), by
    config.full_clean(exclude=["tenant"])
    config.save()
    return config


@transaction.atomic
def mail_settings_check_request(*, tenant: Tenant, by: User) -> MailSettings:
    """Queue a real connection and a test email to ``by``; the page shows the verdict when it is in."""
    from mail.tasks import check_settings

    config = mail_settings_for(tenant)
    if config is None:
        raise MailNotConfigured(_("Save the outgoing mail settings first."))
    MailSettings.objects.filter(pk=config.pk).update(
        check_status=CheckStatus.CHECKING, check_requested_by=by, last_error=""
    )
    transaction.on_commit(lambda: check_settings.delay(tenant.id, config.pk))
    config.refresh_from_db()
    return config


def mail_settings_check_run(*, settings_id: int) -> str:
    """Connect, sign in and send a test email; record what happened. Returns the check status."""
    config = MailSettings.objects.select_related("check_requested_by").filter(pk=settings_id).first()
    if config is None or config.check_status != CheckStatus.CHECKING:
        return config.check_status if config else CheckStatus.NEVER  # already checked (a duplicate delivery)
    recipient = config.check_requested_by.email if config.check_requested_by else config.from_email
    try:
        with connection_for(config) as connection:
            EmailMessage(
                subject=_("Test email from your CRM"),
                body=_(
                    "This is a test of the outgoing mail settings of %(workspace)s.\n\n"
                    "If you can read it, emails written in the CRM reach their recipients through %(host)s."
                )
                % {"workspace": config.tenant.name, "host": config.host},
                from_email=config.from_header,
                to=[recipient],
                reply_to=[config.reply_to] if config.reply_to else None,
                connection=connection,
            ).send()
    except Exception as error:  # every failure is recorded and shown; none is retried
        failure = classify(error, config)
        status, reason = CheckStatus.FAILED, failure.reason
    else:
        status, reason = CheckStatus.OK, ""
    MailSettings.objects.filter(pk=config.pk, check_status=CheckStatus.CHECKING).update(
        check_status=status, last_error=reason, last_checked_at=timezone.now()
    )
    return status


# --- Templates --------------------------------------------------------------------------------


def _save_template(template: EmailTemplate) -> EmailTemplate:
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ValueError(_("A template named “%(name)s” already exists.") % {"name": template.name}) from None
    return template


@transaction.atomic
def email_template_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> EmailTemplate:
    return _save_template(EmailTemplate(tenant=tenant, created_by=by, **data))


@transaction.atomic
def email_template_update(*, tenant: Tenant, template: EmailTemplate, data: dict[str, Any], by: User) -> EmailTemplate:
    for name, value in data.items():
        setattr(template, name, value)
    template.updated_at = timezone.now()
    return _save_template(template)


@transaction.atomic
def email_template_delete(*, tenant: Tenant, template: EmailTemplate, by: User) -> None:
    # Emails sent from it keep their text; their link to the template is cleared (SET_NULL).
    template.delete()


# --- Composing and sending --------------------------------------------------------------------


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    content: bytes


@transaction.atomic
def outbound_email_compose(
    *,
    tenant: Tenant,
    by: User,
    contact: Contact,
    to: list[str],
    cc: Iterable[str] = (),
    subject: str,
    body: str,
    html_body: str = "",
    attachments: Iterable[NewAttachment] = (),
    parent: ParentHeaders | None = None,
    meeting: Interaction | None = None,
    template: EmailTemplate | None = None,
) -> OutboundEmail:
    """Record the email (queued) and its timeline entry together, then send it after commit.

    Raises MailNotConfigured, ValueError, django ValidationError (from the interaction log) or
    interactions.attachments.AttachmentRejected; nothing is written then."""
    from followups.calendar import meeting_invite
    from interactions.attachments import attachment_add
    from interactions.services import interaction_log
    from mail.tasks import send_outbound

    config = mail_settings_for(tenant)
    if config is None:
        raise MailNotConfigured(_("Outgoing mail is not set up yet; an admin can set it up under Email settings."))
    if not to:
        raise ValueError(_("Add at least one recipient."))
    interaction = interaction_log(
        tenant=tenant,
        by=by,
        kind="email",
        direction="outbound",
        contact=contact,
        subject=subject,
        body=body,
    )
    for attachment in attachments:
        attachment_add(
            tenant=tenant,
            interaction=interaction,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )
    invite = meeting_invite(interaction=meeting, organizer_email=config.from_email).decode() if meeting else ""
    email = OutboundEmail.objects.create(
        tenant=tenant,
        contact=contact,
        interaction=interaction,
        parent_interaction=parent.interaction if parent else None,
        meeting=meeting,
        template=template,
        sent_by=by,
        from_header=config.from_header,
        reply_to=config.reply_to,
        to=list(to),
        cc=list(cc),
        subject=subject,
        body=body,
        html_body=html_body,
        invite=invite,
        message_id=make_msgid(domain=config.from_domain),
        in_reply_to=parent.message_id if parent else "",
        references=parent.references if parent else "",
    )
    transaction.on_commit(lambda: send_outbound.delay(tenant.id, email.pk))
    return email


def _message_for(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": email.message_id}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_header,
        to=list(email.to),
        cc=list(email.cc),
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in email.interaction.attachments.order_by("created_at", "id"):
        with attachment.file.open("rb") as stored:
            message.attach(attachment.filename, stored.read(), attachment.content_type)
    if email.invite:
        # Calendar clients act on a text/calendar part whose METHOD parameter says what to do.
        invite = MIMEText(email.invite, "calendar", "utf-8")
        invite.set_param("method", "REQUEST")
        invite.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(invite)
    return message


def outbound_email_deliver(*, email_id: int) -> bool:
    """Send one queued email once. Returns False when there was nothing to do (sent, failed or taken
    by another worker). Raises MailFailure after recording it: permanent ones fail the email,
    transient ones put it back in the queue for the task to retry."""
    now = timezone.now()
    # Queued, or claimed by a worker that died before finishing (the broker redelivers it, acks_late):
    # past the task's hard time limit nobody is still sending it.
    abandoned = Q(status=OutboundStatus.SENDING, claimed_at__lt=now - timedelta(seconds=SEND_TIME_LIMIT_SECONDS))
    claimed = (
        OutboundEmail.objects.filter(pk=email_id)
        .filter(Q(status=OutboundStatus.QUEUED) | abandoned)
        .update(status=OutboundStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return False
    email = OutboundEmail.objects.select_related("interaction").get(pk=email_id)
    config = MailSettings.objects.select_related("tenant").first()
    try:
        if config is None:
            raise MailFailure(_("Outgoing mail is not set up for this workspace."), permanent=True)
        message = _message_for(email)
        with connection_for(config) as connection:
            message.connection = connection
            message.send()
    except Exception as error:  # classified: 4xx and unreachable servers retry, the rest fail
        failure = classify(error, config) if config else MailFailure(str(error), permanent=True)
        OutboundEmail.objects.filter(pk=email_id, status=OutboundStatus.SENDING).update(
            status=OutboundStatus.FAILED if failure.permanent else OutboundStatus.QUEUED,
            last_error=failure.reason,
            failed_at=timezone.now() if failure.permanent else None,
        )
        raise failure from error
    OutboundEmail.objects.filter(pk=email_id, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), last_error="", failed_at=None
    )
    return True


def outbound_email_give_up(*, email_id: int, attempts: int) -> None:
    """After the last retry: a transient failure that lasted becomes the email's final reason."""
    email = OutboundEmail.objects.filter(pk=email_id, status=OutboundStatus.QUEUED).first()
    if email is None:
        return
    reason = _("Gave up after %(n)d attempts. Last error: %(error)s") % {"n": attempts, "error": email.last_error}
    OutboundEmail.objects.filter(pk=email_id, status=OutboundStatus.QUEUED).update(
        status=OutboundStatus.FAILED, last_error=reason, failed_at=timezone.now()
    )


@transaction.atomic
def outbound_email_retry(*, tenant: Tenant, email: OutboundEmail, by: User) -> bool:
    """Put a failed email back in the queue (the same Message-ID and timeline entry). False if it was not failed."""
    from mail.tasks import send_outbound

    requeued = OutboundEmail.objects.filter(pk=email.pk, status=OutboundStatus.FAILED).update(
        status=OutboundStatus.QUEUED, failed_at=None, last_error=""
    )
    if requeued:
        transaction.on_commit(lambda: send_outbound.delay(tenant.id, email.pk))
    return bool(requeued)
