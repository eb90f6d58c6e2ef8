from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Team(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # Names are how people tell teams apart; also serves the sorted team list.
            models.UniqueConstraint(fields=["tenant", "name"], name="team_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, db_index=False, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")

    class Meta:
        indexes = [
            # A member's teams, then their teammates: the record-visibility lookup on each request.
            models.Index(fields=["user", "team"], name="teammember_user_fk_idx"),
            models.Index(fields=["team", "user"], name="teammember_team_fk_idx"),  # members, key checks
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "team", "user"], name="teammember_team_user_uniq"),
        ]
