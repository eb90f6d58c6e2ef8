"""The dropbox's SMTP receiver (aiosmtpd): ``dropbox+<token>@<INBOUND_MAIL_DOMAIN>``.

Each RCPT is routed by its token to one tenant when it is given; unknown tokens are refused right
there (550), so the sending server bounces to its user instead of us accepting mail we cannot file.
The tenant comes from the envelope alone: a message whose RCPT is tenant A's dropbox is ingested
into A only, whatever its headers say.

Ingest runs directly, before "250 OK": the sender's retry queue is our durability (a failure answers
451 and the message comes again), the answer means the message is stored, and there is no second
queue to watch. Parsing and storing one message takes milliseconds; the slow part of mail is the
network, which aiosmtpd handles asynchronously.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def _tenant_for_rcpt(address: str) -> int | None:
    from inbox.services import tenant_id_for_token, token_from_address

    close_old_connections()
    token = token_from_address(address)
    return tenant_id_for_token(token) if token else None


def _ingest(tenant_ids: list[int], raw: bytes) -> list[int]:
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from inbox.models import Source
    from inbox.services import inbound_message_ingest

    close_old_connections()
    stored = []
    for tenant_id in tenant_ids:
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant_id):
            result = inbound_message_ingest(tenant=tenant, raw=raw, source=Source.DROPBOX)
            stored.append(result.message.pk)
    return stored


class DropboxHandler:
    """aiosmtpd handler: RCPT routing and DATA ingest; the tenant of each RCPT is kept on the envelope."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        tenant_id = await sync_to_async(_tenant_for_rcpt, thread_sensitive=True)(address)
        if tenant_id is None:
            return "550 5.1.1 No such dropbox: check the address on the CRM's inbox settings page"
        tenants: list[int] = getattr(envelope, "crm_tenants", [])
        if tenant_id not in tenants:
            tenants.append(tenant_id)
        envelope.crm_tenants = tenants  # type: ignore[attr-defined]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        tenants: list[int] = getattr(envelope, "crm_tenants", [])
        if not tenants:
            return "554 5.5.1 No valid recipients"
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            await sync_to_async(_ingest, thread_sensitive=True)(tenants, raw or b"")
        except Exception:
            logger.exception("inbox: dropbox ingest failed; the sender will retry")
            return "451 4.3.0 Temporary failure storing the message; try again later"
        return "250 OK: message stored"


def dropbox_controller(*, host: str, port: int, max_bytes: int | None = None) -> Controller:
    """A started-on-demand aiosmtpd server (``.start()`` runs it in a thread; ``.stop()`` ends it).
    Messages over ``max_bytes`` are refused with 552 by aiosmtpd during DATA."""
    from inbox.services import max_bytes as limit

    options: dict[str, Any] = {"data_size_limit": max_bytes or limit(), "decode_data": False}
    return Controller(DropboxHandler(), hostname=host, port=port, **options)


def dropbox_controller_stop(controller: Controller) -> None:
    """Stop the server after closing the database connection its worker thread opened."""
    import asyncio

    from django.db import connections

    if controller.loop.is_running():
        asyncio.run_coroutine_threadsafe(
            sync_to_async(connections.close_all, thread_sensitive=True)(), controller.loop
        ).result()
    controller.stop()
