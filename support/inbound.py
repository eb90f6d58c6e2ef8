"""Email-to-ticket: the inbox hands every received message here first (after bounces and auto-replies
were set aside); a customer's answer threads into its ticket, new mail to a support address opens one.

A message is for the desk when
- it answers a ticket: In-Reply-To/References name a ticket message (or our acknowledgment), or the
  subject carries "[#<number>]" and the sender is that ticket's requester or contact; or
- it is addressed (To/Cc) to a queue's support address or the workspace's support dropbox address.
Anything else goes on to the inbox's own logging of customer email.
"""

from __future__ import annotations

import logging
import re
from email.parser import BytesHeaderParser

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Tenant
from inbox.models import InboundMessage, InboundStatus
from inbox.parsing import ParsedEmail
from service_desk.attachments import IncomingFile
from service_desk.models import Queue, Ticket, TicketChannel, TicketMessage
from support.models import SupportNotice

logger = logging.getLogger(__name__)

_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post")


def _ticket_by_headers(parsed: ParsedEmail) -> Ticket | None:
    ids = [value for value in dict.fromkeys([parsed.in_reply_to, *reversed(parsed.references)]) if value]
    if not ids:
        return None
    by_id = {
        row.message_id: row.ticket_id
        for row in TicketMessage.objects.filter(message_id__in=ids).only("message_id", "ticket_id")
    }
    by_id.update(
        {
            row.message_id: row.ticket_id
            for row in SupportNotice.objects.filter(message_id__in=ids, ticket__isnull=False).only(
                "message_id", "ticket_id"
            )
            if row.message_id not in by_id
        }
    )
    for value in ids:  # the nearest ancestor first
        if value in by_id:
            return Ticket.objects.select_related("contact", "queue").filter(pk=by_id[value]).first()
    return None


def _ticket_by_subject(parsed: ParsedEmail) -> Ticket | None:
    """ "[#123]" in the subject counts only from the ticket's own customer: a tag is easy to type."""
    match = _SUBJECT_TAG.search(parsed.subject)
    if match is None or not parsed.from_address:
        return None
    ticket = Ticket.objects.select_related("contact", "queue").filter(number=int(match.group(1))).first()
    if ticket is None:
        return None
    known = {ticket.requester_email.lower(), (ticket.contact.email if ticket.contact else "").lower()} - {""}
    return ticket if parsed.from_address in known else None


def _queue_for(tenant: Tenant, recipients: list[str]) -> tuple[bool, Queue | None]:
    """(for the desk?, the queue its address names)."""
    from support.selectors import support_dropbox_address

    queues = {q.email_address.lower(): q for q in Queue.objects.exclude(email_address="")}
    for address in recipients:
        if address in queues:
            return True, queues[address]
    return support_dropbox_address(tenant) in recipients, None


def _list_or_automatic(message: InboundMessage) -> bool:
    """Headers the parser does not keep (mailing lists): such mail gets a ticket but no automatic answer."""
    if not message.raw_name:
        return True
    try:
        with default_storage.open(message.raw_name, "rb") as stored:
            headers = BytesHeaderParser().parsebytes(stored.read(256 * 1024))
    except OSError:
        return True
    if any(name in headers for name in LIST_HEADERS):
        return True
    precedence = str(headers.get("Precedence", "")).strip().lower()
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    return precedence in ("bulk", "junk", "list", "auto_reply") or auto.split(";")[0].strip() not in ("", "no")


def _done(message: InboundMessage, status: str, reason: str, refused: list[dict[str, str]] | None = None) -> None:
    message.status = status
    message.reason = reason
    if refused is not None:
        message.rejected_attachments = refused
    message.save(update_fields=["status", "reason", "rejected_attachments"])


def ticket_route_inbound(*, tenant: Tenant, message: InboundMessage, parsed: ParsedEmail) -> bool:
    """True when the message became a ticket or a ticket message (or was held back as our own mail)."""
    from support.services import (
        acknowledgment_send,
        contact_for_sender,
        customer_message_add,
        our_addresses,
        ticket_open_from_customer,
        usable_attachments,
    )

    ticket = _ticket_by_headers(parsed) or _ticket_by_subject(parsed)
    recipients = list(dict.fromkeys(parsed.to + parsed.cc))
    for_desk, queue = _queue_for(tenant, recipients) if ticket is None else (True, None)
    if not for_desk:
        return False
    if parsed.from_address in our_addresses(tenant):
        # Our own mail coming back (a forwarding loop, an acknowledgment to a support address).
        _done(message, InboundStatus.IGNORED_AUTO_REPLY, _("Sent from one of this workspace's support addresses."))
        return True

    files = [IncomingFile(a.filename, a.content_type, a.content) for a in parsed.attachments]
    kept, refused = usable_attachments(files)
    try:
        with transaction.atomic():
            if ticket is not None:
                entry = customer_message_add(
                    tenant=tenant,
                    ticket=ticket,
                    body_text=parsed.text,
                    from_address=parsed.from_address,
                    body_html=parsed.html,
                    message_id=parsed.message_id,
                    in_reply_to=parsed.in_reply_to,
                    inbound_message=message,
                    attachments=kept,
                )
                reached = Ticket.objects.get(pk=entry.ticket_id)
                # Another ticket without a merge in between: the answer to a closed ticket opened a follow-up.
                opened = reached.pk != ticket.pk and ticket.merged_into_id is None
            else:
                contact = contact_for_sender(tenant=tenant, address=parsed.from_address, name=parsed.from_name)
                reached = ticket_open_from_customer(
                    tenant=tenant,
                    subject=parsed.subject,
                    body_text=parsed.text,
                    contact=contact,
                    requester_email=parsed.from_address,
                    channel=TicketChannel.EMAIL,
                    queue=queue,
                    body_html=parsed.html,
                    message_id=parsed.message_id,
                    in_reply_to=parsed.in_reply_to,
                    inbound_message=message,
                    attachments=kept,
                )
                opened = True
    except ValidationError as error:
        _done(message, InboundStatus.REJECTED, "; ".join(error.messages), refused)
        return True
    if opened:
        reason = _("Opened ticket #%(number)s.") % {"number": reached.number}
    else:
        reason = _("Added to ticket #%(number)s.") % {"number": reached.number}
    _done(message, InboundStatus.LOGGED, reason, refused)
    if opened and not _list_or_automatic(message):
        acknowledgment_send(tenant=tenant, ticket=reached, in_reply_to=parsed.message_id, name=parsed.from_name)
    return True
