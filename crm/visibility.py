"""Whose records a member may see: everyone's, their teams', or only their own (crm.roles.Visibility,
chosen per role by the tenant's admins). The web middleware and background jobs both ask here, and
crm/tenancy/models.py's manager applies the answer to every owned record."""

from __future__ import annotations

from crm.models import Membership, TeamMember
from crm.roles import Visibility, visibility_for
from crm.tenancy.context import tenant_context


def visible_owners_for(membership: Membership | None) -> tuple[int, ...] | None:
    """None for "all records"; else the user ids whose records the member sees (always including
    their own, even if they are in no team yet)."""
    if membership is None:
        return None
    scope = visibility_for(membership.role, membership.tenant.record_visibility)
    if scope == Visibility.ALL:
        return None
    if scope == Visibility.OWN:
        return (membership.user_id,)
    with tenant_context(membership.tenant_id):
        teams = TeamMember.objects.filter(user_id=membership.user_id).values("team_id")
        mates = TeamMember.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
        return tuple(sorted({membership.user_id, *mates}))
