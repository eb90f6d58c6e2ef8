"""Merging two contacts: choose field by field, move every related row, delete, record.

Related rows are found by walking the contact's reverse relations, so a model added later
(tickets, list memberships, campaign deliveries) moves with the rest without editing this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from crm.models import Tenant, User
from crm.tenancy.models import TenantModel
from customers.duplicates.models import ContactMerge, DuplicateCandidate
from customers.models import Contact
from customers.services import ConcurrentEditError

SURVIVOR, MERGED = "survivor", "merged"
CUSTOM_PREFIX = "cf:"


class MergeError(ValueError):
    """A merge that cannot be done as asked; nothing was changed."""


@dataclass(frozen=True)
class FieldGroup:
    key: str
    label: Any  # a lazy translation
    fields: tuple[str, ...]  # model fields that travel together (an address, a consent with its stamp)


FIELD_GROUPS = (
    FieldGroup("first_name", gettext_lazy("First name"), ("first_name",)),
    FieldGroup("last_name", gettext_lazy("Last name"), ("last_name",)),
    FieldGroup("email", gettext_lazy("Email"), ("email",)),
    FieldGroup("phone", gettext_lazy("Phone"), ("phone",)),
    FieldGroup("title", gettext_lazy("Job title"), ("title",)),
    FieldGroup("account", gettext_lazy("Account"), ("account",)),
    FieldGroup("owner", gettext_lazy("Owner"), ("owner",)),
    FieldGroup("lifecycle_stage", gettext_lazy("Lifecycle stage"), ("lifecycle_stage",)),
    FieldGroup("source", gettext_lazy("Source channel"), ("source",)),
    FieldGroup("address", gettext_lazy("Address"), ("street", "city", "region", "postal_code", "country")),
    FieldGroup("birthday", gettext_lazy("Birthday"), ("birthday",)),
    FieldGroup("preferred_channel", gettext_lazy("Preferred channel"), ("preferred_channel",)),
    FieldGroup(
        "email_consent", gettext_lazy("Email consent"), ("email_consent", "email_consent_at", "email_consent_source")
    ),
    FieldGroup("sms_consent", gettext_lazy("SMS consent"), ("sms_consent", "sms_consent_at", "sms_consent_source")),
    FieldGroup("external_id", gettext_lazy("External id"), ("source_system", "external_id")),
)
GROUPS_BY_KEY = {group.key: group for group in FIELD_GROUPS}


@dataclass(frozen=True)
class PlanRow:
    key: str  # "email", "address", "cf:industry"
    label: str
    survivor_value: Any  # a tuple of the group's values, or a custom field's value
    merged_value: Any
    default: str  # SURVIVOR or MERGED

    @property
    def differs(self) -> bool:
        return self.survivor_value != self.merged_value


def _empty(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_empty(item) for item in value)
    return value in (None, "", [], {}) or value is False


def _values(contact: Contact, group: FieldGroup) -> tuple[Any, ...]:
    return tuple(getattr(contact, f"{name}_id" if name in ("account", "owner") else name) for name in group.fields)


def _newer(survivor: Contact, merged: Contact) -> str:
    return MERGED if merged.updated_at > survivor.updated_at else SURVIVOR


def _default(survivor_value: Any, merged_value: Any, newer: str) -> str:
    """The non-empty value; when both have one, the more recently updated contact's."""
    if _empty(merged_value):
        return SURVIVOR
    if _empty(survivor_value):
        return MERGED
    return newer


def _consent_default(survivor: Contact, merged: Contact, channel: str, newer: str) -> str:
    """The most recent consent decision: the later ``<channel>_consent_at`` wins."""
    at_s: datetime | None = getattr(survivor, f"{channel}_consent_at")
    at_m: datetime | None = getattr(merged, f"{channel}_consent_at")
    if at_s and at_m:
        return MERGED if at_m > at_s else SURVIVOR
    if at_s or at_m:
        return SURVIVOR if at_s else MERGED
    return newer


def merge_plan(survivor: Contact, merged: Contact) -> list[PlanRow]:
    """Every field group and custom field of the two contacts, with the default choice."""
    newer = _newer(survivor, merged)
    rows = []
    for group in FIELD_GROUPS:
        value_s, value_m = _values(survivor, group), _values(merged, group)
        if group.key in ("email_consent", "sms_consent"):
            default = _consent_default(survivor, merged, group.key.split("_")[0], newer)
        else:
            default = _default(value_s, value_m, newer)
        rows.append(PlanRow(group.key, str(group.label), value_s, value_m, default))
    custom_s, custom_m = survivor.custom_fields or {}, merged.custom_fields or {}
    for key in sorted(set(custom_s) | set(custom_m)):
        custom_value_s, custom_value_m = custom_s.get(key), custom_m.get(key)
        default = _default(custom_value_s, custom_value_m, newer)
        rows.append(PlanRow(f"{CUSTOM_PREFIX}{key}", key, custom_value_s, custom_value_m, default))
    return rows


def _resolve(plan: list[PlanRow], choices: dict[str, str]) -> dict[str, str]:
    known = {row.key for row in plan}
    for key, side in choices.items():
        if key not in known:
            raise MergeError(_("Unknown field “%(field)s” in the merge choices.") % {"field": key})
        if side not in (SURVIVOR, MERGED):
            raise MergeError(_("Choose which contact's value to keep for “%(field)s”.") % {"field": key})
    return {row.key: choices.get(row.key, row.default) for row in plan if row.differs}


def _surviving_values(survivor: Contact, merged: Contact, resolved: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for group in FIELD_GROUPS:
        source = merged if resolved.get(group.key) == MERGED else survivor
        for name in group.fields:
            attname = f"{name}_id" if name in ("account", "owner") else name
            values[attname] = getattr(source, attname)
    custom = dict(merged.custom_fields or {})
    custom.update(survivor.custom_fields or {})
    for key, side in resolved.items():
        if key.startswith(CUSTOM_PREFIX):
            name = key.removeprefix(CUSTOM_PREFIX)
            chosen = (merged if side == MERGED else survivor).custom_fields or {}
            if name in chosen:
                custom[name] = chosen[name]
            else:
                custom.pop(name, None)
    values["custom_fields"] = custom
    values["tags"] = list(dict.fromkeys([*survivor.tags, *merged.tags]))  # united, survivor's order first
    return values


def snapshot(contact: Contact) -> dict[str, Any]:
    """Every stored field of a contact, as JSON."""
    data = {field.attname: getattr(contact, field.attname) for field in contact._meta.concrete_fields}
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _reverse_relations() -> list[models.ForeignObjectRel]:
    """Every foreign key pointing at a contact, hidden ones (related_name="+") and the join
    tables of many-to-many fields included."""
    return [
        field
        for field in Contact._meta.get_fields(include_hidden=True)
        if isinstance(field, models.ForeignObjectRel) and (field.one_to_many or field.one_to_one)
    ]


def _unique_sets(model: type[models.Model], field_name: str) -> list[tuple[list[str], Q]]:
    """Unique constraints on ``model`` that include ``field_name``: the other fields and the condition."""
    sets: list[tuple[list[str], Q]] = []
    for fields in model._meta.unique_together:
        if field_name in fields:
            sets.append(([f for f in fields if f != field_name], Q()))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field_name in constraint.fields:
            sets.append(([f for f in constraint.fields if f != field_name], constraint.condition or Q()))
    field = model._meta.get_field(field_name)
    if getattr(field, "unique", False):
        sets.append(([], Q()))
    return sets


def _move_related(tenant: Tenant, survivor: Contact, merged: Contact) -> dict[str, int]:
    """Point every row that refers to ``merged`` at ``survivor``; returns the counts moved."""
    moved: dict[str, int] = {}
    for relation in _reverse_relations():
        model, field = relation.related_model, relation.field
        if model is DuplicateCandidate:
            continue  # pairs are re-pointed by their own rules (_repoint_pairs)
        # The plain manager: every row, whatever the user's record visibility; RLS still applies.
        rows = model._base_manager.filter(**{field.name: merged})
        survivors_rows = model._base_manager.filter(**{field.name: survivor})
        if issubclass(model, TenantModel):
            rows, survivors_rows = rows.filter(tenant_id=tenant.id), survivors_rows.filter(tenant_id=tenant.id)
        label = f"{model._meta.label_lower}.{field.name}"
        for others, condition in _unique_sets(model, field.name):
            # The survivor already has this row (a list membership, a one-to-one profile): keep its own.
            clash = survivors_rows.filter(condition, **{name: OuterRef(name) for name in others})
            dropped, _ = rows.filter(condition).filter(Exists(clash)).delete()
            if dropped:
                moved[f"{label} (already on the survivor)"] = dropped
        count = rows.update(**{field.name: survivor})
        if count:
            moved[label] = count
    return moved


def _repoint_pairs(tenant: Tenant, survivor: Contact, merged: Contact) -> None:
    """The merged contact's other pairs become the survivor's (a dismissal stays a dismissal)."""
    pairs = DuplicateCandidate.unscoped_objects.filter(tenant_id=tenant.id).filter(
        Q(contact_a=merged) | Q(contact_b=merged)
    )
    existing = set(
        DuplicateCandidate.unscoped_objects.filter(tenant_id=tenant.id)
        .filter(Q(contact_a=survivor) | Q(contact_b=survivor))
        .values_list("contact_a_id", "contact_b_id")
    )
    for pair in pairs:
        other = pair.contact_b_id if pair.contact_a_id == merged.pk else pair.contact_a_id
        low, high = sorted((survivor.pk, other))
        if other == survivor.pk or (low, high) in existing:
            continue  # deleted with the merged contact
        pair.contact_a_id, pair.contact_b_id = low, high
        pair.save(update_fields=["contact_a", "contact_b"])
        existing.add((low, high))


def _locked(tenant: Tenant, survivor: Contact, merged: Contact) -> tuple[Contact, Contact]:
    rows = {
        contact.pk: contact
        for contact in Contact.unscoped_objects.select_for_update(of=("self",))
        .filter(tenant_id=tenant.id, pk__in=[survivor.pk, merged.pk])
        .order_by("pk")  # always lock in the same order: two merges of one pair cannot deadlock
    }
    if len(rows) != 2:
        raise MergeError(_("One of the two contacts no longer exists: it was deleted or merged by someone else."))
    return rows[survivor.pk], rows[merged.pk]


def _check_version(contact: Contact, expected: int) -> None:
    if contact.version != expected:
        current = Contact.unscoped_objects.select_related("updated_by").get(pk=contact.pk)
        raise ConcurrentEditError(current)


@transaction.atomic
def contact_merge(
    *,
    tenant: Tenant,
    survivor: Contact,
    merged: Contact,
    choices: dict[str, str],
    by: User,
    survivor_version: int | None = None,
    merged_version: int | None = None,
) -> ContactMerge:
    """Fold ``merged`` into ``survivor``: chosen values, every related row, then delete ``merged``.

    ``choices`` maps a field group key (merge_plan) to "survivor" or "merged"; fields not named
    take their default. The versions are those the user saw (default: the instances' own);
    if either contact was saved since, nothing changes and ConcurrentEditError says who.
    """
    if survivor.pk == merged.pk:
        raise MergeError(_("A contact cannot be merged with itself: pick two different contacts."))
    if survivor.tenant_id != tenant.id or merged.tenant_id != tenant.id:
        raise MergeError(_("Both contacts must belong to this workspace."))
    expected_s = survivor.version if survivor_version is None else survivor_version
    expected_m = merged.version if merged_version is None else merged_version
    survivor, merged = _locked(tenant, survivor, merged)
    _check_version(survivor, expected_s)
    _check_version(merged, expected_m)
    plan = merge_plan(survivor, merged)
    resolved = _resolve(plan, choices)
    values = _surviving_values(survivor, merged, resolved)
    merged_snapshot = snapshot(merged)
    merged_id, merged_name = merged.pk, merged.full_name
    moved = _move_related(tenant, survivor, merged)
    _repoint_pairs(tenant, survivor, merged)
    # Deleted before the survivor takes its values: the external id is unique per tenant.
    Contact.unscoped_objects.filter(tenant_id=tenant.id, pk=merged_id).delete()
    now = timezone.now()
    Contact.unscoped_objects.filter(tenant_id=tenant.id, pk=survivor.pk).update(
        **values, version=F("version") + 1, updated_by=by, updated_at=now
    )
    record = ContactMerge.objects.create(
        tenant=tenant,
        survivor=survivor,
        merged_contact_id=merged_id,
        merged_name=merged_name[:200],
        snapshot=merged_snapshot,
        choices=resolved,
        moved=moved,
        merged_by=by,
        merged_at=now,
    )
    audit_record(tenant=tenant, action="merge", actor=by, obj=survivor, changes={"merged": [merged_name, None]})
    from customers.duplicates.detection import duplicates_detect_for_contact

    duplicates_detect_for_contact(tenant=tenant, contact=Contact.unscoped_objects.get(pk=survivor.pk))
    return record
