"""Email of agents' public replies to the customer, through mail's outbound machinery (an
OutboundEmail row and its send task), so retries and failure reasons show as for any other email."""

from __future__ import annotations

import logging
import re
from email.utils import make_msgid

from django.db import transaction

from crm.models import Tenant
from mail.models import OutboundEmail
from mail.selectors import mail_settings_for
from service_desk.models import MessageKind, Ticket, TicketMessage
from support.tokens import portal_url

logger = logging.getLogger(__name__)

MAX_REFERENCES = 20  # the newest ids of the conversation; enough for any client to thread
_PREFIXES = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)  # noqa: RUF001
_TICKET_TAG = re.compile(r"\[#\d+\]\s*")


def reply_subject(ticket: Ticket) -> str:
    """``Re: [#<number>] <subject>``: one "Re:", and the ticket tag that threads answers back."""
    subject = _TICKET_TAG.sub("", _PREFIXES.sub("", ticket.subject)).strip()
    return f"Re: [#{ticket.number}] {subject}"[:255]


def _thread_ids(ticket: Ticket) -> tuple[str, str]:
    """(In-Reply-To, References): the customer's last message, after the whole public conversation."""
    public = list(
        TicketMessage.objects.filter(ticket=ticket, kind__in=(MessageKind.CUSTOMER, MessageKind.REPLY))
        .exclude(message_id="")
        .select_related("inbound_message")
        .order_by("created_at", "id")
    )
    ids: list[str] = []
    last_customer = ""
    for entry in public:
        if entry.kind == MessageKind.CUSTOMER:
            last_customer = entry.message_id
            if entry.inbound_message is not None and entry.inbound_message.references:
                ids.extend(entry.inbound_message.references.split())
        ids.append(entry.message_id)
    ids = list(dict.fromkeys(ids))[-MAX_REFERENCES:]
    return last_customer, " ".join(ids)


def _contact_for(tenant: Tenant, ticket: Ticket, address: str) -> object | None:
    from support.services import contact_for_sender

    if ticket.contact is not None:
        return ticket.contact
    return contact_for_sender(tenant=tenant, address=address)


def reply_email_enqueue(*, tenant: Tenant, message: TicketMessage) -> None:
    """Queue the email of a public reply (kind REPLY) to the ticket's requester, threaded with the
    conversation; called by the service desk inside the transaction that saved ``message``
    (sending is enqueued with transaction.on_commit). Sets ``message.outbound_email`` and
    ``message.message_id``. A ticket without any customer address gets no email."""
    from interactions.attachments import AttachmentRejected, attachment_add
    from interactions.services import interaction_log
    from mail.tasks import send_outbound
    from support.services import sender_for

    if message.kind != MessageKind.REPLY or message.outbound_email_id is not None:
        return
    ticket = Ticket.objects.select_related("queue", "contact").get(pk=message.ticket_id)
    address = (ticket.requester_email or (ticket.contact.email if ticket.contact else "")).strip().lower()
    if not address:
        logger.info("support: ticket %s has no customer address; reply %s not emailed", ticket.pk, message.pk)
        return
    contact = _contact_for(tenant, ticket, address)
    if contact is None:
        return
    config = mail_settings_for(tenant)
    from_header, reply_to = sender_for(config, ticket.queue)
    in_reply_to, references = _thread_ids(ticket)
    subject = reply_subject(ticket)
    link = portal_url(tenant_id=tenant.pk, ticket_id=ticket.pk)
    body = f"{message.body_text.rstrip()}\n\n--\n" + (f"Ticket #{ticket.number}: {link}")
    interaction = interaction_log(
        tenant=tenant, by=message.author_user, kind="email", direction="outbound", contact=contact,  # type: ignore[arg-type]
        subject=subject, body=message.body_text,
    )  # fmt: skip
    for attachment in message.attachments.order_by("created_at", "id"):
        try:
            with attachment.file.open("rb") as stored:
                content = stored.read()
            with transaction.atomic():
                attachment_add(
                    tenant=tenant,
                    interaction=interaction,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    content=content,
                )
        except (AttachmentRejected, OSError) as error:
            logger.warning("support: attachment %s of reply %s not emailed: %s", attachment.pk, message.pk, error)
    email = OutboundEmail.objects.create(
        tenant=tenant,
        contact=contact,
        interaction=interaction,
        sent_by=message.author_user,
        from_header=from_header,
        reply_to=reply_to,
        to=[address],
        subject=subject,
        body=body,
        message_id=make_msgid(idstring=f"ticket{ticket.number}", domain=config.from_domain if config else "localhost"),
        in_reply_to=in_reply_to,
        references=references,
    )
    message.outbound_email = email
    message.message_id = email.message_id
    message.in_reply_to = message.in_reply_to or in_reply_to
    TicketMessage.objects.filter(pk=message.pk).update(
        outbound_email=email, message_id=email.message_id, in_reply_to=message.in_reply_to
    )
    transaction.on_commit(lambda: send_outbound.delay(tenant.id, email.pk))
