from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from crm.models import Tenant, User
from crm.teams.models import Team, TeamMember


@transaction.atomic
def team_save(*, tenant: Tenant, team: Team | None, name: str, members: Iterable[User], by: User) -> Team:
    """Create or rename a team and set its members to exactly ``members``."""
    if team is None:
        team = Team.objects.create(tenant=tenant, name=name)
    else:
        Team.objects.filter(pk=team.pk).update(name=name)
    wanted = {member.pk for member in members}
    TeamMember.objects.filter(team=team).exclude(user_id__in=wanted).delete()
    present = set(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    TeamMember.objects.bulk_create(TeamMember(tenant=tenant, team=team, user_id=pk) for pk in wanted - present)
    return Team.objects.get(pk=team.pk)


@transaction.atomic
def team_delete(*, tenant: Tenant, team: Team, by: User) -> None:
    team.delete()  # its memberships go with it; nobody's records change owner
