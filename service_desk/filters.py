"""The ticket list's filters (django-filter): parsed and validated here, applied to a scoped queryset.

"status=open" means any of OPEN_STATUSES; "assignee" takes "me", "none" (unassigned) or a member's id;
"sla=breaching" lists open tickets whose resolution is due within the hour and not yet breached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.filter_menu import FilterInput, MoreFiltersMixin
from crm.models import Tenant, User
from customers.forms import tenant_members
from service_desk.models import OPEN_STATUSES, Queue, Ticket, TicketChannel, TicketPriority, TicketStatus

ME = "me"
NOBODY = "none"
OPEN = "open"
BREACHING = "breaching"
BREACHED = "breached"
BREACHING_WINDOW = timedelta(hours=1)

STATUS_CHOICES = [(OPEN, _("Open (not solved)")), *TicketStatus.choices]
SLA_CHOICES = [(BREACHING, _("Breaching within the hour")), (BREACHED, _("Breached"))]


class TicketFilter(MoreFiltersMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(method="filter_status", choices=STATUS_CHOICES, label=_("Status"))
    priority = django_filters.ChoiceFilter(field_name="priority", choices=TicketPriority.choices, label=_("Priority"))
    queue = django_filters.ChoiceFilter(method="filter_queue", choices=[], label=_("Queue"))
    assignee = django_filters.ChoiceFilter(method="filter_assignee", choices=[], label=_("Assignee"))
    channel = django_filters.ChoiceFilter(field_name="channel", choices=TicketChannel.choices, label=_("Channel"))
    category = django_filters.CharFilter(method="filter_category", label=_("Category"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    contact = django_filters.NumberFilter(field_name="contact_id", label=_("Contact"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account"))
    sla = django_filters.ChoiceFilter(method="filter_sla", choices=SLA_CHOICES, label=_("SLA"))

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Ticket.objects.all())
        self.tenant, self.user = tenant, user
        members = [(str(member.pk), str(member)) for member in tenant_members(tenant)]
        self.filters["assignee"].extra["choices"] = [(ME, _("Me")), (NOBODY, _("Unassigned")), *members]
        queues = [(str(pk), name) for pk, name in Queue.objects.order_by("name").values_list("pk", "name")]
        self.filters["queue"].extra["choices"] = [(NOBODY, _("No queue")), *queues]
        self.add_filter_group(
            str(_("Channel")),
            [FilterInput("channel", str(_("Channel")), "select", [(k, str(v)) for k, v in TicketChannel.choices])],
        )
        self.add_filter_group(str(_("Category")), [FilterInput("category", str(_("e.g. billing")), "text")])
        self.add_filter_group(str(_("Tag")), [FilterInput("tag", str(_("e.g. refund")), "text")])
        self.add_filter_group(
            str(_("SLA")), [FilterInput("sla", str(_("SLA")), "select", [(k, str(v)) for k, v in SLA_CHOICES])]
        )

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        text = value.strip().lstrip("#")
        if not text:
            return queryset
        if text.isdigit():
            return queryset.filter(Q(number=int(text)) | Q(subject__icontains=text))
        return queryset.filter(Q(subject__icontains=text) | Q(requester_email__istartswith=text))

    def filter_status(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(status__in=OPEN_STATUSES) if value == OPEN else queryset.filter(status=value)

    def filter_queue(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(queue__isnull=True) if value == NOBODY else queryset.filter(queue_id=int(value))

    def filter_assignee(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == ME:
            return queryset.filter(assignee=self.user)
        if value == NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_category(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(category__iexact=value.strip()) if value.strip() else queryset

    def filter_tag(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        tag = value.strip().lower()
        return queryset.filter(tags__contains=[tag]) if tag else queryset

    def filter_sla(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        if value == BREACHED:
            return queryset.filter(Q(sla__first_response_breached=True) | Q(sla__resolution_breached=True))
        now = timezone.now()
        return queryset.filter(
            status__in=OPEN_STATUSES,
            sla__resolution_breached=False,
            sla__resolution_met_at__isnull=True,
            sla__resolution_due__gte=now,
            sla__resolution_due__lte=now + BREACHING_WINDOW,
        )


def preset_views() -> list[tuple[str, str, str]]:
    """Built-in views every agent has, before any saved view: (key, label, query string)."""
    return [
        ("open", str(_("All open")), "status=open"),
        ("mine", str(_("My open tickets")), "status=open&assignee=me"),
        ("unassigned", str(_("Unassigned")), "status=open&assignee=none"),
        ("breaching", str(_("Breaching soon")), "sla=breaching"),
        ("solved", str(_("Recently solved")), "status=solved&sort=updated"),
    ]
