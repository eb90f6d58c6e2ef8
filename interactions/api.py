"""REST endpoints for the communication log: list (filtered), retrieve, create."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.roles import Capability
from interactions import selectors, services
from interactions.models import Direction, InteractionKind, SocialChannel
from interactions.serializers import InteractionCreateSerializer, InteractionSerializer


class NewestFirstPagination(CursorPagination):
    ordering = ("-occurred_at", "-id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


FILTERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, enum=InteractionKind.values),
    OpenApiParameter("direction", OpenApiTypes.STR, enum=Direction.values),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=SocialChannel.values),
    OpenApiParameter("contact", OpenApiTypes.INT),
    OpenApiParameter("deal", OpenApiTypes.INT),
    OpenApiParameter("logged_by", OpenApiTypes.INT),
    OpenApiParameter("occurred_after", OpenApiTypes.DATETIME),
    OpenApiParameter("occurred_before", OpenApiTypes.DATETIME),
]


def _choice(params: Any, name: str, values: list[str], errors: dict[str, str]) -> str:
    value = params.get(name, "")
    if value and value not in values:
        errors[name] = f"“{value}” is not one of: {', '.join(values)}."
        return ""
    return value


def _integer(params: Any, name: str, errors: dict[str, str]) -> int | None:
    value = params.get(name, "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        errors[name] = "Must be an integer id."
        return None


def _moment(params: Any, name: str, errors: dict[str, str]) -> datetime | None:
    value = params.get(name, "")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors[name] = "Must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z."
        return None
    if parsed.tzinfo is None:
        errors[name] = "Needs a time zone, e.g. 2026-01-31T09:00:00Z."
        return None
    return parsed


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class InteractionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantScopedViewSet
):
    selector = staticmethod(selectors.interactions_for_api)
    capability = Capability.INTERACTIONS_VIEW
    write_capability = Capability.INTERACTIONS_EDIT
    serializer_class = InteractionSerializer
    pagination_class = NewestFirstPagination

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        params = self.request.query_params
        errors: dict[str, str] = {}
        filters: dict[str, Any] = {
            "kind": _choice(params, "kind", InteractionKind.values, errors),
            "direction": _choice(params, "direction", Direction.values, errors),
            "channel": _choice(params, "channel", SocialChannel.values, errors),
            "contact_id": _integer(params, "contact", errors),
            "deal_id": _integer(params, "deal", errors),
            "logged_by_id": _integer(params, "logged_by", errors),
            "occurred_at__gte": _moment(params, "occurred_after", errors),
            "occurred_at__lt": _moment(params, "occurred_before", errors),
        }
        if errors:
            raise serializers.ValidationError(errors)
        return queryset.filter(**{key: value for key, value in filters.items() if value not in ("", None)})

    @extend_schema(request=InteractionCreateSerializer, responses={201: InteractionSerializer})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parsed = InteractionCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        try:
            interaction = services.interaction_log(
                tenant=request._request.tenant,  # type: ignore[attr-defined]
                by=request.user,  # type: ignore[arg-type]
                **parsed.validated_data,
            )
        except DjangoValidationError as refused:
            raise serializers.ValidationError(refused.message_dict) from None
        created = self.get_queryset().get(pk=interaction.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)
