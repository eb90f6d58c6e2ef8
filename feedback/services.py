"""Writes of product feedback: product areas and the feedback items taken from tickets and interactions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from feedback.models import FeedbackItem, FeedbackKind, ProductArea
from interactions.models import Interaction
from service_desk.models import Ticket


@transaction.atomic
def product_area_save(
    *,
    tenant: Tenant,
    area: ProductArea | None,
    name: str,
    description: str = "",
    is_active: bool = True,
    by: User | None,
) -> ProductArea:
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Give the product area a name.")})
    if ProductArea.objects.filter(name__iexact=name).exclude(pk=area.pk if area else None).exists():
        raise ValidationError({"name": _("There is already a product area called “%(name)s”.") % {"name": name}})
    area = area or ProductArea(tenant=tenant)
    area.name, area.description, area.is_active = name, description.strip()[:300], is_active
    area.save()
    return area


@transaction.atomic
def product_area_delete(*, tenant: Tenant, area: ProductArea, by: User | None) -> bool:
    """Delete an unused area; an area with feedback is switched off instead (the report keeps it).
    Returns True when it was deleted."""
    if FeedbackItem.objects.filter(area=area).exists():
        area.is_active = False
        area.save(update_fields=["is_active"])
        return False
    area.delete()
    return True


@transaction.atomic
def feedback_add(
    *,
    tenant: Tenant,
    area: ProductArea,
    kind: str,
    note: str = "",
    ticket: Ticket | None = None,
    interaction: Interaction | None = None,
    by: User | None,
) -> FeedbackItem:
    """Record feedback from a ticket or an interaction; the customer asking is its contact."""
    if (ticket is None) == (interaction is None):
        raise ValidationError(_("Feedback comes from exactly one ticket or interaction."))
    if kind not in FeedbackKind.values:
        raise ValidationError({"kind": _("Choose feature request, bug or praise.")})
    if area.tenant_id != tenant.pk or not area.is_active:
        raise ValidationError({"area": _("Choose an active product area.")})
    source = ticket if ticket is not None else interaction
    if source is None or source.tenant_id != tenant.pk:
        raise ValidationError(_("This record does not exist."))
    return FeedbackItem.objects.create(
        tenant=tenant,
        area=area,
        kind=kind,
        note=note.strip()[:5000],
        ticket=ticket,
        interaction=interaction,
        contact_id=source.contact_id,
        created_by=by,
    )


@transaction.atomic
def feedback_delete(*, tenant: Tenant, item: FeedbackItem, by: User | None) -> None:
    item.delete()
