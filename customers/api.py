"""Read-only REST endpoints for accounts and contacts (writes arrive with the integrations issue)."""

from __future__ import annotations

from rest_framework import mixins
from rest_framework.pagination import CursorPagination

from crm.api import TenantScopedViewSet
from crm.roles import Capability
from customers import selectors
from customers.serializers import AccountSerializer, ContactSerializer


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    selector = staticmethod(selectors.contacts_for_api)
    capability = Capability.CUSTOMERS_VIEW
    serializer_class = ContactSerializer
    pagination_class = IdCursorPagination


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    selector = staticmethod(selectors.accounts_for_api)
    capability = Capability.CUSTOMERS_VIEW
    serializer_class = AccountSerializer
    pagination_class = IdCursorPagination
