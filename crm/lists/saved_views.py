"""Saved list views: reads and writes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict

from crm.lists.models import SavedView
from crm.models import Membership, Tenant, User
from crm.roles import Capability

# Parts of a list URL that are not part of a view.
NOT_SAVED = ("after", "format")


def view_query(params: QueryDict) -> str:
    """The query string a view keeps: filters and sort, without the page cursor or export format."""
    kept = params.copy()
    for name in NOT_SAVED:
        kept.pop(name, None)
    for name in [name for name, values in kept.lists() if not any(values)]:
        kept.pop(name)  # an empty filter is no filter
    return kept.urlencode()


def saved_views_for(*, list_key: str, user: User) -> QuerySet[SavedView]:
    """My views and the tenant's shared ones for a list, by name."""
    return (
        SavedView.objects.filter(list_key=list_key)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "id")
    )


def saved_view_can_delete(view: SavedView, *, user: User, membership: Membership | None) -> bool:
    """Your own views, and shared ones if you configure the workspace."""
    if view.owner_id == user.pk:
        return True
    return view.shared and membership is not None and membership.can(Capability.TENANT_CONFIGURE)


@transaction.atomic
def saved_view_save(*, tenant: Tenant, list_key: str, name: str, query: str, shared: bool, by: User) -> SavedView:
    """Save the view; saving under one of your own names again replaces that view."""
    view, _created = SavedView.objects.update_or_create(
        tenant=tenant, owner=by, list_key=list_key, name=name, defaults={"query": query, "shared": shared}
    )
    return view


@transaction.atomic
def saved_view_delete(*, tenant: Tenant, view: SavedView, by: User) -> None:
    view.delete()
