"""Writes of the service desk. Every ticket comes into being through ``ticket_create`` (agent form, API,
email, web form) and every status move goes through ``ticket_status_change``, which keeps the history
the SLA clocks are computed from."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from customers.models import Account, Contact
from service_desk.models import (
    MessageKind,
    Queue,
    Ticket,
    TicketChannel,
    TicketCounter,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketStatusChange,
)


def ticket_number_next(*, tenant: Tenant) -> int:
    """The tenant's next ticket number: one row per tenant bumped in place, so numbers never repeat
    and concurrent creates queue on that row for the length of their transaction only."""
    TicketCounter.objects.get_or_create(tenant=tenant)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE service_desk_ticketcounter SET last_number = last_number + 1 WHERE tenant_id = %s"
            " RETURNING last_number",
            [tenant.pk],
        )
        return int(cursor.fetchone()[0])


def _check_same_tenant(tenant: Tenant, **records: object) -> None:
    errors = {}
    for field, record in records.items():
        if record is not None and getattr(record, "tenant_id", None) != tenant.pk:
            errors[field] = _("This record does not exist.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ticket_create(
    *,
    tenant: Tenant,
    subject: str,
    description: str = "",
    contact: Contact | None = None,
    account: Account | None = None,
    requester_email: str = "",
    channel: str = TicketChannel.AGENT,
    priority: str = TicketPriority.NORMAL,
    queue: Queue | None = None,
    assignee: User | None = None,
    category: str = "",
    tags: list[str] | None = None,
    by: User | None = None,
) -> Ticket:
    """Open a ticket; its description is also the first customer message of the conversation.

    Raises ValidationError naming each wrong field; nothing is written then. Routing rules (``sla`` app)
    run before it is returned and may set queue, priority, tags and assignee the caller left open.
    """
    subject = " ".join(subject.split())[:255]
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("A ticket needs a subject.")
    if channel not in TicketChannel.values:
        errors["channel"] = _("Unknown channel “%(value)s”.") % {"value": channel}
    if priority not in TicketPriority.values:
        errors["priority"] = _("Priority must be one of: %(choices)s.") % {"choices": ", ".join(TicketPriority.values)}
    if errors:
        raise ValidationError(errors)
    _check_same_tenant(tenant, contact=contact, account=account, queue=queue)
    if assignee is not None and not Membership.objects.filter(tenant=tenant, user=assignee, is_active=True).exists():
        raise ValidationError({"assignee": _("The assignee is not a member of this workspace.")})
    if account is None and contact is not None and contact.account_id:
        account = contact.account
    if queue is None:
        queue = Queue.objects.filter(is_default=True).first()
    now = timezone.now()
    ticket = Ticket.objects.create(
        tenant=tenant,
        number=ticket_number_next(tenant=tenant),
        subject=subject,
        description=description,
        contact=contact,
        account=account,
        requester_email=(requester_email or (contact.email if contact else "")).lower(),
        channel=channel,
        priority=priority,
        queue=queue,
        assignee=assignee,
        status=TicketStatus.OPEN if assignee else TicketStatus.NEW,
        category=category.strip()[:60],
        tags=sorted({t.strip().lower()[:40] for t in (tags or []) if t.strip()}),
        created_by=by,
        updated_by=by,
        created_at=now,
        updated_at=now,
    )
    TicketStatusChange.objects.create(
        tenant=tenant, ticket=ticket, from_status="", to_status=ticket.status, changed_by=by
    )
    if description.strip():
        TicketMessage.objects.create(
            tenant=tenant,
            ticket=ticket,
            kind=MessageKind.CUSTOMER if channel != TicketChannel.AGENT else MessageKind.NOTE,
            author_contact=contact,
            author_user=by if channel == TicketChannel.AGENT else None,
            from_address=ticket.requester_email,
            body_text=description,
            created_at=now,
        )
    from sla.routing import ticket_route_new  # the sla app owns routing rules and automatic assignment

    ticket_route_new(tenant=tenant, ticket=ticket)
    return ticket


@transaction.atomic
def ticket_status_change(*, tenant: Tenant, ticket: Ticket, status: str, by: User | None) -> Ticket:
    """Move a ticket to ``status``, stamping solved/closed times and recording the change (no-op if unchanged)."""
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status “%(value)s”.") % {"value": status}})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status == status:
        return locked
    now = timezone.now()
    previous = locked.status
    locked.status = status
    if status == TicketStatus.SOLVED:
        locked.solved_at = now
    elif status == TicketStatus.CLOSED:
        locked.closed_at = now
        locked.solved_at = locked.solved_at or now
    else:
        locked.solved_at = locked.closed_at = None  # reopened
    locked.updated_at, locked.updated_by, locked.version = now, by, locked.version + 1
    locked.save(update_fields=["status", "solved_at", "closed_at", "updated_at", "updated_by", "version"])
    TicketStatusChange.objects.create(
        tenant=tenant, ticket=locked, from_status=previous, to_status=status, changed_at=now, changed_by=by
    )
    return locked
