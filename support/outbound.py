"""Email of agents' public replies to the customer. CONTRACT, filled in by the support app's owner."""

from __future__ import annotations

from crm.models import Tenant
from service_desk.models import TicketMessage


def reply_email_enqueue(*, tenant: Tenant, message: TicketMessage) -> None:
    """Queue the email of a public reply (kind REPLY) to the ticket's requester, threaded with the
    conversation; called by the service desk inside the transaction that saved ``message``
    (enqueue with transaction.on_commit). Sets ``message.outbound_email`` and ``message.message_id``."""
    raise NotImplementedError("support.outbound.reply_email_enqueue is being written")
