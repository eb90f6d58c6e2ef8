"""Team pages for admins: list, create, edit members, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from crm.teams import services
from crm.teams.forms import TeamForm
from crm.teams.models import Team, TeamMember


@capability_required(Capability.USERS_MANAGE)
def team_list(request: HttpRequest) -> HttpResponse:
    teams = list(Team.objects.order_by("name"))
    members: dict[int, list[str]] = {team.pk: [] for team in teams}
    for team_id, name, email in TeamMember.objects.values_list("team_id", "user__full_name", "user__email"):
        members.setdefault(team_id, []).append(name or email)
    rows = [(team, sorted(members.get(team.pk, []))) for team in teams]
    return render(request, "crm/teams/team_list.html", {"rows": rows})


@capability_required(Capability.USERS_MANAGE)
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, tenant=request.tenant)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        team = services.team_save(tenant=request.tenant, team=None, name=form.cleaned_data["name"],  # type: ignore[attr-defined]
                                  members=form.cleaned_data["members"], by=acting_user(request))  # fmt: skip
        messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
        return redirect("teams:list")
    return render(request, "crm/teams/team_form.html", {"form": form})


@object_view(Team)
@capability_required(Capability.USERS_MANAGE)
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_for_user(Team.objects.all(), pk)
    current = list(TeamMember.objects.filter(team=team).values_list("user_id", flat=True))
    form = TeamForm(request.POST or None, tenant=request.tenant, team=team,  # type: ignore[attr-defined]
                    initial={"name": team.name, "members": current})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        services.team_save(tenant=request.tenant, team=team, name=form.cleaned_data["name"],  # type: ignore[attr-defined]
                           members=form.cleaned_data["members"], by=acting_user(request))  # fmt: skip
        messages.success(request, _("Team “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
        return redirect("teams:list")
    return render(request, "crm/teams/team_form.html", {"form": form, "team": team})


@object_view(Team)
@capability_required(Capability.USERS_MANAGE)
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_for_user(Team.objects.all(), pk)
    if request.method == "POST":
        services.team_delete(tenant=request.tenant, team=team, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
    return redirect("teams:list")
