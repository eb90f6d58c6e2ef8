"""Writes of the customer channels: settings, contacts found from senders, automatic emails with
loop protection, customer messages (web form, portal, email) and satisfaction surveys.

Tickets and their messages are written only through the service desk's services
(``ticket_create``, ``ticket_message_add``, ``ticket_status_change``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from email.utils import formataddr, make_msgid
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from customers.models import Contact
from mail.models import MailSettings
from mail.selectors import mail_settings_for
from service_desk.attachments import IncomingFile, attachment_store, check
from service_desk.models import (
    MessageKind,
    Queue,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)
from support.models import (
    ClosedReplyPolicy,
    CsatSurvey,
    NoticeKind,
    NoticeStatus,
    SupportNotice,
    SupportSettings,
    SurveyStatus,
)
from support.tokens import portal_url, survey_url

logger = logging.getLogger(__name__)

NOTICE_TIME_LIMIT_SECONDS = 120  # support.send_notice's hard time limit
MAX_ATTACHMENTS = 20  # per message; more is refused with a reason, not stored
SURVEY_WINDOW = timedelta(days=14)  # tickets solved longer ago than this get no survey (e.g. after turning CSAT on)
NO_REPLY_PREFIXES = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "donotreply@", "do-not-reply@")


# --- Settings ---------------------------------------------------------------------------------


def support_settings_for(tenant: Tenant) -> SupportSettings:
    """The tenant's support settings, created with the defaults on first use (run as the tenant)."""
    found = SupportSettings.objects.filter(tenant=tenant).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return SupportSettings.objects.create(tenant=tenant)
    except IntegrityError:  # created concurrently
        return SupportSettings.objects.get(tenant=tenant)


@transaction.atomic
def support_settings_save(*, tenant: Tenant, data: dict[str, Any], by: User) -> SupportSettings:
    config = support_settings_for(tenant)
    for name, value in data.items():
        setattr(config, name, value)
    config.updated_at, config.updated_by = timezone.now(), by
    config.full_clean(exclude=["tenant"])
    config.save()
    return config


# --- Contacts and addresses ---------------------------------------------------------------------


def contact_for_sender(*, tenant: Tenant, address: str, name: str = "") -> Contact | None:
    """The contact with this email address (the oldest on ties), or a new one named from the From header."""
    address = address.strip().lower()
    if not address or "@" not in address:
        return None
    found = Contact.objects.annotate(address=Lower("email")).filter(address=address).order_by("id").first()
    if found is not None:
        return found
    first, _space, last = " ".join(name.replace('"', "").split()).partition(" ")
    if not first:
        first = address.partition("@")[0][:100]
    now = timezone.now()
    return Contact.objects.create(
        tenant=tenant,
        first_name=first[:100],
        last_name=last[:100],
        email=address[:254],
        source="support",
        created_at=now,
        updated_at=now,
    )


def our_addresses(tenant: Tenant) -> set[str]:
    """Addresses that are the workspace itself: mail from them is never answered automatically."""
    from support.selectors import support_dropbox_address

    found = {a.lower() for a in Queue.objects.exclude(email_address="").values_list("email_address", flat=True)}
    config = mail_settings_for(tenant)
    if config is not None:
        found |= {a.lower() for a in (config.from_email, config.reply_to) if a}
    found.add(support_dropbox_address(tenant))
    return found


def _is_no_reply(address: str) -> bool:
    from inbox.services import inbound_domain

    return address.startswith(NO_REPLY_PREFIXES) or address.rpartition("@")[2] == inbound_domain()


def sender_for(config: MailSettings | None, queue: Queue | None) -> tuple[str, str]:
    """(From, Reply-To) of mail to customers: the queue's support address when it has one, under the
    workspace's sender name; otherwise the workspace's own sender."""
    if config is None:
        return (queue.email_address if queue else ""), ""
    if queue is not None and queue.email_address:
        header = formataddr((config.from_name, queue.email_address)) if config.from_name else queue.email_address
        return header, queue.email_address
    return config.from_header, config.reply_to


# --- Automatic emails -----------------------------------------------------------------------------


def automatic_emails_allowed(*, tenant: Tenant, address: str, config: SupportSettings | None = None) -> bool:
    """Loop protection: never to ourselves or a mail system, and at most N an hour to one address."""
    address = address.strip().lower()
    if not address or "@" not in address or _is_no_reply(address) or address in our_addresses(tenant):
        return False
    config = config or support_settings_for(tenant)
    since = timezone.now() - timedelta(hours=1)
    sent = SupportNotice.objects.filter(to_address=address, created_at__gte=since).count()
    return sent < config.auto_reply_limit_per_hour


def fill(template: str, values: dict[str, str]) -> str:
    """Placeholders like {number}; plain replacement (str.format on admin-written text could reach attributes)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


@transaction.atomic
def notice_enqueue(
    *, tenant: Tenant, kind: str, ticket: Ticket | None, to_address: str, subject: str, body: str,
    in_reply_to: str = "",
) -> SupportNotice | None:  # fmt: skip
    """Queue an automatic email; None (nothing written) when loop protection holds it back."""
    if not automatic_emails_allowed(tenant=tenant, address=to_address):
        logger.info("support: tenant %s: no %s email to %s (loop protection)", tenant.pk, kind, to_address)
        return None
    config = mail_settings_for(tenant)
    domain = config.from_domain if config else "localhost"
    notice = SupportNotice.objects.create(
        tenant=tenant,
        kind=kind,
        ticket=ticket,
        to_address=to_address.strip().lower(),
        subject=" ".join(subject.split())[:255],
        body=body,
        message_id=make_msgid(idstring=f"support-{kind}", domain=domain),
        in_reply_to=in_reply_to[:998],
    )
    from support.tasks import send_notice

    transaction.on_commit(lambda: send_notice.delay(tenant.id, notice.pk))
    return notice


def _notice_message(notice: SupportNotice, config: MailSettings) -> EmailMessage:
    queue = notice.ticket.queue if notice.ticket else None
    from_header, reply_to = sender_for(config, queue)
    headers = {
        "Message-ID": notice.message_id,
        # RFC 3834: an answer to a message is "auto-replied"; a survey or confirmation is "auto-generated".
        "Auto-Submitted": "auto-replied" if notice.kind == NoticeKind.ACKNOWLEDGMENT else "auto-generated",
        "X-Auto-Response-Suppress": "All",  # asks Exchange and Outlook not to send out-of-office replies to it
    }
    if notice.in_reply_to:
        headers["In-Reply-To"] = notice.in_reply_to
        headers["References"] = notice.in_reply_to
    return EmailMessage(
        subject=notice.subject,
        body=notice.body,
        from_email=from_header,
        to=[notice.to_address],
        reply_to=[reply_to] if reply_to else None,
        headers=headers,
    )


def notice_deliver(*, notice_id: int) -> bool:
    """Send one queued automatic email once (claimed by a conditional update, like mail's sending).
    Raises MailFailure after recording it; transient failures put it back in the queue."""
    from mail.smtp import MailFailure, classify, connection_for

    now = timezone.now()
    abandoned = Q(status=NoticeStatus.SENDING, claimed_at__lt=now - timedelta(seconds=NOTICE_TIME_LIMIT_SECONDS))
    claimed = (
        SupportNotice.objects.filter(pk=notice_id)
        .filter(Q(status=NoticeStatus.QUEUED) | abandoned)
        .update(status=NoticeStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return False
    notice = SupportNotice.objects.select_related("ticket__queue").get(pk=notice_id)
    config = MailSettings.objects.first()
    try:
        if config is None:
            raise MailFailure(_("Outgoing mail is not set up for this workspace."), permanent=True)
        message = _notice_message(notice, config)
        with connection_for(config) as connection:
            message.connection = connection
            message.send()
    except Exception as error:
        failure = classify(error, config) if config else MailFailure(str(error), permanent=True)
        SupportNotice.objects.filter(pk=notice_id, status=NoticeStatus.SENDING).update(
            status=NoticeStatus.FAILED if failure.permanent else NoticeStatus.QUEUED, last_error=failure.reason
        )
        raise failure from error
    SupportNotice.objects.filter(pk=notice_id, status=NoticeStatus.SENDING).update(
        status=NoticeStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def notice_give_up(*, notice_id: int, attempts: int) -> None:
    notice = SupportNotice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).first()
    if notice is None:
        return
    reason = _("Gave up after %(n)d attempts. Last error: %(error)s") % {"n": attempts, "error": notice.last_error}
    SupportNotice.objects.filter(pk=notice_id, status=NoticeStatus.QUEUED).update(
        status=NoticeStatus.FAILED, last_error=reason
    )


def _ticket_values(ticket: Ticket, name: str = "") -> dict[str, str]:
    contact = ticket.contact
    return {
        "name": name or (contact.first_name if contact and contact.first_name else _("there")),
        "number": str(ticket.number),
        "subject": ticket.subject,
        "link": portal_url(tenant_id=cast(int, ticket.tenant_id), ticket_id=ticket.pk),
    }


def acknowledgment_send(*, tenant: Tenant, ticket: Ticket, in_reply_to: str = "", name: str = "") -> bool:
    """The "we received your request" email of a ticket opened by email, when the workspace wants it."""
    config = support_settings_for(tenant)
    if not config.auto_reply_enabled or not ticket.requester_email:
        return False
    values = _ticket_values(ticket, name)
    notice = notice_enqueue(
        tenant=tenant,
        kind=NoticeKind.ACKNOWLEDGMENT,
        ticket=ticket,
        to_address=ticket.requester_email,
        subject=f"[#{ticket.number}] {fill(config.auto_reply_subject, values)}",
        body=fill(config.auto_reply_body, values),
        in_reply_to=in_reply_to,
    )
    return notice is not None


# --- Customer messages ------------------------------------------------------------------------------


def usable_attachments(files: Sequence[IncomingFile]) -> tuple[list[IncomingFile], list[dict[str, str]]]:
    """The files the desk will store, and the refused ones with the reason (a mail is never lost for a file)."""
    kept: list[IncomingFile] = []
    refused: list[dict[str, str]] = []
    for item in files:
        if len(kept) >= MAX_ATTACHMENTS:
            refused.append({"name": item.filename, "reason": _("More than %(n)d files.") % {"n": MAX_ATTACHMENTS}})
            continue
        try:
            check(item)
        except ValueError as error:
            refused.append({"name": item.filename, "reason": str(error)})
        else:
            kept.append(item)
    return kept, refused


@transaction.atomic
def ticket_open_from_customer(
    *,
    tenant: Tenant,
    subject: str,
    body_text: str,
    contact: Contact | None,
    requester_email: str,
    channel: str,
    queue: Queue | None = None,
    body_html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    inbound_message: Any = None,
    attachments: Iterable[IncomingFile] = (),
) -> Ticket:
    """A new ticket whose first message carries what the customer sent (its Message-ID for threading,
    its attachments). Raises ValidationError from the desk."""
    from service_desk.services import ticket_create, ticket_message_add

    files = list(attachments)
    ticket = ticket_create(
        tenant=tenant,
        subject=subject.strip() or _("(no subject)"),
        description=body_text,
        contact=contact,
        requester_email=requester_email,
        channel=channel,
        queue=queue,
    )
    first = TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).order_by("created_at", "id").first()
    if first is None and files:  # no text (an email with only a file): the files are the first message
        ticket_message_add(
            tenant=tenant,
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            body_text=body_text,
            author_contact=contact,
            from_address=requester_email,
            body_html=body_html,
            message_id=message_id,
            in_reply_to=in_reply_to,
            inbound_message=inbound_message,
            attachments=files,
        )
        return ticket
    if first is None:
        return ticket
    first.message_id, first.in_reply_to, first.body_html = message_id, in_reply_to[:998], body_html
    first.inbound_message = inbound_message
    first.save(update_fields=["message_id", "in_reply_to", "body_html", "inbound_message"])
    for item in files:
        attachment_store(tenant=tenant, message=first, item=item)
    return ticket


@transaction.atomic
def customer_message_add(
    *,
    tenant: Tenant,
    ticket: Ticket,
    body_text: str,
    from_address: str,
    body_html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    inbound_message: Any = None,
    attachments: Iterable[IncomingFile] = (),
    channel: str = TicketChannel.EMAIL,
) -> TicketMessage:
    """The customer answered ``ticket`` (by email or on the portal). A pending or solved ticket reopens
    (the desk does that); a closed one reopens or gets a follow-up ticket, as the workspace chose."""
    from service_desk.services import ticket_message_add, ticket_status_change

    follow_up_wanted = (
        ticket.merged_into_id is None
        and ticket.status == TicketStatus.CLOSED
        and support_settings_for(tenant).closed_reply_policy == ClosedReplyPolicy.FOLLOW_UP
    )
    if follow_up_wanted:
        follow_up = ticket_open_from_customer(
            tenant=tenant,
            subject=_("Follow-up to #%(number)s: %(subject)s") % {"number": ticket.number, "subject": ticket.subject},
            body_text=body_text,
            contact=ticket.contact,
            requester_email=from_address or ticket.requester_email,
            channel=channel,
            queue=ticket.queue,
            body_html=body_html,
            message_id=message_id,
            in_reply_to=in_reply_to,
            inbound_message=inbound_message,
            attachments=attachments,
        )
        first = TicketMessage.objects.filter(ticket=follow_up).order_by("created_at", "id").first()
        if first is None:  # nothing to say and no file: the desk refuses that for an open ticket too
            raise ValidationError({"body_text": _("Write a message or attach a file.")})
        return first
    message = ticket_message_add(
        tenant=tenant,
        ticket=ticket,
        kind=MessageKind.CUSTOMER,
        body_text=body_text,
        author_contact=ticket.contact,
        from_address=from_address,
        body_html=body_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        inbound_message=inbound_message,
        attachments=list(attachments),
    )
    if message.ticket.status == TicketStatus.CLOSED:  # policy "reopen"
        ticket_status_change(tenant=tenant, ticket=message.ticket, status=TicketStatus.OPEN, by=None)
    return message


@transaction.atomic
def web_form_ticket_create(
    *, tenant: Tenant, name: str, email: str, subject: str, message: str, attachments: Sequence[IncomingFile] = ()
) -> Ticket:
    """A ticket from the public web form, and the confirmation email with the customer's portal link."""
    from service_desk.models import TicketChannel

    contact = contact_for_sender(tenant=tenant, address=email, name=name)
    ticket = ticket_open_from_customer(
        tenant=tenant,
        subject=subject,
        body_text=message,
        contact=contact,
        requester_email=email,
        channel=TicketChannel.WEB,
        attachments=attachments,
    )
    values = _ticket_values(ticket, name.split(" ")[0] if name.strip() else "")
    notice_enqueue(
        tenant=tenant,
        kind=NoticeKind.CONFIRMATION,
        ticket=ticket,
        to_address=email,
        subject=_("[#%(number)s] We received your request: %(subject)s")
        % {"number": ticket.number, "subject": ticket.subject},
        body=_(
            "Hello %(name)s,\n\nThank you for contacting %(company)s. Your request is ticket #%(number)s.\n\n"
            "Follow it and write to us here (no account needed): %(link)s\n\n"
            "You can also simply answer this email.\n"
        )
        % {**values, "company": tenant.name},
    )
    return ticket


# --- Satisfaction surveys -------------------------------------------------------------------------------


def surveys_due(*, tenant: Tenant, limit: int = 500) -> list[Ticket]:
    """Solved tickets past the workspace's delay, solved within the window, with no survey yet."""
    config = support_settings_for(tenant)
    now = timezone.now()
    taken = CsatSurvey.objects.values("ticket_id")
    return list(
        Ticket.objects.filter(
            status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED),
            merged_into__isnull=True,
            solved_at__lte=now - timedelta(hours=config.csat_delay_hours),
            solved_at__gte=now - SURVEY_WINDOW,
        )
        .exclude(pk__in=taken)
        .select_related("contact", "queue")
        .order_by("solved_at", "id")[:limit]
    )


def csat_survey_send(*, tenant: Tenant, ticket: Ticket) -> CsatSurvey | None:
    """Send the survey of one solved ticket, once: the unique row is the claim (None: already there)."""
    address = (ticket.requester_email or (ticket.contact.email if ticket.contact else "")).strip().lower()
    try:
        with transaction.atomic():
            survey = CsatSurvey.objects.create(
                tenant=tenant, ticket=ticket, agent_id=ticket.assignee_id, queue_id=ticket.queue_id, to_address=address
            )
            notice = None
            if address:
                values = _ticket_values(ticket)
                lines = [
                    _("Hello %(name)s,") % values,
                    "",
                    _("Your request #%(number)s (“%(subject)s”) was solved. How did we do?") % values,
                    "",
                ]
                labels = {5: _("Excellent"), 4: _("Good"), 3: _("Okay"), 2: _("Poor"), 1: _("Very poor")}
                for rating in (5, 4, 3, 2, 1):
                    url = survey_url(tenant_id=tenant.pk, survey_id=survey.pk, rating=rating)
                    lines.append(f"{rating} - {labels[rating]}: {url}")
                lines += ["", _("One click is enough; you can add a comment on the page. Thank you!")]
                notice = notice_enqueue(
                    tenant=tenant,
                    kind=NoticeKind.SURVEY,
                    ticket=ticket,
                    to_address=address,
                    subject=_("[#%(number)s] How did we do?") % values,
                    body="\n".join(lines),
                )
            if notice is None:
                survey.status = SurveyStatus.SKIPPED
                survey.save(update_fields=["status"])
    except IntegrityError:  # another sweep got there first
        return None
    return survey


def csat_sweep(*, tenant: Tenant) -> int:
    """Survey every recently solved ticket that has none yet; safe to run twice. Returns surveys written."""
    if not support_settings_for(tenant).csat_enabled:
        return 0
    written = 0
    for ticket in surveys_due(tenant=tenant):
        if csat_survey_send(tenant=tenant, ticket=ticket) is not None:
            written += 1
    return written


def csat_answer(*, tenant: Tenant, survey: CsatSurvey, rating: int, comment: str) -> bool:
    """Record the customer's answer once; False when it was already answered (nothing changes)."""
    if rating not in (1, 2, 3, 4, 5):
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    recorded = CsatSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True, rating__isnull=True).update(
        rating=rating, comment=comment.strip()[:4000], answered_at=timezone.now(), status=SurveyStatus.ANSWERED
    )
    return bool(recorded)
