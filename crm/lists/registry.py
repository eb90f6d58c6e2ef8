"""The lists that have saved views and bulk actions, registered by the apps that own them.

A list names its model, its page, how to rebuild its filtered queryset from a query string
(for "all N matching this view", in the request and again in the task), its sort options and
its bulk actions. customers/lists.py registers contacts, accounts and deals; tickets come later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.http import Http404, QueryDict
from django.utils.functional import Promise

from crm.models import Tenant, User
from crm.sorting import SortRegistry


@dataclass(frozen=True)
class BulkOutcome:
    changed: int
    skipped: int = 0


class BulkActionError(ValueError):
    """The action cannot run on this selection; the message says why. Nothing was written."""


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str | Promise
    capability: str
    # The action's own fields (owner, tag, stage…); values must be JSON (ids as strings) for the job.
    form: Callable[[Tenant, Any], forms.Form]
    # Applies the action to a chunk of the selection; runs inside a transaction.
    run: Callable[..., BulkOutcome]  # run(selection, values=..., tenant=..., by=...)
    # Checks the whole selection before anything runs: raise BulkActionError to refuse.
    check: Callable[..., None] | None = None  # check(selection, values=...)
    # What else happens, for the confirmation page (delete: what goes with the records).
    consequences: Callable[[QuerySet[Any]], list[str]] | None = None
    destructive: bool = False


@dataclass(frozen=True)
class ListSpec:
    key: str
    model: type[Model]
    plural: str | Promise  # "contacts"
    url_name: str
    view_capability: str
    sorts: SortRegistry
    filtered: Callable[[QueryDict, Tenant, User], QuerySet[Any]]
    actions: dict[str, BulkAction] = field(default_factory=dict)

    def actions_for(self, membership: Any) -> list[BulkAction]:
        return [action for action in self.actions.values() if membership and membership.can(action.capability)]


_LISTS: dict[str, ListSpec] = {}


def register_list(spec: ListSpec) -> ListSpec:
    _LISTS[spec.key] = spec
    return spec


def list_spec(key: str) -> ListSpec:
    """The registered list ``key``; an unknown list is a 404."""
    try:
        return _LISTS[key]
    except KeyError:
        raise Http404 from None


def registered_lists() -> dict[str, ListSpec]:
    return dict(_LISTS)
