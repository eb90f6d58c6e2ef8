"""The contact list's filters (django-filter): parsed and validated here, applied to a scoped queryset."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant, User
from customers.custom_fields.filters import CustomFieldFilterMixin
from customers.forms import tenant_members
from customers.models import Account, Contact, CustomFieldEntity, LifecycleStage

ME = "me"
NOBODY = "none"


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


class ContactFilter(CustomFieldFilterMixin, OwnerFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    stage = django_filters.ChoiceFilter(field_name="lifecycle_stage", choices=LifecycleStage.choices, label=_("Stage"))
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), choices=[])
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    email_consent = django_filters.BooleanFilter(field_name="email_consent", label=_("Email consent"))

    class Meta:
        model = Contact
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Contact.objects.all())
        self.tenant, self.user = tenant, user
        self.set_owner_choices(tenant)
        self.add_custom_field_filters(CustomFieldEntity.CONTACT)

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        from customers.selectors import contact_search_filter

        return queryset.filter(contact_search_filter(value, region=self.tenant.country)) if value.strip() else queryset

    def filter_tag(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        tag = value.strip().lower()
        return queryset.filter(Q(tags__contains=[tag])) if tag else queryset

    def active_params(self) -> str:
        """The query string of the filters in use, for "show more" links and exports."""
        return self.data.urlencode() if hasattr(self.data, "urlencode") else ""


class AccountFilter(CustomFieldFilterMixin, OwnerFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), choices=[])
    industry = django_filters.ChoiceFilter(field_name="industry", label=_("Industry"), choices=[])

    class Meta:
        model = Account
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Account.objects.all())
        self.tenant, self.user = tenant, user
        self.set_owner_choices(tenant)
        self.add_custom_field_filters(CustomFieldEntity.ACCOUNT)
        industries = Account.objects.exclude(industry="").values_list("industry", flat=True).distinct()
        self.filters["industry"].extra["choices"] = [(name, name) for name in sorted(industries[:200])]

    def filter_search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        from customers.selectors import account_search_filter

        return queryset.filter(account_search_filter(value)) if value.strip() else queryset
