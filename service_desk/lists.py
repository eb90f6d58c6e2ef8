"""The ticket list's sort options, saved views and bulk actions (crm/lists/).

Bulk actions are the service desk's own set-wise services: status moves go through
``ticket_status_change`` one ticket at a time (history and SLA clocks), everything else is one UPDATE
per chunk with one history row per changed ticket."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.lists.registry import BulkAction, BulkOutcome, ListSpec, register_list
from crm.models import Tenant, User
from crm.roles import Capability
from crm.sorting import SortOption, sorts_for
from customers.forms import tenant_members
from service_desk import services
from service_desk.filters import NOBODY, TicketFilter
from service_desk.models import Queue, Ticket, TicketPriority, TicketStatus


def priority_rank() -> Case:
    """Urgent first: the rank of each priority as a number."""
    ranks = {TicketPriority.URGENT: 0, TicketPriority.HIGH: 1, TicketPriority.NORMAL: 2, TicketPriority.LOW: 3}
    return Case(
        *[When(priority=value, then=Value(rank)) for value, rank in ranks.items()],
        default=Value(4),
        output_field=IntegerField(),
    )


TICKET_SORTS = sorts_for("tickets")
# Served by ticket_created_idx (tenant, created_at, id), and ticket_updated_idx for "recently updated".
TICKET_SORTS.register(SortOption("newest", gettext_lazy("Newest first"), ("created_at", "id"), descending=True))
TICKET_SORTS.register(SortOption("oldest", gettext_lazy("Oldest first"), ("created_at", "id")))
TICKET_SORTS.register(
    SortOption("updated", gettext_lazy("Recently updated"), ("updated_at", "id"), descending=True), default=False
)
TICKET_SORTS.register(SortOption("priority", gettext_lazy("Most urgent first"), (priority_rank(), "created_at", "id")))
TICKET_SORTS.register(SortOption("number", gettext_lazy("Ticket number"), ("number", "id"), descending=True))


# --- The actions' fields ---------------------------------------------------------------------------


class AssigneeForm(forms.Form):
    assignee = forms.ChoiceField(label=gettext_lazy("Assign to"))

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        members = [(str(member.pk), str(member)) for member in tenant_members(tenant)]
        self.fields["assignee"].choices = [("", "—"), (NOBODY, _("Nobody (unassign)")), *members]  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=TicketStatus.choices)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=gettext_lazy("New priority"), choices=TicketPriority.choices)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)


class QueueForm(forms.Form):
    queue = forms.ChoiceField(label=gettext_lazy("Move to queue"))

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)
        queues = [(str(pk), name) for pk, name in Queue.objects.order_by("name").values_list("pk", "name")]
        self.fields["queue"].choices = [("", "—"), (NOBODY, _("No queue")), *queues]  # type: ignore[attr-defined]


class TicketTagForm(forms.Form):
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=40)

    def __init__(self, tenant: Tenant, data: Any = None) -> None:
        super().__init__(data)

    def clean_tag(self) -> str:
        tags = services.normalise_tags(self.cleaned_data["tag"].split(","))
        if len(tags) != 1:
            raise forms.ValidationError(_("Enter one tag (no commas)."))
        return tags[0]


# --- The actions -------------------------------------------------------------------------------------


def assign(selection: QuerySet[Ticket], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    assignee = None if values["assignee"] == NOBODY else User.objects.filter(pk=int(values["assignee"])).first()
    changed = services.tickets_bulk_set(tenant=tenant, selection=selection, field="assignee", value=assignee, by=by)
    return BulkOutcome(changed=changed)


def set_status(selection: QuerySet[Ticket], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    return BulkOutcome(
        changed=services.tickets_bulk_status(tenant=tenant, selection=selection, status=values["status"], by=by)
    )


def set_priority(selection: QuerySet[Ticket], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    changed = services.tickets_bulk_set(
        tenant=tenant, selection=selection, field="priority", value=values["priority"], by=by
    )
    return BulkOutcome(changed=changed)


def set_queue(selection: QuerySet[Ticket], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    queue = None if values["queue"] == NOBODY else Queue.objects.filter(pk=int(values["queue"])).first()
    changed = services.tickets_bulk_set(tenant=tenant, selection=selection, field="queue", value=queue, by=by)
    return BulkOutcome(changed=changed)


def add_tag(selection: QuerySet[Ticket], *, values: dict[str, Any], tenant: Tenant, by: User) -> BulkOutcome:
    return BulkOutcome(changed=services.tickets_bulk_tag(tenant=tenant, selection=selection, tag=values["tag"], by=by))


def tickets_matching(params: QueryDict, tenant: Tenant, user: User) -> QuerySet[Ticket]:
    filters = TicketFilter(params, tenant=tenant, user=user)
    return filters.qs if filters.is_valid() else Ticket.objects.none()


def _actions(*actions: BulkAction) -> dict[str, BulkAction]:
    return {action.key: action for action in actions}


EDIT = Capability.TICKETS_EDIT
TICKETS = register_list(
    ListSpec(
        key="tickets",
        model=Ticket,
        plural=gettext_lazy("tickets"),
        url_name="service_desk:ticket_list",
        view_capability=Capability.TICKETS_VIEW,
        sorts=TICKET_SORTS,
        filtered=tickets_matching,
        actions=_actions(
            BulkAction("assign", gettext_lazy("Assign"), EDIT, AssigneeForm, assign),
            BulkAction("status", gettext_lazy("Change status"), EDIT, StatusForm, set_status),
            BulkAction("priority", gettext_lazy("Change priority"), EDIT, PriorityForm, set_priority),
            BulkAction("queue", gettext_lazy("Move to queue"), EDIT, QueueForm, set_queue),
            BulkAction("add_tag", gettext_lazy("Add tag"), EDIT, TicketTagForm, add_tag),
        ),
    )
)
