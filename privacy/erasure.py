"""Erase one contact's personal data everywhere, keeping aggregate numbers (order amounts, counts).

Three passes, each idempotent, so a rerun after a failure finishes the job:

1. Known places, by their keys: the contact row itself; its interactions (subject, body, attachments);
   its tickets (subject, description, requester email) and their messages and attachments; emails and
   SMS sent to it; stored copies of incoming mail from it; campaign delivery addresses; suppressions.
2. A generic pass over every text column of every tenant table: a value containing the contact's
   email, phone or full name is blanked (or redacted where blank is not allowed). This catches tables
   added later by other apps (a deal named after the person, a notification, a task title).
3. The audit trail, through the owner connection (the runtime role may not change it).

The ``erase`` audit event records the tables and row counts, never the erased values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection, models, transaction

from crm.models import Tenant, User
from crm.tenancy.models import TenantModel
from customers.models import Contact

logger = logging.getLogger(__name__)
REDACTED = "[erased]"
NUMERIC_CUSTOM_TYPES = {"number", "decimal", "integer", "boolean", "checkbox", "currency"}


@dataclass
class Erasure:
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, table: str, rows: int) -> None:
        if rows:
            self.counts[table] = self.counts.get(table, 0) + rows


def _model(label: str) -> Any:  # a model class, or None when that app has not built it yet
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def personal_values(contact: Contact) -> list[str]:
    """The values to hunt for across the tenant: long enough not to match ordinary words."""
    full_name = f"{contact.first_name} {contact.last_name}".strip()
    candidates = [contact.email, contact.phone, full_name, contact.street]
    if contact.phone:
        candidates.append(re.sub(r"\D", "", contact.phone))
    return sorted({value.strip() for value in candidates if value and len(value.strip()) >= 5}, key=len, reverse=True)


def _fields_of(model: type[models.Model], kinds: tuple[type[models.Field], ...]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, kinds) and not f.primary_key]


def _blank(model: type[models.Model], names: Iterable[str]) -> dict[str, Any]:
    """Blank values for ``names``: "" for text, None when nullable, [] / {} for arrays and JSON."""
    values: dict[str, Any] = {}
    for name in names:
        f = model._meta.get_field(name)
        if isinstance(f, models.JSONField):
            values[name] = {} if isinstance(f.default, dict) or f.default is dict else []
        elif f.get_internal_type() == "ArrayField":
            values[name] = []
        elif isinstance(f, models.FileField):
            values[name] = ""
        elif f.null:
            values[name] = None
        else:
            values[name] = ""
    return values


def _delete_files(erasure: Erasure, queryset: models.QuerySet[Any], file_field: str) -> None:
    erasure.files.extend(name for name in queryset.values_list(file_field, flat=True) if name)


# --- Pass 1: the known places -------------------------------------------------------------------


def _erase_contact_row(erasure: Erasure, contact: Contact) -> None:
    from customers.models import CustomField

    numeric = set(
        CustomField.objects.filter(entity="contact", field_type__in=NUMERIC_CUSTOM_TYPES).values_list("key", flat=True)
    )
    kept_custom = {key: value for key, value in (contact.custom_fields or {}).items() if key in numeric}
    updated = Contact.objects.filter(pk=contact.pk).update(
        first_name="Erased",
        last_name=f"contact #{contact.pk}",
        email="",
        phone="",
        title="",
        street="",
        city="",
        region="",
        postal_code="",
        country="",
        birthday=None,
        tags=[],
        email_consent=False,
        email_consent_at=None,
        email_consent_source="",
        sms_consent=False,
        sms_consent_at=None,
        sms_consent_source="",
        external_id="",
        custom_fields=kept_custom,
    )
    erasure.add("customers_contact", updated)


def _erase_interactions(erasure: Erasure, contact: Contact) -> list[int]:
    Interaction = _model("interactions.Interaction")
    if Interaction is None:
        return []
    linked = set(Interaction.objects.filter(contact=contact).values_list("id", flat=True))
    InteractionContact = _model("interactions.InteractionContact")
    if InteractionContact is not None:
        linked |= set(InteractionContact.objects.filter(contact=contact).values_list("interaction_id", flat=True))
    ids = sorted(linked)
    erasure.add("interactions_interaction", Interaction.objects.filter(id__in=ids).update(subject=REDACTED, body=""))
    Attachment = _model("interactions.InteractionAttachment")
    if Attachment is not None:
        attachments = Attachment.objects.filter(interaction_id__in=ids)
        _delete_files(erasure, attachments, "file")
        erasure.add("interactions_interactionattachment", attachments.delete()[0])
    return ids


def _erase_tickets(erasure: Erasure, contact: Contact, email: str) -> None:
    Ticket, Message = _model("service_desk.Ticket"), _model("service_desk.TicketMessage")
    if Ticket is None or Message is None:
        return
    condition = models.Q(contact=contact)
    if email:
        condition |= models.Q(requester_email__iexact=email)
    ticket_ids = list(Ticket.objects.filter(condition).values_list("id", flat=True))
    erasure.add(
        "service_desk_ticket",
        Ticket.objects.filter(id__in=ticket_ids).update(
            subject=REDACTED, description="", requester_email="", custom_fields={}
        ),
    )
    messages = Message.objects.filter(models.Q(ticket_id__in=ticket_ids) | models.Q(author_contact=contact))
    erasure.add("service_desk_ticketmessage", messages.update(body_text=REDACTED, body_html="", from_address=""))
    Attachment = _model("service_desk.TicketAttachment")
    if Attachment is not None:
        attachments = Attachment.objects.filter(message__in=messages)
        _delete_files(erasure, attachments, "file")
        erasure.add("service_desk_ticketattachment", attachments.delete()[0])


def _erase_messages(erasure: Erasure, contact: Contact, email: str, phone: str, interaction_ids: list[int]) -> None:
    Outbound = _model("mail.OutboundEmail")
    if Outbound is not None:
        erasure.add(
            "mail_outboundemail",
            Outbound.objects.filter(contact=contact).update(
                to=[], cc=[], subject=REDACTED, body="", html_body="", invite="", reply_to=""
            ),
        )
    Sms = _model("sms.SmsMessage")
    if Sms is not None:
        condition = models.Q(contact=contact)
        if phone:
            condition |= models.Q(to_number=phone) | models.Q(from_number=phone)
        erasure.add("sms_smsmessage", Sms.objects.filter(condition).update(to_number="", from_number="", body=REDACTED))
    Inbound = _model("inbox.InboundMessage")
    if Inbound is not None:
        condition = models.Q(interaction_id__in=interaction_ids) | models.Q(parent_interaction_id__in=interaction_ids)
        if email:
            condition |= models.Q(from_address__iexact=email)
        inbound = Inbound.objects.filter(condition)
        _delete_files(erasure, inbound, "raw_name")
        erasure.add(
            "inbox_inboundmessage",
            inbound.update(
                from_address="", from_name="", to_addresses=[], cc_addresses=[], subject=REDACTED, body_text="",
                body_html="", raw_name="", rejected_attachments=[], references="",
            ),
        )  # fmt: skip


def _erase_campaigns(erasure: Erasure, contact: Contact, email: str, phone: str) -> None:
    Delivery = _model("campaigns.CampaignDelivery")
    if Delivery is not None and "address" in {f.name for f in Delivery._meta.concrete_fields}:
        erasure.add("campaigns_campaigndelivery", Delivery.objects.filter(contact=contact).update(address=""))
    Suppression = _model("campaigns.Suppression")
    if Suppression is not None:
        addresses = [value for value in (email, phone) if value]
        # The suppression must keep working without the address: a one-way hash of it.
        import hashlib

        for suppression in Suppression.objects.filter(address__in=addresses):
            digest = "sha256:" + hashlib.sha256(suppression.address.lower().encode()).hexdigest()
            erasure.add(
                "campaigns_suppression", Suppression.objects.filter(pk=suppression.pk).update(address=digest[:200])
            )


# --- Pass 2: every text column of the tenant ----------------------------------------------------------


def _text_columns(model: type[models.Model]) -> tuple[list[Any], list[Any]]:
    text: list[Any] = []
    json_fields: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or getattr(f, "generated", False):
            continue
        if isinstance(f, models.CharField | models.TextField) and not f.choices:
            text.append(f)
        elif isinstance(f, models.JSONField):
            json_fields.append(f)
    return text, json_fields


def _redact_text(value: str, needles: list[str]) -> str:
    for needle in needles:
        value = re.sub(re.escape(needle), REDACTED, value, flags=re.IGNORECASE)
    return value


def _redact_json(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return _redact_text(value, needles)
    if isinstance(value, list):
        return [_redact_json(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _redact_json(item, needles) for key, item in value.items()}
    return value


def _sweep_tenant_text(erasure: Erasure, needles: list[str]) -> None:
    """Every text and JSON column of every tenant table: redact the needles wherever they appear."""
    if not needles:
        return
    # The trail is redacted through the owner connection (pass 3). Other contacts' and accounts' own rows
    # are theirs: a colleague sharing the office phone or street keeps it (the person's row is pass 1).
    skip = {"audit.AuditEvent", "customers.Contact", "customers.Account"}
    for model in apps.get_models():
        if not issubclass(model, TenantModel) or model._meta.label in skip or not model._meta.managed:
            continue
        text, json_fields = _text_columns(model)
        if not text and not json_fields:
            continue
        condition = models.Q()
        for needle in needles:
            for f in text:
                condition |= models.Q(**{f"{f.name}__icontains": needle})
            for f in json_fields:
                condition |= models.Q(**{f"{f.name}__icontains": needle})
        names = [f.name for f in text + json_fields]
        changed = 0
        for row in model.unscoped_objects.filter(condition).values("pk", *names).iterator(chunk_size=500):
            values: dict[str, Any] = {}
            for f in text:
                current = row[f.name]
                if current and any(needle.lower() in current.lower() for needle in needles):
                    values[f.name] = _redact_text(current, needles)[: f.max_length or None]
            for f in json_fields:
                redacted = _redact_json(row[f.name], needles)
                if redacted != row[f.name]:
                    values[f.name] = redacted
            if values:
                changed += model.unscoped_objects.filter(pk=row["pk"]).update(**values)
        erasure.add(model._meta.db_table, changed)


# --- The service ---------------------------------------------------------------------------------------


@transaction.atomic
def contact_erase_in_tables(*, tenant: Tenant, contact: Contact, needles: list[str]) -> Erasure:
    """Passes 1 and 2 in one transaction on the runtime connection."""
    erasure = Erasure()
    email, phone = contact.email, contact.phone
    interaction_ids = _erase_interactions(erasure, contact)
    _erase_tickets(erasure, contact, email)
    _erase_messages(erasure, contact, email, phone, interaction_ids)
    _erase_campaigns(erasure, contact, email, phone)
    _erase_contact_row(erasure, contact)
    _sweep_tenant_text(erasure, needles)
    assert connection.in_atomic_block
    return erasure


def delete_stored_files(names: Iterable[str]) -> int:
    deleted = 0
    for name in names:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
                deleted += 1
        except OSError:  # a file already gone, or a storage hiccup: the row no longer points at it anyway
            logger.warning("privacy: could not delete stored file %s", name)
    return deleted


def erase_actor_label(user: User | None) -> str:
    return user.email if user else ""
