"""Writes to segments: create, update, duplicate, delete, and freezing members into a static list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import StaticList
from crm.models import Tenant, User
from segments.fields import RuleContext
from segments.models import Segment
from segments.rules import RuleIssue, compile_rules, validate_rules

# Up to this many members, "Save as static list" runs in the request as one INSERT ... SELECT;
# more run as a bulk job (crm/lists/bulk.py) with a progress bar.
IN_REQUEST_MEMBERS = 20_000


class SegmentError(ValueError):
    """The segment cannot be saved; ``issues`` say which rule and why (``field`` names a form field)."""

    def __init__(self, message: str, *, issues: list[RuleIssue] | None = None, field: str = "") -> None:
        super().__init__(message)
        self.issues = issues or []
        self.field = field


def _name_taken(name: str, *, exclude: Segment | None = None) -> bool:
    others = Segment.objects.annotate(name_key=Lower("name")).filter(name_key=name.strip().lower())
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def segment_check_rules(
    *, tenant: Tenant, rules: Any, segment: Segment | None = None, by: User | None = None
) -> dict[str, Any]:
    """The rules normalised, or SegmentError listing every problem: unknown fields, bad values, choices
    that are not the tenant's (another tenant's list or segment ids), and segments that include themselves."""
    normalised, issues = validate_rules(rules)
    if not issues:
        ctx = RuleContext(tenant_id=tenant.pk, tenant=tenant, user=by, segment_stack=(segment.pk,) if segment else ())
        try:
            compile_rules(normalised, ctx)
        except ValueError as error:
            issues = [RuleIssue(getattr(error, "path", ""), str(error))]
    if issues:
        raise SegmentError(issues[0].message, issues=issues)
    return normalised


@transaction.atomic
def segment_create(*, tenant: Tenant, name: str, description: str = "", rules: Any, by: User | None) -> Segment:
    name = name.strip()
    if _name_taken(name):
        raise SegmentError(_("A segment named “%(name)s” already exists.") % {"name": name}, field="name")
    normalised = segment_check_rules(tenant=tenant, rules=rules, by=by)
    return Segment.objects.create(
        tenant=tenant, name=name, description=description.strip(), rules=normalised, created_by=by
    )


@transaction.atomic
def segment_update(
    *, tenant: Tenant, segment: Segment, name: str, description: str = "", rules: Any, by: User | None
) -> Segment:
    name = name.strip()
    if _name_taken(name, exclude=segment):
        raise SegmentError(_("A segment named “%(name)s” already exists.") % {"name": name}, field="name")
    segment.rules = segment_check_rules(tenant=tenant, rules=rules, segment=segment, by=by)
    segment.name, segment.description, segment.updated_at = name, description.strip(), timezone.now()
    segment.save(update_fields=["name", "description", "rules", "updated_at"])
    return segment


@transaction.atomic
def segment_duplicate(*, tenant: Tenant, segment: Segment, by: User | None) -> Segment:
    """A copy named "<name> (copy)", "(copy 2)" ... whichever is free."""
    base = _("%(name)s (copy)") % {"name": segment.name}
    name, number = base[:100], 2
    while _name_taken(name):  # a handful of tries at most: each copy takes the next number
        name = (_("%(name)s (copy %(number)s)") % {"name": segment.name, "number": number})[:100]
        number += 1
    return Segment.objects.create(
        tenant=tenant, name=name, description=segment.description, rules=segment.rules, created_by=by
    )


def segments_using(segment: Segment) -> list[Segment]:
    """Other segments whose rules include ``segment`` ("In segment"). A tenant has tens of segments, so
    reading their rules is cheap; JSON containment in SQL would not see into nested groups."""
    return [
        other
        for other in Segment.objects.exclude(pk=segment.pk).order_by("name")
        if _refers_to(other.rules, segment.pk)
    ]


def _refers_to(group: Any, segment_id: int) -> bool:
    for rule in group.get("rules", []) if isinstance(group, dict) else []:
        if "rules" in rule and _refers_to(rule, segment_id):
            return True
        if rule.get("field") == "segment" and str(segment_id) in [str(v) for v in rule.get("value") or []]:
            return True
    return False


@transaction.atomic
def segment_delete(*, tenant: Tenant, segment: Segment, by: User | None) -> None:
    """Refused while another segment's rules include this one: its audience would silently change."""
    users = segments_using(segment)
    if users:
        raise SegmentError(
            _("“%(others)s” uses this segment in its rules; change that first.")
            % {"others": "”, “".join(other.name for other in users)}
        )
    segment.delete()


@dataclass(frozen=True)
class FreezeResult:
    static_list: StaticList
    added: int | None  # None: a job is adding them (job_id)
    job_id: int | None = None


def segment_save_as_static_list(*, tenant: Tenant, segment: Segment, name: str, by: User) -> FreezeResult:
    """Freeze the segment's current members (those ``by`` may see) into a new static list.

    Small segments: one INSERT ... SELECT in this request (campaigns' own service). Large ones: a bulk job
    over the contact list filtered by this segment, chunked by id with its progress on the job page;
    the inserts skip members already there, so a second run adds nobody twice."""
    from campaigns.services import StaticListNameTaken, static_list_add_contacts, static_list_create
    from crm.lists.bulk import Selection, bulk_job_create
    from crm.lists.registry import list_spec
    from segments.selectors import segment_contacts

    members = segment_contacts(segment, user=by)
    total = members.count()
    with transaction.atomic():
        try:
            static_list = static_list_create(
                tenant=tenant,
                name=name,
                description=_("Members of the segment “%(name)s” on %(date)s")
                % {"name": segment.name, "date": timezone.localdate().isoformat()},
                by=by,
            )
        except StaticListNameTaken as error:
            raise SegmentError(str(error), field="name") from error
        if total <= IN_REQUEST_MEMBERS:
            added = static_list_add_contacts(tenant=tenant, static_list=static_list, contacts=members, by=by)
            return FreezeResult(static_list=static_list, added=added)
        spec = list_spec("contacts")
        job = bulk_job_create(
            tenant=tenant,
            spec=spec,
            action=spec.actions["add_to_list"],
            selection=Selection(ids=None, query=f"segment={segment.pk}"),
            values={"static_list": str(static_list.pk)},
            total=total,
            by=by,
        )
    return FreezeResult(static_list=static_list, added=None, job_id=job.pk)
