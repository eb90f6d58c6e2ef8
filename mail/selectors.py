"""Reads of the mail app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from customers.custom_fields.selectors import active_custom_fields
from customers.custom_fields.values import display_value
from customers.models import Contact, CustomFieldEntity
from interactions.models import Interaction
from mail import merge
from mail.models import EmailTemplate, MailSettings, OutboundEmail

OUTBOX_PAGE_SIZE = 50


def mail_settings_for(tenant: Tenant) -> MailSettings | None:
    return MailSettings.objects.filter(tenant=tenant).first()


def email_templates() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.order_by("name", "id")


def outbox(*, limit: int = OUTBOX_PAGE_SIZE) -> list[OutboundEmail]:
    """The newest emails, with what the list shows already joined."""
    return list(
        OutboundEmail.objects.select_related("contact", "sent_by")
        .defer("body", "html_body", "invite", "references")
        .order_by("-created_at", "-id")[:limit]
    )


def outbound_emails_for_detail() -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.select_related("contact", "sent_by", "interaction", "template", "meeting")


def email_interactions() -> QuerySet[Interaction]:
    """Interactions an email can answer (emails the user may see)."""
    return Interaction.objects.filter(kind="email").select_related("contact")


def meetings_to_invite_to(contact: Contact) -> QuerySet[Interaction]:
    """The contact's meetings from yesterday on, soonest first: the ones an invitation still makes sense for."""
    since = timezone.now() - timedelta(days=1)
    return Interaction.objects.filter(kind="meeting", contact=contact, occurred_at__gte=since).order_by(
        "occurred_at", "id"
    )


def contact_choices(text: str = "", *, limit: int = 20) -> list[Contact]:
    """Contacts with an email address for the template preview picker (recent ones, or matching ``text``)."""
    from customers.selectors import contact_search_filter

    contacts = Contact.objects.exclude(email="").select_related("account")
    if text.strip():
        return list(contacts.filter(contact_search_filter(text)).order_by("last_name", "first_name", "id")[:limit])
    return list(contacts.order_by("-updated_at", "-id")[:limit])


# --- Merge fields -----------------------------------------------------------------------------


def merge_field_names() -> dict[str, str]:
    """Every merge field this workspace's templates may use, with its meaning."""
    return merge.allowed_fields(field.key for field in active_custom_fields(CustomFieldEntity.CONTACT))


def merge_values(*, contact: Contact, user: User) -> dict[str, str]:
    values = {
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.full_name": contact.full_name,
        "contact.email": contact.email,
        "contact.title": contact.title,
        "account.name": contact.account.name if contact.account else "",
        "user.full_name": user.full_name or user.display_name,
        "user.email": user.email,
    }
    for field in active_custom_fields(CustomFieldEntity.CONTACT):
        values[f"{merge.CUSTOM_PREFIX}{field.key}"] = display_value(field, (contact.custom_fields or {}).get(field.key))
    return values


# --- Replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParentHeaders:
    """What a reply needs from the email it answers."""

    interaction: Interaction
    message_id: str
    references: str
    subject: str
    quoted_body: str


def _inbound_thread(interaction: Interaction) -> tuple[str, str]:
    """(Message-ID, References) of a received email; empty when the inbox did not receive it."""
    from inbox.selectors import thread_headers_for_interaction  # inbox builds on mail, not the reverse

    return thread_headers_for_interaction(interaction) or ("", "")


def parent_headers_for(interaction: Interaction) -> ParentHeaders:
    """Threading headers for a reply to ``interaction`` (an email); empty when its Message-ID is unknown
    (an email logged by hand), so the reply still quotes it but starts a new thread.

    References is the parent's References followed by the parent's Message-ID (RFC 5322 3.6.4)."""
    own = OutboundEmail.objects.filter(interaction=interaction).only("message_id", "references").first()
    if own is not None:
        message_id, earlier = own.message_id, own.references
    else:
        message_id, earlier = _inbound_thread(interaction)
    subject = interaction.subject or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}".strip()
    when = timezone.localtime(interaction.occurred_at).strftime("%Y-%m-%d %H:%M")
    if interaction.direction == "inbound":
        author = interaction.contact.full_name if interaction.contact else ""
    else:
        author = interaction.logged_by.display_name if interaction.logged_by else ""
    intro = (
        _("On %(when)s, %(who)s wrote:") % {"when": when, "who": author}
        if author
        else _("On %(when)s you wrote:") % {"when": when}
    )
    quoted = "\n".join(f"> {line}" if line else ">" for line in (interaction.body or "").splitlines())
    return ParentHeaders(
        interaction=interaction,
        message_id=message_id,
        references=" ".join(part for part in (earlier, message_id) if part),
        subject=subject[:255],
        quoted_body=f"\n\n{intro}\n{quoted}" if quoted else "",
    )
