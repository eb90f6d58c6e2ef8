"""Read-only REST endpoints for accounts and contacts (writes arrive with the integrations issue)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.roles import Capability
from customers import selectors, services
from customers.api_writes import contact_form_for_create, contact_form_for_update
from customers.serializers import AccountSerializer, ContactSerializer
from workspace import field_access


class EditConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The contact was changed after the version you sent."
    default_code = "conflict"


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Contacts. Writes take the fields of the contact form (`tags` as a list, `custom_fields` as an object
    by key) and are validated by the same rules as the pages; a PATCH changes only the fields it sends, and
    with `version` it is refused (409) if someone saved the contact since that version."""

    selector = staticmethod(selectors.contacts_for_api)
    capability = Capability.CUSTOMERS_VIEW
    write_capability = Capability.CUSTOMERS_EDIT
    serializer_class = ContactSerializer
    pagination_class = IdCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=ContactSerializer, responses={201: ContactSerializer, 400: OpenApiResponse()})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant = request._request.tenant  # type: ignore[attr-defined]
        _refuse_restricted_fields(request)
        form = contact_form_for_create(tenant=tenant, payload=request.data)
        contact = services.contact_create(tenant=tenant, data=form.changes(), by=acting_user(request._request))
        created = self.get_queryset().get(pk=contact.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContactSerializer, responses={200: ContactSerializer, 400: OpenApiResponse(),
                                                         409: OpenApiResponse()})  # fmt: skip
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant = request._request.tenant  # type: ignore[attr-defined]
        contact = self.get_object()
        _refuse_restricted_fields(request)
        form = contact_form_for_update(tenant=tenant, contact=contact, payload=request.data)
        by = acting_user(request._request)
        try:
            services.contact_update(tenant=tenant, contact=form.instance, data=form.changes(),
                                    expected_version=form.expected_version(), by=by)  # fmt: skip
        except services.ConcurrentEditError as conflict:
            raise EditConflict(str(conflict)) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=contact.pk)).data)


def _refuse_restricted_fields(request: Request) -> None:
    """Fields hidden or read-only for the caller's role (workspace/field_access.py) cannot be written."""
    refused = field_access.refused_payload_fields(request.data, request, field_access.CONTACT)
    if refused:
        raise ValidationError({name: ["Your role may not change this field."] for name in refused})


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    selector = staticmethod(selectors.accounts_for_api)
    capability = Capability.CUSTOMERS_VIEW
    serializer_class = AccountSerializer
    pagination_class = IdCursorPagination
