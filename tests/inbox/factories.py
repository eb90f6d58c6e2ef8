"""Factories of inbox rows (also used by tests/crm/test_cross_tenant_urls.py)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from inbox.models import InboundMessage, InboundStatus, Source
from tests.factories import TenantOwnedFactory


class InboundMessageFactory(TenantOwnedFactory):
    class Meta:
        model = InboundMessage

    source = Source.DROPBOX
    message_id = factory.Sequence(lambda n: f"<inbound-{n}@customer.example>")
    from_address = "jane@customer.example"
    subject = factory.Sequence(lambda n: f"Inbound message {n}")
    status = InboundStatus.UNMATCHED
    body_text = "Hello"


INBOX_FACTORIES: dict[type[Model], Any] = {InboundMessage: InboundMessageFactory}
