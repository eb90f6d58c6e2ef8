"""Reads of the inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Contact
from inbox.models import InboundMessage, InboundStatus
from interactions.models import Interaction, InteractionAttachment


def message_id_for_interaction(interaction: Interaction) -> str | None:
    """The Message-ID (with angle brackets) of the received email logged as ``interaction``, so a reply
    can thread under it (mail.compose uses it for In-Reply-To/References); None when it was not
    received through the inbox."""
    headers = thread_headers_for_interaction(interaction)
    return headers[0] if headers else None


def thread_headers_for_interaction(interaction: Interaction) -> tuple[str, str] | None:
    """(Message-ID, References) of the received email logged as ``interaction``, so a reply carries the
    whole thread in its References (RFC 5322 3.6.4); None when it was not received through the inbox."""
    row = (
        InboundMessage.objects.filter(interaction=interaction)
        .order_by("received_at")
        .values_list("message_id", "references")
        .first()
    )
    return (row[0], row[1]) if row else None


def inbound_messages(*, status: str = "") -> QuerySet[InboundMessage]:
    """The inbox list, newest first, with what each row shows already joined."""
    messages = InboundMessage.objects.select_related("interaction__contact").order_by("-received_at", "-id")
    if status in InboundStatus.values:
        messages = messages.filter(status=status)
    return messages


def inbound_messages_for_page() -> QuerySet[InboundMessage]:
    return InboundMessage.objects.select_related("interaction__contact", "interaction__account", "logged_by")


def contacts_of(interaction: Interaction) -> list[Contact]:
    """The contact an email was logged on, then the other contacts on it."""
    others = list(interaction.participant_contacts.order_by("id"))
    main = [interaction.contact] if interaction.contact is not None else []
    return main + [contact for contact in others if contact not in main]


def attachments_of(interaction: Interaction) -> list[InteractionAttachment]:
    return list(interaction.attachments.order_by("created_at", "id"))
