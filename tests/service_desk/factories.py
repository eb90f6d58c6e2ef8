"""Factories of service-desk rows. Tickets are made through ticket_create, so they are numbered and
have their first status change, exactly as the pages make them."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from crm.tenancy.context import tenant_context
from service_desk.models import CannedResponse, Queue, QueueMember, Ticket, TicketAttachment, TicketMessage
from service_desk.services import ticket_create
from tests.factories import TenantOwnedFactory


class QueueFactory(TenantOwnedFactory):
    class Meta:
        model = Queue

    name = factory.Sequence(lambda n: f"Queue {n}")


class QueueMemberFactory(TenantOwnedFactory):
    class Meta:
        model = QueueMember

    queue = factory.LazyAttribute(lambda o: QueueFactory(tenant=o.tenant))
    user = factory.LazyAttribute(lambda o: _member(o.tenant))


def _member(tenant: Any) -> Any:
    from tests.factories import MembershipFactory

    return MembershipFactory(tenant=tenant, role="service").user


class CannedResponseFactory(TenantOwnedFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Response {n}")
    body = "Hi {{ contact.first_name }}, thanks for writing about ticket #{{ ticket.number }}."


def make_ticket(tenant: Any, **kwargs: Any) -> Ticket:
    kwargs.setdefault("subject", "Printer on fire")
    kwargs.setdefault("channel", "email")
    with tenant_context(tenant.id):
        return ticket_create(tenant=tenant, **kwargs)


class TicketFactory:
    """Callable like a factory: TicketFactory(tenant=..., subject=..., ...)."""

    def __new__(cls, tenant: Any, **kwargs: Any) -> Ticket:  # type: ignore[misc]
        return make_ticket(tenant, **kwargs)


class TicketMessageFactory:
    def __new__(cls, tenant: Any, **kwargs: Any) -> TicketMessage:  # type: ignore[misc]
        ticket = kwargs.pop("ticket", None) or make_ticket(tenant)
        with tenant_context(tenant.id):
            return TicketMessage.objects.create(
                tenant=tenant, ticket=ticket, kind=kwargs.pop("kind", "customer"), body_text="Hello", **kwargs
            )


class TicketAttachmentFactory:
    def __new__(cls, tenant: Any, **kwargs: Any) -> TicketAttachment:  # type: ignore[misc]
        from django.core.files.base import ContentFile

        message = kwargs.pop("message", None) or TicketMessageFactory(tenant)
        with tenant_context(tenant.id):
            attachment = TicketAttachment(
                tenant=tenant, message=message, filename="note.txt", content_type="text/plain", size=5
            )
            attachment.file.save("note.txt", ContentFile(b"hello"), save=False)
            attachment.save()
            return attachment


SERVICE_DESK_FACTORIES: dict[type[Model], Any] = {
    Queue: QueueFactory,
    QueueMember: QueueMemberFactory,
    CannedResponse: CannedResponseFactory,
    Ticket: TicketFactory,
    TicketMessage: TicketMessageFactory,
    TicketAttachment: TicketAttachmentFactory,
}
