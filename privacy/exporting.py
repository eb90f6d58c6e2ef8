"""Everything held about one contact, as sections of rows: the contents of the privacy export ZIP.

Sections are found two ways, so tables added later by other apps are not forgotten:
- generically: every tenant table with a key to the contact (orders, deals, tasks, scores, score
  snapshots, list memberships, campaign deliveries, consent changes...), and every tenant table with
  a key to one of those rows (ticket messages, campaign events, a deal's stage changes...);
- explicitly: the contact's account, interactions it takes part in, their attachments (names only),
  segment memberships, and the audit events about the contact.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from crm.tenancy.models import TenantModel
from customers.models import Contact

Section = tuple[str, list[dict[str, Any]]]
# Never exported: secrets and storage internals.
HIDDEN_WORDS = ("password", "secret", "token", "encrypted")


def _visible_fields(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not any(word in f.attname for word in HIDDEN_WORDS) and not getattr(f, "generated", False)
    ]


def _rows(queryset: models.QuerySet[Any]) -> list[dict[str, Any]]:
    model = queryset.model
    return list(queryset.order_by("pk").values(*_visible_fields(model)))


def _tenant_models() -> list[Any]:  # TenantModel subclasses (with unscoped_objects)
    return [m for m in apps.get_models() if issubclass(m, TenantModel) and m._meta.managed and not m._meta.proxy]


def _keys_to(model: type[models.Model], target: type[models.Model]) -> list[str]:
    return [
        f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is target and not f.primary_key
    ] + [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is target and f.primary_key  # one-to-one on the key (scores)
    ]


def _section_name(model: type[models.Model]) -> str:
    return model._meta.db_table


def contact_sections(contact: Contact, *, progress: Callable[[str], None] | None = None) -> list[Section]:
    sections: dict[str, dict[Any, dict[str, Any]]] = {}

    def add(model: Any, queryset: models.QuerySet[Any]) -> list[Any]:
        bucket = sections.setdefault(_section_name(model), {})
        rows = _rows(queryset)
        for row in rows:
            bucket[row[model._meta.pk.attname]] = row
        return [row[model._meta.pk.attname] for row in rows]

    add(Contact, Contact.unscoped_objects.filter(pk=contact.pk))
    if contact.account_id:
        from customers.models import Account

        add(Account, Account.unscoped_objects.filter(pk=contact.account_id))
    skip = {"audit.AuditEvent", "customers.Contact", "privacy.PrivacyRequest"}
    level_one: dict[Any, list[Any]] = {}
    for model in _tenant_models():
        if model._meta.label in skip:
            continue
        keys = _keys_to(model, Contact)
        if not keys:
            continue
        condition = models.Q()
        for key in keys:
            condition |= models.Q(**{key: contact.pk})
        if progress:
            progress(_section_name(model))
        level_one[model] = add(model, model.unscoped_objects.filter(condition))
    # Interactions the contact takes part in without being their main contact.
    Interaction = _model("interactions.Interaction")
    participant = _model("interactions.InteractionContact")
    if Interaction is not None and participant is not None:
        ids = participant.unscoped_objects.filter(contact=contact).values("interaction_id")
        level_one.setdefault(Interaction, []).extend(add(Interaction, Interaction.unscoped_objects.filter(pk__in=ids)))
    # Second level: rows hanging off the first-level rows (ticket messages, attachments, campaign events...).
    for model in _tenant_models():
        if model._meta.label in skip:
            continue
        condition = models.Q()
        for parent, ids in level_one.items():
            if not ids or parent is model:
                continue
            for key in _keys_to(model, parent):
                condition |= models.Q(**{f"{key}__in": ids})
        if condition:
            if progress:
                progress(_section_name(model))
            add(model, model.unscoped_objects.filter(condition))
    # Segment memberships: one small query per segment, each through the segment's own rule engine.
    memberships = _segment_memberships(contact)
    if memberships:
        sections["segments_membership"] = {row["segment_id"]: row for row in memberships}
    audit_model = _model("audit.AuditEvent")
    if audit_model is not None:
        add(
            audit_model, audit_model.unscoped_objects.filter(object_type="customers.contact", object_id=str(contact.pk))
        )
    first = {"customers_contact": 0, "customers_account": 1}
    ordered = sorted(sections.items(), key=lambda item: (first.get(item[0], 2), item[0]))
    return [(name, list(rows.values())) for name, rows in ordered if rows]


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _segment_memberships(contact: Contact) -> list[dict[str, Any]]:
    segment_model = _model("segments.Segment")
    if segment_model is None:
        return []
    try:
        from segments.selectors import segment_contacts
    except ImportError:
        return []
    found = []
    for segment in segment_model.unscoped_objects.order_by("pk"):
        try:
            if segment_contacts(segment).filter(pk=contact.pk).exists():
                found.append({"segment_id": segment.pk, "segment": segment.name})
        except ValueError:  # a segment with rules that no longer parse
            continue
    return found


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no spreadsheet formulas
    return value


def build_zip(sections: list[Section], *, about: dict[str, Any]) -> bytes:
    """``data.json`` with everything, plus one CSV per table."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        payload = {"about": about, "tables": {name: rows for name, rows in sections}}
        archive.writestr("data.json", json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for name, rows in sections:
            text = io.StringIO()
            header = list(rows[0].keys())
            writer = csv.DictWriter(text, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _cell(value) for key, value in row.items()})
            archive.writestr(f"{name}.csv", text.getvalue())
    return buffer.getvalue()
