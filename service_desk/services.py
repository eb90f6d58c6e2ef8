"""Writes of the service desk. Every ticket comes into being through ``ticket_create`` (agent form, API,
email, web form) and every status move goes through ``ticket_status_change``, which keeps the history
the SLA clocks are computed from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, Func, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from customers.models import Account, Contact
from customers.services import ConcurrentEditError
from integrations.webhooks import webhook_emit
from service_desk.attachments import IncomingFile, attachment_store, check, incoming
from service_desk.models import (
    CannedResponse,
    MessageKind,
    Queue,
    QueueMember,
    Ticket,
    TicketChannel,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketPriority,
    TicketStatus,
    TicketStatusChange,
)

__all__ = ["ConcurrentEditError"]


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
    webhook_emit(tenant=tenant, event="ticket.created", data={"ticket": _ticket_payload(ticket)})
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
    webhook_emit(tenant=tenant, event="ticket.status_changed",
                 data={"ticket": _ticket_payload(locked), "from_status": previous, "to_status": status})  # fmt: skip
    return locked


def _ticket_payload(ticket: Ticket) -> dict[str, object]:
    """What webhooks say about a ticket (the API's full representation is one GET away)."""
    return {
        "id": ticket.pk, "number": ticket.number, "subject": ticket.subject, "status": ticket.status,
        "priority": ticket.priority, "channel": ticket.channel, "queue": ticket.queue_id,
        "assignee": ticket.assignee_id, "contact": ticket.contact_id, "account": ticket.account_id,
        "requester_email": ticket.requester_email, "created_at": ticket.created_at,
    }  # fmt: skip


# --- Conversation -----------------------------------------------------------------------------

# "@ann", "@ann.lee" (the part of a member's address before the @) or a full "@ann.lee@acme.example".
MENTION_PATTERN = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def mention_handle(user: User) -> str:
    """What an agent types after "@" to mention ``user``: the part of their address before the @."""
    return user.email.split("@")[0].lower()


def mentioned_members(*, tenant: Tenant, text: str) -> list[User]:
    """The active members of ``tenant`` that ``text`` mentions, each once, in one query."""
    tokens = {token.lower().rstrip(".") for token in MENTION_PATTERN.findall(text)}
    if not tokens:
        return []
    members = User.objects.filter(memberships__tenant=tenant, memberships__is_active=True, is_active=True)
    return [user for user in members.order_by("id") if user.email.lower() in tokens or mention_handle(user) in tokens]


def _ticket_url(ticket: Ticket) -> str:
    return reverse("service_desk:ticket_detail", args=[ticket.pk])


@transaction.atomic
def ticket_message_add(
    *,
    tenant: Tenant,
    ticket: Ticket,
    kind: str,
    body_text: str,
    by: User | None = None,
    author_contact: Contact | None = None,
    from_address: str = "",
    body_html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    inbound_message: Any = None,
    attachments: Iterable[IncomingFile | Any] = (),
) -> TicketMessage:
    """Add one entry to a ticket's conversation: the only way a message is written.

    - a customer message on a pending or solved ticket reopens it (a merged ticket passes it on to
      the ticket it was merged into);
    - an agent's first public reply stamps ``first_responded_at``; a reply on a new ticket opens it;
      the reply's email is queued through ``support.outbound.reply_email_enqueue``;
    - an internal note notifies the members it @mentions.

    ``attachments``: IncomingFile, Django uploads or (filename, content_type, content) tuples. Raises
    ValidationError (nothing written) for an empty message, a wrong kind or a refused file.
    """
    if kind not in MessageKind.values:
        raise ValidationError({"kind": _("Unknown message type “%(value)s”.") % {"value": kind}})
    if ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("This record does not exist.")})
    files = [incoming(item) for item in attachments]
    if not body_text.strip() and not files:
        raise ValidationError({"body_text": _("Write a message or attach a file.")})
    if kind != MessageKind.CUSTOMER and by is None:
        raise ValidationError({"kind": _("Replies and notes are written by a member of the workspace.")})
    for item in files:  # refuse before anything is written
        try:
            check(item)
        except ValueError as rejected:
            raise ValidationError({"attachments": str(rejected)}) from None
    # Read the ticket as stored (the caller's copy may be stale) and hold it while the rules apply.
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    seen: set[int] = set()
    while kind == MessageKind.CUSTOMER and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.select_for_update().get(pk=ticket.merged_into_id)

    now = timezone.now()
    message = TicketMessage.objects.create(
        tenant=tenant,
        ticket=ticket,
        kind=kind,
        author_user=by if kind != MessageKind.CUSTOMER else None,
        author_contact=author_contact if kind == MessageKind.CUSTOMER else None,
        from_address=(from_address or (by.email if by and kind != MessageKind.CUSTOMER else "")).lower()[:254],
        body_text=body_text,
        body_html=body_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        inbound_message=inbound_message,
        created_at=now,
    )
    for item in files:
        attachment_store(tenant=tenant, message=message, item=item)

    # Activity moves the ticket up in "recently updated" without invalidating an agent's open side panel.
    stamps: dict[str, Any] = {"updated_at": now}
    if kind == MessageKind.REPLY and ticket.first_responded_at is None:
        stamps["first_responded_at"] = now
        ticket.first_responded_at = now
    Ticket.objects.filter(pk=ticket.pk).update(**stamps)
    ticket.updated_at = now

    if kind == MessageKind.CUSTOMER and ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        ticket_status_change(tenant=tenant, ticket=ticket, status=TicketStatus.OPEN, by=None)
    elif kind == MessageKind.REPLY:
        if ticket.status == TicketStatus.NEW:
            ticket_status_change(tenant=tenant, ticket=ticket, status=TicketStatus.OPEN, by=by)
        from support.outbound import reply_email_enqueue  # the support app owns outgoing email

        reply_email_enqueue(tenant=tenant, message=message)
    elif kind == MessageKind.NOTE and by is not None:
        _notify_mentions(tenant=tenant, ticket=ticket, message=message, by=by)
    return message


def _notify_mentions(*, tenant: Tenant, ticket: Ticket, message: TicketMessage, by: User) -> None:
    from notifications.services import notify

    excerpt = " ".join(message.body_text.split())[:300]
    for user in mentioned_members(tenant=tenant, text=message.body_text):
        if user.pk == by.pk:
            continue
        notify(
            tenant=tenant,
            user=user,
            title=_("%(who)s mentioned you on ticket #%(number)s") % {"who": by.display_name, "number": ticket.number},
            body=excerpt,
            url=f"{_ticket_url(ticket)}#message-{message.pk}",
            kind="ticket_mention",
        )


# --- Ticket fields ----------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "subject",
    "priority",
    "queue",
    "assignee",
    "category",
    "tags",
    "contact",
    "account",
    "deal",
    "order",
)
LINK_FIELDS = ("contact", "account", "deal", "order")
EVENT_KIND = {
    "assignee": TicketEventKind.ASSIGNED,
    "priority": TicketEventKind.PRIORITY,
    "queue": TicketEventKind.QUEUE,
    "category": TicketEventKind.CATEGORY,
    "tags": TicketEventKind.TAGS,
    "subject": TicketEventKind.SUBJECT,
}


def normalise_tags(tags: Iterable[str]) -> list[str]:
    return sorted({t.strip().lower()[:40] for t in tags if t and t.strip()})


def _display(field: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if field == "tags":
        return ", ".join(value)
    if field == "priority":
        return str(TicketPriority(value).label)
    if isinstance(value, User):
        return value.display_name
    return str(value)


def _clean_changes(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    changes = dict(data)
    errors: dict[str, str] = {}
    if "subject" in changes:
        changes["subject"] = " ".join(str(changes["subject"]).split())[:255]
        if not changes["subject"]:
            errors["subject"] = _("A ticket needs a subject.")
    if "priority" in changes and changes["priority"] not in TicketPriority.values:
        errors["priority"] = _("Priority must be one of: %(choices)s.") % {"choices": ", ".join(TicketPriority.values)}
    if "category" in changes:
        changes["category"] = str(changes["category"] or "").strip()[:60]
    if "tags" in changes:
        changes["tags"] = normalise_tags(changes["tags"] or [])
    if errors:
        raise ValidationError(errors)
    _check_same_tenant(
        tenant, **{f: changes[f] for f in ("queue", "contact", "account", "deal", "order") if f in changes}
    )
    assignee = changes.get("assignee")
    if assignee is not None and not Membership.objects.filter(tenant=tenant, user=assignee, is_active=True).exists():
        raise ValidationError({"assignee": _("The assignee is not a member of this workspace.")})
    return changes


@transaction.atomic
def ticket_update(
    *, tenant: Tenant, ticket: Ticket, data: dict[str, Any], expected_version: int | None, by: User | None
) -> Ticket:
    """Change any of subject, priority, queue, assignee, category, tags and the linked contact, account,
    deal and order; each change is recorded for the ticket's history.

    With ``expected_version`` the write is refused (ConcurrentEditError) if someone saved the ticket
    since; bulk actions pass None. Assigning a new ticket opens it. Status changes go through
    ``ticket_status_change``.
    """
    changes = _clean_changes(tenant, data)
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("queue", "assignee").get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEditError(Ticket.objects.select_related("updated_by").get(pk=ticket.pk))
    changed = {name: value for name, value in changes.items() if _value_of(locked, name) != _key_of(value)}
    if not changed:
        return locked
    now = timezone.now()
    events: list[TicketEvent] = []
    links: dict[str, dict[str, str]] = {}
    for name, value in changed.items():
        before = getattr(locked, name)
        if name in LINK_FIELDS:
            links[name] = {"from": _display(name, before), "to": _display(name, value)}
        else:
            events.append(
                TicketEvent(
                    tenant=tenant,
                    ticket=locked,
                    kind=EVENT_KIND[name],
                    created_at=now,
                    created_by=by,
                    data={"from": _display(name, before), "to": _display(name, value)},
                )
            )
        setattr(locked, name, value)
    if links:
        events.append(
            TicketEvent(
                tenant=tenant, ticket=locked, kind=TicketEventKind.LINKS, created_at=now, created_by=by, data=links
            )
        )
    TicketEvent.objects.bulk_create(events)
    locked.updated_at, locked.updated_by, locked.version = now, by, locked.version + 1
    locked.save(update_fields=[*changed, "updated_at", "updated_by", "version"])
    if "assignee" in changed and locked.assignee_id and locked.status == TicketStatus.NEW:
        locked = ticket_status_change(tenant=tenant, ticket=locked, status=TicketStatus.OPEN, by=by)
    if "assignee" in changed and locked.assignee_id and by is not None and locked.assignee_id != by.pk:
        from notifications.services import notify

        notify(
            tenant=tenant,
            user=locked.assignee,  # type: ignore[arg-type]
            title=_("%(who)s assigned ticket #%(number)s to you") % {"who": by.display_name, "number": locked.number},
            body=locked.subject,
            url=_ticket_url(locked),
            kind="ticket_assigned",
        )
    return locked


def _key_of(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _value_of(ticket: Ticket, name: str) -> Any:
    if name in ("queue", "assignee", *LINK_FIELDS):
        return getattr(ticket, f"{name}_id")
    return getattr(ticket, name)


def ticket_assign(*, tenant: Tenant, ticket: Ticket, assignee: User | None, by: User | None) -> Ticket:
    return ticket_update(tenant=tenant, ticket=ticket, data={"assignee": assignee}, expected_version=None, by=by)


def ticket_tags_add(*, tenant: Tenant, ticket: Ticket, tags: Iterable[str], by: User | None) -> Ticket:
    merged = normalise_tags([*ticket.tags, *tags])
    return ticket_update(tenant=tenant, ticket=ticket, data={"tags": merged}, expected_version=None, by=by)


@transaction.atomic
def ticket_merge(*, tenant: Tenant, duplicate: Ticket, into: Ticket, by: User | None) -> Ticket:
    """Merge ``duplicate`` into ``into``: its conversation moves over, its tags are added, it is closed
    and marked merged_into, and both tickets get a note saying so. Returns the surviving ticket."""
    if duplicate.tenant_id != tenant.pk or into.tenant_id != tenant.pk:
        raise ValidationError({"into": _("This record does not exist.")})
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    # Lock both in id order so two merges of the same pair cannot deadlock.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk")}
    source, target = locked[duplicate.pk], locked[into.pk]
    if source.merged_into_id:
        raise ValidationError({"into": _("Ticket #%(number)s was already merged.") % {"number": source.number}})
    if target.merged_into_id:
        raise ValidationError(
            {
                "into": _("Ticket #%(number)s was merged into another ticket; merge into that one.")
                % {"number": target.number}
            }
        )
    now = timezone.now()
    TicketMessage.objects.filter(ticket=source).update(ticket=target)
    target.tags = normalise_tags([*target.tags, *source.tags])
    target.updated_at, target.updated_by, target.version = now, by, target.version + 1
    if target.first_responded_at is None and source.first_responded_at is not None:
        target.first_responded_at = source.first_responded_at
    target.save(update_fields=["tags", "updated_at", "updated_by", "version", "first_responded_at"])
    Ticket.objects.filter(pk=source.pk).update(
        merged_into=target, version=F("version") + 1, updated_at=now, updated_by=by
    )
    source.merged_into = target
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                tenant=tenant,
                ticket=source,
                kind=TicketEventKind.MERGED,
                created_by=by,
                created_at=now,
                data={"into": target.number, "into_id": target.pk},
            ),
            TicketEvent(
                tenant=tenant,
                ticket=target,
                kind=TicketEventKind.MERGED,
                created_by=by,
                created_at=now,
                data={"from": source.number, "from_id": source.pk},
            ),
        ]
    )
    TicketMessage.objects.bulk_create(
        [
            TicketMessage(
                tenant=tenant,
                ticket=source,
                kind=MessageKind.NOTE,
                author_user=by,
                created_at=now,
                body_text=_("Merged into ticket #%(number)s; its conversation continues there.")
                % {"number": target.number},
            ),
            TicketMessage(
                tenant=tenant,
                ticket=target,
                kind=MessageKind.NOTE,
                author_user=by,
                created_at=now,
                body_text=_("Ticket #%(number)s (“%(subject)s”) was merged into this ticket.")
                % {"number": source.number, "subject": source.subject},
            ),
        ]
    )
    if source.status != TicketStatus.CLOSED:
        ticket_status_change(tenant=tenant, ticket=source, status=TicketStatus.CLOSED, by=by)
    return Ticket.objects.get(pk=target.pk)


# --- Queues -------------------------------------------------------------------------------------


@transaction.atomic
def queue_save(
    *,
    tenant: Tenant,
    queue: Queue | None,
    name: str,
    description: str = "",
    email_address: str = "",
    is_default: bool = False,
    by: User | None = None,
) -> Queue:
    """Create (queue=None) or change a queue; making it the default takes that from the previous one."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("A queue needs a name.")})
    clash = Queue.objects.filter(name__iexact=name)
    if queue is not None:
        clash = clash.exclude(pk=queue.pk)
    if clash.exists():
        raise ValidationError({"name": _("There is already a queue called “%(name)s”.") % {"name": name}})
    if is_default:
        Queue.objects.filter(is_default=True).exclude(pk=queue.pk if queue else None).update(is_default=False)
    queue = queue or Queue(tenant=tenant)
    queue.name, queue.description = name, description.strip()[:300]
    queue.email_address, queue.is_default = email_address.strip().lower(), is_default
    queue.save()
    return queue


@transaction.atomic
def queue_delete(*, tenant: Tenant, queue: Queue, by: User | None = None) -> None:
    """Remove a queue; its tickets stay, without a queue."""
    queue.delete()


@transaction.atomic
def queue_member_set(*, tenant: Tenant, queue: Queue, user: User, is_available: bool = True) -> QueueMember:
    if not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists():
        raise ValidationError({"user": _("This person is not a member of this workspace.")})
    member, _created = QueueMember.objects.update_or_create(
        tenant=tenant, queue=queue, user=user, defaults={"is_available": is_available}
    )
    return member


@transaction.atomic
def queue_member_remove(*, tenant: Tenant, queue: Queue, user_id: int) -> None:
    QueueMember.objects.filter(queue=queue, user_id=user_id).delete()


# --- Canned responses ---------------------------------------------------------------------------


@transaction.atomic
def canned_response_save(
    *, tenant: Tenant, canned: CannedResponse | None, title: str, body: str, by: User | None
) -> CannedResponse:
    from service_desk.canned import merge_problems

    title = " ".join(title.split())[:120]
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the response a title.")
    elif CannedResponse.objects.filter(title__iexact=title).exclude(pk=canned.pk if canned else None).exists():
        errors["title"] = _("There is already a response called “%(title)s”.") % {"title": title}
    if not body.strip():
        errors["body"] = _("Write the text of the response.")
    else:
        found = merge_problems(body)
        if found:
            errors["body"] = " ".join(str(problem) for problem in found)
    if errors:
        raise ValidationError(errors)
    canned = canned or CannedResponse(tenant=tenant, created_by=by)
    canned.title, canned.body, canned.updated_at = title, body, timezone.now()
    canned.save()
    return canned


@transaction.atomic
def canned_response_delete(*, tenant: Tenant, canned: CannedResponse) -> None:
    canned.delete()


# --- Bulk changes (ticket list) -------------------------------------------------------------------

BULK_FIELDS = ("assignee", "priority", "queue")


@transaction.atomic
def tickets_bulk_set(*, tenant: Tenant, selection: QuerySet[Ticket], field: str, value: Any, by: User | None) -> int:
    """Set ``field`` (assignee, priority or queue) on every ticket of ``selection`` that differs, in one
    UPDATE, recording one history entry per changed ticket. Assigning new tickets also opens them."""
    if field not in BULK_FIELDS:
        raise ValidationError({field: _("This field cannot be changed in bulk.")})
    changes = _clean_changes(tenant, {field: value})
    value = changes[field]
    key = _key_of(value)
    column = f"{field}_id" if field in ("assignee", "queue") else field
    rows = list(
        selection.exclude(**{column: key}).values_list("pk", column)
        if key is not None
        else selection.exclude(**{f"{column}__isnull": True}).values_list("pk", column)
    )
    if not rows:
        return 0
    now = timezone.now()
    ids = [pk for pk, _before in rows]
    Ticket.objects.filter(pk__in=ids).update(**{column: key}, updated_at=now, updated_by=by, version=F("version") + 1)
    names = _display_names(field, {before for _pk, before in rows})
    TicketEvent.objects.bulk_create(
        TicketEvent(
            tenant=tenant,
            ticket_id=pk,
            kind=EVENT_KIND[field],
            created_at=now,
            created_by=by,
            data={"from": names.get(before, ""), "to": _display(field, value)},
        )
        for pk, before in rows
    )
    if field == "assignee" and value is not None:
        for ticket in Ticket.objects.filter(pk__in=ids, status=TicketStatus.NEW):
            ticket_status_change(tenant=tenant, ticket=ticket, status=TicketStatus.OPEN, by=by)
    return len(ids)


def _display_names(field: str, values: set[Any]) -> dict[Any, str]:
    """Display strings of the previous values, looked up at once."""
    if field == "assignee":
        return {user.pk: user.display_name for user in User.objects.filter(pk__in=values - {None})}
    if field == "queue":
        return dict(Queue.objects.filter(pk__in=values - {None}).values_list("pk", "name"))
    return {value: _display(field, value) for value in values}


@transaction.atomic
def tickets_bulk_status(*, tenant: Tenant, selection: QuerySet[Ticket], status: str, by: User | None) -> int:
    """Move every ticket of ``selection`` to ``status`` through ``ticket_status_change`` (history and SLA
    stamps per ticket). Merged tickets stay closed."""
    changed = 0
    for ticket in selection.exclude(status=status).filter(merged_into__isnull=True).order_by("pk"):
        ticket_status_change(tenant=tenant, ticket=ticket, status=status, by=by)
        changed += 1
    return changed


@transaction.atomic
def tickets_bulk_tag(*, tenant: Tenant, selection: QuerySet[Ticket], tag: str, by: User | None) -> int:
    tags = normalise_tags([tag])
    if not tags:
        raise ValidationError({"tag": _("Enter a tag.")})
    rows = list(selection.exclude(tags__contains=tags).values_list("pk", "tags"))
    if not rows:
        return 0
    now = timezone.now()
    ids = [pk for pk, _tags in rows]
    Ticket.objects.filter(pk__in=ids).update(
        tags=Func(
            F("tags"),
            Value(tags[0], output_field=CharField()),
            function="array_append",
            output_field=ArrayField(CharField()),
        ),
        updated_at=now,
        updated_by=by,
        version=F("version") + 1,
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            tenant=tenant,
            ticket_id=pk,
            kind=TicketEventKind.TAGS,
            created_at=now,
            created_by=by,
            data={"from": ", ".join(before), "to": ", ".join(sorted({*before, tags[0]}))},
        )
        for pk, before in rows
    )
    return len(ids)
