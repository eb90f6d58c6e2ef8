"""The contact list's filters (django-filter): parsed and validated here, applied to a scoped queryset."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.segments import SEGMENTS
from crm.filter_menu import FilterInput
from crm.models import Tenant, User
from customers.custom_fields.filters import CustomFieldFilterMixin
from customers.forms import tenant_members
from customers.models import Account, Contact, CustomFieldEntity, LifecycleStage, PreferredChannel, RiskBand

ME = "me"
NOBODY = "none"


def _start_of_day(value: date) -> datetime:
    return timezone.make_aware(datetime.combine(value, time.min))


class AddressAndDateFilterSet(django_filters.FilterSet):
    """City, country and when-added filters, shared by contacts and accounts (a FilterSet, so that
    django-filter collects the filters declared here). "Added" compares the
    timestamp with the start of a day in the user's time zone, so (tenant, created_at) indexes serve it."""

    city = django_filters.CharFilter(method="filter_city", label=_("City"))
    country = django_filters.CharFilter(method="filter_country", label=_("Country"))
    added_from = django_filters.DateFilter(method="filter_added_from", label=_("Added from"))
    added_to = django_filters.DateFilter(method="filter_added_to", label=_("Added until"))

    def filter_city(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(city__istartswith=value.strip()) if value.strip() else queryset

    def filter_country(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(country=value.strip().upper()) if value.strip() else queryset

    def filter_added_from(self, queryset: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return queryset.filter(created_at__gte=_start_of_day(value))

    def filter_added_to(self, queryset: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return queryset.filter(created_at__lt=_start_of_day(value + timedelta(days=1)))

    def address_and_date_groups(self) -> None:
        add = self.add_filter_group  # type: ignore[attr-defined]  # MoreFiltersMixin, in the subclasses
        add(str(_("City")), [FilterInput("city", str(_("City starts with")), "text")])
        add(str(_("Country")), [FilterInput("country", str(_("Two letters, e.g. DE")), "text")])
        add(
            str(_("Added")),
            [FilterInput("added_from", str(_("From")), "date"), FilterInput("added_to", str(_("Until")), "date")],
        )


class OwnerFilterMixin:
    """An "owner" choice of me, nobody or any member of the tenant."""

    user: User

    def set_owner_choices(self, tenant: Tenant) -> None:
        members = [(str(member.pk), str(member)) for member in tenant_members(tenant)]
        self.filters["owner"].extra["choices"] = [(ME, _("Me")), (NOBODY, _("Nobody")), *members]  # type: ignore[attr-defined]

    def filter_owner(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == ME:
            return queryset.filter(owner=self.user)
        if value == NOBODY:
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))


class ContactFilter(CustomFieldFilterMixin, OwnerFilterMixin, AddressAndDateFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    stage = django_filters.ChoiceFilter(field_name="lifecycle_stage", choices=LifecycleStage.choices, label=_("Stage"))
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), choices=[])
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    email_consent = django_filters.BooleanFilter(field_name="email_consent", label=_("Email consent"))
    sms_consent = django_filters.BooleanFilter(field_name="sms_consent", label=_("SMS consent"))
    preferred_channel = django_filters.ChoiceFilter(
        field_name="preferred_channel", choices=PreferredChannel.choices, label=_("Preferred channel")
    )
    account = django_filters.NumberFilter(field_name="account_id", label=_("Account"))  # from an account's page
    in_list = django_filters.ChoiceFilter(method="filter_in_list", label=_("Static list"), choices=[])
    risk = django_filters.ChoiceFilter(field_name="score__risk_band", choices=RiskBand.choices, label=_("Churn risk"))
    rfm = django_filters.ChoiceFilter(
        field_name="score__rfm_segment", choices=[(name, name) for name in SEGMENTS], label=_("RFM segment")
    )
    segment = django_filters.CharFilter(method="filter_segment", label=_("Segment"))  # a saved segment's id
    value_min = django_filters.NumberFilter(
        field_name="score__predicted_value", lookup_expr="gte", label=_("Value from")
    )
    value_max = django_filters.NumberFilter(field_name="score__predicted_value", lookup_expr="lte", label=_("Value to"))

    class Meta:
        model = Contact
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Contact.objects.all())
        self.tenant, self.user = tenant, user
        self.set_owner_choices(tenant)
        self.add_filter_group(str(_("Source")), [FilterInput("source", str(_("e.g. referral")), "text")])
        self.add_filter_group(
            str(_("SMS consent")),
            [
                FilterInput(
                    "sms_consent", str(_("SMS consent")), "select", [("true", str(_("Yes"))), ("false", str(_("No")))]
                )
            ],
        )
        channels = [(value, str(label)) for value, label in PreferredChannel.choices]
        self.add_filter_group(
            str(_("Preferred channel")),
            [FilterInput("preferred_channel", str(_("Preferred channel")), "select", channels)],
        )
        self.address_and_date_groups()
        bands = [(value, str(label)) for value, label in RiskBand.choices]
        self.add_filter_group(str(_("Churn risk")), [FilterInput("risk", str(_("Churn risk")), "select", bands)])
        segments = [(name, name) for name in SEGMENTS]
        self.add_filter_group(str(_("RFM segment")), [FilterInput("rfm", str(_("RFM segment")), "select", segments)])
        self.add_filter_group(
            str(_("Predicted value")),
            [FilterInput("value_min", str(_("From")), "number"), FilterInput("value_max", str(_("To")), "number")],
        )
        self.add_custom_field_filters(CustomFieldEntity.CONTACT)
        self._static_list_group()
        self._segment_group()

    def _static_list_group(self) -> None:
        from campaigns.selectors import static_list_choices  # campaigns builds on customers, not the reverse

        lists = static_list_choices()
        self.filters["in_list"].extra["choices"] = lists
        if lists:
            self.add_filter_group(str(_("Static list")), [FilterInput("in_list", str(_("In list")), "select", lists)])

    def _segment_group(self) -> None:
        from segments.selectors import segment_choices  # segments build on customers, not the reverse

        choices = segment_choices()
        if choices:
            self.add_filter_group(str(_("Segment")), [FilterInput("segment", str(_("In segment")), "select", choices)])

    def filter_segment(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        """A saved segment's rules (segments/rules.py) on top of the other filters and record visibility.
        An RFM segment name still works here, as links from before ``rfm`` had their own name did."""
        from segments.selectors import segment_filter

        value = value.strip()
        if value in SEGMENTS:
            return queryset.filter(score__rfm_segment=value)
        return segment_filter(queryset, value, user=self.user)

    def filter_in_list(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        from campaigns.models import StaticListMember

        members = StaticListMember.objects.filter(static_list_id=int(value), contact_id=OuterRef("pk"))
        return queryset.filter(Exists(members))

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        from customers.selectors import contact_search_filter

        return queryset.filter(contact_search_filter(value, region=self.tenant.country)) if value.strip() else queryset

    def filter_tag(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        tag = value.strip().lower()
        return queryset.filter(Q(tags__contains=[tag])) if tag else queryset

    def active_params(self) -> str:
        """The query string of the filters in use, for "show more" links and exports."""
        return self.data.urlencode() if hasattr(self.data, "urlencode") else ""


class AccountFilter(CustomFieldFilterMixin, OwnerFilterMixin, AddressAndDateFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), choices=[])
    industry = django_filters.ChoiceFilter(field_name="industry", label=_("Industry"), choices=[])
    employees_min = django_filters.NumberFilter(field_name="employees", lookup_expr="gte", label=_("Employees from"))
    employees_max = django_filters.NumberFilter(field_name="employees", lookup_expr="lte", label=_("Employees to"))

    class Meta:
        model = Account
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Account.objects.all())
        self.tenant, self.user = tenant, user
        self.set_owner_choices(tenant)
        self.add_filter_group(
            str(_("Employees")),
            [
                FilterInput("employees_min", str(_("From")), "number"),
                FilterInput("employees_max", str(_("To")), "number"),
            ],
        )
        self.address_and_date_groups()
        self.add_custom_field_filters(CustomFieldEntity.ACCOUNT)
        industries = Account.objects.exclude(industry="").values_list("industry", flat=True).distinct()
        self.filters["industry"].extra["choices"] = [(name, name) for name in sorted(industries[:200])]

    def filter_search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        from customers.selectors import account_search_filter

        return queryset.filter(account_search_filter(value)) if value.strip() else queryset
