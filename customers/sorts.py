"""The sort options of the contact, account and deal lists (crm/sorting.py).

Every option on contacts and accounts is served by an index leading with tenant_id in the same
column order (customers/models.py, ``*_sort_idx``): the list reads that index from where the last
page stopped instead of sorting a million rows. tests/customers/test_list_sorting.py checks the plans.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.sorting import SortOption, sorts_for
from customers.custom_fields.sorting import provider_for as custom_field_sorts
from customers.models import CustomFieldEntity
from customers.sort_keys import churn_or_none, close_date_or_never, employees_or_none, lifecycle_rank, value_or_none

CONTACT_SORTS = sorts_for("contacts")
CONTACT_SORTS.register(SortOption("name", _("Name A to Z"), ("last_name", "first_name", "id")), default=True)
CONTACT_SORTS.register(SortOption("name_desc", _("Name Z to A"), ("last_name", "first_name", "id"), descending=True))
CONTACT_SORTS.register(SortOption("newest", _("Newest first"), ("created_at", "id"), descending=True))
CONTACT_SORTS.register(SortOption("oldest", _("Oldest first"), ("created_at", "id")))
CONTACT_SORTS.register(SortOption("updated", _("Recently updated"), ("updated_at", "id"), descending=True))
CONTACT_SORTS.register(SortOption("stage", _("Lifecycle stage"), (lifecycle_rank(), "last_name", "first_name", "id")))
# Scores live in analytics.ContactScore (one row per scored contact): these orders list the scored
# contacts, walking that table's (tenant, score, contact) index.
SCORED = Q(score__isnull=False)
CONTACT_SORTS.register(
    SortOption("churn", _("Highest churn risk"), (churn_or_none(), "id"), descending=True, only=SCORED)
)
CONTACT_SORTS.register(
    SortOption("value", _("Highest predicted value"), (value_or_none(), "id"), descending=True, only=SCORED)
)

ACCOUNT_SORTS = sorts_for("accounts")
ACCOUNT_SORTS.register(SortOption("name", _("Name A to Z"), ("name", "id")), default=True)
ACCOUNT_SORTS.register(SortOption("newest", _("Newest first"), ("created_at", "id"), descending=True))
ACCOUNT_SORTS.register(SortOption("employees", _("Most employees"), (employees_or_none(), "id"), descending=True))

DEAL_SORTS = sorts_for("deals")
DEAL_SORTS.register(SortOption("close", _("Closing soonest"), (close_date_or_never(), "id")), default=True)
DEAL_SORTS.register(SortOption("amount", _("Largest amount"), ("amount", "id"), descending=True))
DEAL_SORTS.register(SortOption("newest", _("Newest first"), ("created_at", "id"), descending=True))
DEAL_SORTS.register(SortOption("name", _("Name A to Z"), ("name", "id")))

# One or two options per sortable custom field of the tenant (customers/custom_fields/sorting.py).
CONTACT_SORTS.register_provider(custom_field_sorts(CustomFieldEntity.CONTACT))
ACCOUNT_SORTS.register_provider(custom_field_sorts(CustomFieldEntity.ACCOUNT))
DEAL_SORTS.register_provider(custom_field_sorts(CustomFieldEntity.DEAL))
