"""Contacts, accounts and deals as lists with saved views and bulk actions (crm/lists/).

The bulk actions are services: each applies to a selection of records already scoped to the
tenant and the user's record visibility, bumps the records' version (so an edit form opened
before the bulk change reports the conflict) and returns how many it changed or skipped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db.models import CharField, F, Func, QuerySet, Value
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from campaigns import services as static_lists
from campaigns.forms import AddToListForm, RemoveFromListForm
from campaigns.models import StaticList
from crm.lists.registry import BulkAction, BulkActionError, BulkOutcome, ListSpec, register_list
from crm.models import Tenant, User
from crm.roles import Capability
from customers.deals.filters import DealFilter
from customers.filters import AccountFilter, ContactFilter
from customers.forms import tenant_members
from customers.models import Account, Contact, Deal, DealStageChange, LifecycleStage, Order, Stage, StageKind
from customers.normalize import normalize_tags
from customers.sorts import ACCOUNT_SORTS, CONTACT_SORTS, DEAL_SORTS

NOBODY = "none"


# --- The actions' fields ---------------------------------------------------------------------


class NoFieldsForm(forms.Form):
    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)


class OwnerForm(forms.Form):
    owner = forms.ChoiceField(label=gettext_lazy("New owner"))

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        members = [(str(member.pk), str(member)) for member in tenant_members(tenant)]
        self.fields["owner"].choices = [("", "—"), (NOBODY, _("Nobody")), *members]  # type: ignore[attr-defined]


class TagForm(forms.Form):
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=40)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)

    def clean_tag(self) -> str:
        tags = normalize_tags(self.cleaned_data["tag"])
        if len(tags) != 1:
            raise forms.ValidationError(_("Enter one tag (no commas)."))
        return tags[0]


class LifecycleForm(forms.Form):
    lifecycle_stage = forms.ChoiceField(label=gettext_lazy("New lifecycle stage"), choices=LifecycleStage.choices)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)


class DealStageForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("New stage"))
    lost_reason = forms.CharField(label=gettext_lazy("Reason lost"), max_length=300, required=False)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        groups: dict[str, list[tuple[str, str]]] = {}
        self.kinds: dict[str, str] = {}
        for stage in Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position"):
            groups.setdefault(stage.pipeline.name, []).append((str(stage.pk), stage.name))
            self.kinds[str(stage.pk)] = stage.kind
        self.fields["stage"].choices = [("", "—"), *groups.items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.kinds.get(data.get("stage", "")) == StageKind.LOST and not data.get("lost_reason", "").strip():
            self.add_error("lost_reason", _("Say why these deals were lost."))
        return data


# --- The actions ---------------------------------------------------------------------------------


def _edited(by: User) -> dict[str, Any]:
    """The optimistic-concurrency stamp every edit leaves (customers/services.py)."""
    return {"version": F("version") + 1, "updated_by": by, "updated_at": timezone.now()}


def assign_owner(selection: QuerySet[Any], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    owner_id = None if values["owner"] == NOBODY else int(values["owner"])
    return BulkOutcome(changed=selection.update(owner_id=owner_id, **_edited(by)))


def _tags_function(function: str, tag: str) -> Func:
    return Func(
        F("tags"), Value(tag, output_field=CharField()), function=function, output_field=ArrayField(CharField())
    )


def add_tag(selection: QuerySet[Contact], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    tag = values["tag"]
    changed = selection.exclude(tags__contains=[tag]).update(tags=_tags_function("array_append", tag), **_edited(by))
    return BulkOutcome(changed=changed)


def remove_tag(selection: QuerySet[Contact], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    tag = values["tag"]
    changed = selection.filter(tags__contains=[tag]).update(tags=_tags_function("array_remove", tag), **_edited(by))
    return BulkOutcome(changed=changed)


def set_lifecycle_stage(
    selection: QuerySet[Contact], *, values: dict[str, Any], tenant: Tenant, by: User
) -> BulkOutcome:
    stage = values["lifecycle_stage"]
    changed = selection.exclude(lifecycle_stage=stage).update(lifecycle_stage=stage, **_edited(by))
    return BulkOutcome(changed=changed)


def _target_stage(values: dict[str, Any]) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=int(values["stage"])).first()
    if stage is None:
        raise BulkActionError(_("That stage no longer exists; nothing was changed."))
    return stage


def check_deal_stage(selection: QuerySet[Deal], *, values: dict[str, Any]) -> None:
    """Deals only move between stages of their own pipeline."""
    stage = _target_stage(values)
    elsewhere = selection.exclude(pipeline_id=stage.pipeline_id).count()
    if elsewhere:
        raise BulkActionError(
            ngettext(
                "The stage “%(stage)s” belongs to the pipeline “%(pipeline)s”, but %(n)d selected deal is in "
                "another pipeline. Select deals of one pipeline; nothing was changed.",
                "The stage “%(stage)s” belongs to the pipeline “%(pipeline)s”, but %(n)d selected deals are in "
                "other pipelines. Select deals of one pipeline; nothing was changed.",
                elsewhere,
            )
            % {"stage": stage.name, "pipeline": stage.pipeline.name, "n": elsewhere}
        )


def set_deal_stage(selection: QuerySet[Deal], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    """Move deals to a stage of their pipeline, as the board does: closing dates and the stage history
    follow (customers/deals/services.py). Deals of another pipeline are skipped and counted."""
    stage = _target_stage(values)
    rows = list(selection.values_list("pk", "pipeline_id", "stage_id", "stage__kind", "closed_at"))
    movable = [row for row in rows if row[1] == stage.pipeline_id and row[2] != stage.pk]
    skipped = sum(1 for row in rows if row[1] != stage.pipeline_id)
    if not movable:
        return BulkOutcome(changed=0, skipped=skipped)
    now = timezone.now()
    lost_reason = values.get("lost_reason", "").strip() if stage.kind == StageKind.LOST else ""
    groups: dict[Any, list[int]]
    if stage.kind == StageKind.OPEN:
        groups = {None: [row[0] for row in movable]}
    else:  # a deal already closed the same way keeps its closing date
        keep = [row[0] for row in movable if row[3] == stage.kind and row[4] is not None]
        groups = {"keep": keep, now: [row[0] for row in movable if row[0] not in set(keep)]}
    for closed_at, ids in groups.items():
        if not ids:
            continue
        changes: dict[str, Any] = {"stage": stage, "lost_reason": lost_reason, **_edited(by)}
        if closed_at != "keep":
            changes["closed_at"] = closed_at
        Deal.objects.filter(pk__in=ids).update(**changes)
    DealStageChange.objects.bulk_create(
        DealStageChange(tenant=tenant, deal_id=row[0], from_stage_id=row[2], to_stage=stage, changed_by=by,
                        changed_at=now)
        for row in movable
    )  # fmt: skip
    return BulkOutcome(changed=len(movable), skipped=skipped)


def _static_list(values: dict[str, Any], *, tenant: Tenant, by: User) -> StaticList:
    if values.get("new_list"):
        return static_lists.static_list_get_or_create(tenant=tenant, name=values["new_list"], by=by)
    static_list = StaticList.objects.filter(pk=int(values["static_list"])).first()
    if static_list is None:
        raise BulkActionError(_("That list no longer exists; nothing was changed."))
    return static_list


def add_to_static_list(
    selection: QuerySet[Contact], *, values: dict[str, Any], tenant: Tenant, by: User
) -> BulkOutcome:
    """Contacts already in the list stay as they are: not a failure, and not counted as changed."""
    static_list = _static_list(values, tenant=tenant, by=by)
    return BulkOutcome(
        changed=static_lists.static_list_add_contacts(tenant=tenant, static_list=static_list, contacts=selection, by=by)
    )


def remove_from_static_list(
    selection: QuerySet[Contact], *, values: dict[str, Any], tenant: Tenant, by: User
) -> BulkOutcome:
    static_list = _static_list(values, tenant=tenant, by=by)
    return BulkOutcome(
        changed=static_lists.static_list_remove_contacts(tenant=tenant, static_list=static_list, contacts=selection)
    )


def delete_records(selection: QuerySet[Any], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    model = selection.model
    _total, per_model = model._default_manager.filter(pk__in=selection.values("pk")).delete()
    return BulkOutcome(changed=per_model.get(model._meta.label, 0))


# --- What a delete takes with it -------------------------------------------------------------------


def _counted(*lines: tuple[int, str, str]) -> list[str]:
    return [ngettext(one, many, count) % {"n": count} for count, one, many in lines if count]


def contact_delete_consequences(selection: QuerySet[Contact]) -> list[str]:
    from interactions.models import Interaction

    ids = selection.values("pk")
    return [
        *_counted(
            (Order.objects.filter(contact__in=ids).count(), "%(n)d order is deleted with them.",
             "%(n)d orders are deleted with them."),
            (Interaction.objects.filter(contact__in=ids).count(), "%(n)d interaction is deleted with them.",
             "%(n)d interactions are deleted with them."),
            (Deal.objects.filter(contact__in=ids).count(), "%(n)d deal stays, without its contact.",
             "%(n)d deals stay, without their contact."),
        ),
    ]  # fmt: skip


def account_delete_consequences(selection: QuerySet[Account]) -> list[str]:
    ids = selection.values("pk")
    return [
        *_counted(
            (Contact.objects.filter(account__in=ids).count(), "%(n)d contact stays, without its account.",
             "%(n)d contacts stay, without their account."),
            (Account.objects.filter(parent__in=ids).exclude(pk__in=ids).count(),
             "%(n)d subsidiary stays, without a parent.", "%(n)d subsidiaries stay, without a parent."),
        ),
        _("Their orders stay on their contacts."),
    ]  # fmt: skip


def deal_delete_consequences(selection: QuerySet[Deal]) -> list[str]:
    history = DealStageChange.objects.filter(deal__in=selection.values("pk")).count()
    return [
        *_counted((history, "Their stage history (%(n)d entry) is deleted with them.",
                   "Their stage history (%(n)d entries) is deleted with them.")),
        _("Their contacts and accounts stay."),
    ]  # fmt: skip


# --- The lists ----------------------------------------------------------------------------------------


def contacts_matching(params: QueryDict, tenant: Tenant, user: User) -> QuerySet[Contact]:
    filters = ContactFilter(params, tenant=tenant, user=user)
    return filters.qs if filters.is_valid() else Contact.objects.none()


def accounts_matching(params: QueryDict, tenant: Tenant, user: User) -> QuerySet[Account]:
    filters = AccountFilter(params, tenant=tenant, user=user)
    return filters.qs if filters.is_valid() else Account.objects.none()


def deals_matching(params: QueryDict, tenant: Tenant, user: User) -> QuerySet[Deal]:
    filters = DealFilter(params, tenant=tenant, user=user)
    return filters.qs if filters.is_valid() else Deal.objects.none()


def _owner_action(capability: str) -> BulkAction:
    return BulkAction("assign_owner", gettext_lazy("Assign owner"), capability, OwnerForm, assign_owner)


def _delete_action(consequences: Any) -> BulkAction:
    return BulkAction(
        "delete", gettext_lazy("Delete"), Capability.CUSTOMERS_DELETE, NoFieldsForm, delete_records,
        consequences=consequences, destructive=True,
    )  # fmt: skip


def _actions(*actions: BulkAction) -> dict[str, BulkAction]:
    return {action.key: action for action in actions}


CONTACTS = register_list(
    ListSpec(
        key="contacts", model=Contact, plural=gettext_lazy("contacts"), url_name="customers:contact-list",
        view_capability=Capability.CUSTOMERS_VIEW, sorts=CONTACT_SORTS, filtered=contacts_matching,
        actions=_actions(
            _owner_action(Capability.CUSTOMERS_EDIT),
            BulkAction("add_tag", gettext_lazy("Add tag"), Capability.CUSTOMERS_EDIT, TagForm, add_tag),
            BulkAction("remove_tag", gettext_lazy("Remove tag"), Capability.CUSTOMERS_EDIT, TagForm, remove_tag),
            BulkAction("lifecycle_stage", gettext_lazy("Change lifecycle stage"), Capability.CUSTOMERS_EDIT,
                       LifecycleForm, set_lifecycle_stage),
            BulkAction("add_to_list", gettext_lazy("Add to static list"), Capability.CAMPAIGNS_EDIT, AddToListForm,
                       add_to_static_list),
            BulkAction("remove_from_list", gettext_lazy("Remove from static list"), Capability.CAMPAIGNS_EDIT,
                       RemoveFromListForm, remove_from_static_list),
            _delete_action(contact_delete_consequences),
        ),
    )
)  # fmt: skip
ACCOUNTS = register_list(
    ListSpec(
        key="accounts", model=Account, plural=gettext_lazy("accounts"), url_name="customers:account-list",
        view_capability=Capability.CUSTOMERS_VIEW, sorts=ACCOUNT_SORTS, filtered=accounts_matching,
        actions=_actions(_owner_action(Capability.CUSTOMERS_EDIT), _delete_action(account_delete_consequences)),
    )
)  # fmt: skip
DEALS = register_list(
    ListSpec(
        key="deals", model=Deal, plural=gettext_lazy("deals"), url_name="deals:list",
        view_capability=Capability.CUSTOMERS_VIEW, sorts=DEAL_SORTS, filtered=deals_matching,
        actions=_actions(
            _owner_action(Capability.DEALS_EDIT),
            BulkAction("deal_stage", gettext_lazy("Change stage"), Capability.DEALS_EDIT, DealStageForm,
                       set_deal_stage, check=check_deal_stage),
            _delete_action(deal_delete_consequences),
        ),
    )
)  # fmt: skip
