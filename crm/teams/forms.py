from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant, User
from crm.teams.models import Team


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    members: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Members"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, tenant: Tenant, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from customers.forms import tenant_members

        self.team = team
        self.fields["members"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        taken = Team.objects.filter(name__iexact=name)
        if self.team is not None:
            taken = taken.exclude(pk=self.team.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another team is already called “%(name)s”.") % {"name": name})
        return name
