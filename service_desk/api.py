"""Tickets over the REST API: list with filters, read, open (with Idempotency-Key), change (409 on a stale
version) and the conversation: list messages, add a reply or an internal note."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.roles import Capability
from service_desk import selectors, services
from service_desk.filters import TicketFilter
from service_desk.models import TicketAttachment, TicketMessage
from service_desk.serializers import (
    TicketCreateSerializer,
    TicketMessageCreateSerializer,
    TicketMessageSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)


class EditConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The ticket was changed after the version you sent."
    default_code = "conflict"


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="A status, or `open` for any not solved or closed."),
    OpenApiParameter("priority", OpenApiTypes.STR),
    OpenApiParameter("queue", OpenApiTypes.STR, description="A queue id, or `none`."),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="A user id, `me` or `none` (unassigned)."),
    OpenApiParameter("channel", OpenApiTypes.STR),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter("contact", OpenApiTypes.INT),
    OpenApiParameter("account", OpenApiTypes.INT),
]


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Tickets. `status=open` lists every ticket not yet solved or closed."""

    selector = staticmethod(selectors.tickets_for_api)
    capability = Capability.TICKETS_VIEW
    write_capability = Capability.TICKETS_EDIT
    serializer_class = TicketSerializer
    pagination_class = NewestFirstPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    resource_label = "Tickets"

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        params = self.request.query_params
        filters = TicketFilter(params, tenant=self.request._request.tenant, user=acting_user(self.request._request))  # type: ignore[attr-defined]
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        return filters.qs

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer, 400: OpenApiResponse()})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parsed = TicketCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        try:
            ticket = services.ticket_create(
                tenant=request._request.tenant,  # type: ignore[attr-defined]
                by=acting_user(request._request),
                **parsed.validated_data,
            )
        except DjangoValidationError as refused:
            raise _refused(refused) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=ticket.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, 400: OpenApiResponse(),
                                                              409: OpenApiResponse()})  # fmt: skip
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tenant, by = request._request.tenant, acting_user(request._request)  # type: ignore[attr-defined]
        ticket = self.get_object()
        parsed = TicketUpdateSerializer(data=request.data, partial=True)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        version, new_status = data.pop("version", None), data.pop("status", None)
        try:
            with transaction.atomic():
                if version is not None and version != ticket.version:
                    raise services.ConcurrentEditError(ticket)
                if data:
                    ticket = services.ticket_update(tenant=tenant, ticket=ticket, data=data, expected_version=version,
                                                    by=by)  # fmt: skip
                if new_status:
                    services.ticket_status_change(tenant=tenant, ticket=ticket, status=new_status, by=by)
        except services.ConcurrentEditError as conflict:
            raise EditConflict(str(conflict)) from None
        except DjangoValidationError as refused:
            raise _refused(refused) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=ticket.pk)).data)

    @extend_schema(methods=["GET"], responses={200: TicketMessageSerializer(many=True)})
    @extend_schema(methods=["POST"], request=TicketMessageCreateSerializer, responses={201: TicketMessageSerializer})
    @action(detail=True, methods=["get", "post"], url_path="messages", pagination_class=None)
    def messages(self, request: Request, pk: int | None = None) -> Response:
        """The conversation, oldest first (GET), or a new public reply or internal note (POST)."""
        ticket = self.get_object()
        if request.method == "POST":
            parsed = TicketMessageCreateSerializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            try:
                message = services.ticket_message_add(
                    tenant=request._request.tenant,  # type: ignore[attr-defined]
                    ticket=ticket, by=acting_user(request._request), **parsed.validated_data,
                )  # fmt: skip
            except DjangoValidationError as refused:
                raise _refused(refused) from None
            return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)
        rows = (
            TicketMessage.objects.filter(ticket=ticket)
            .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id")))
            .order_by("created_at", "id")
        )
        return Response(TicketMessageSerializer(rows, many=True).data)
