"""Shipments through the REST API: read them, and the SCM sync of many at once."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.roles import Capability
from customers.orders_sync import OrderSyncRefused
from shipments.models import Shipment
from shipments.services import MAX_SHIPMENTS, shipments_sync


class ShipmentSerializer(serializers.ModelSerializer):
    tracking_url = serializers.CharField(read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "order", "contact", "carrier", "tracking_number", "tracking_url", "status", "shipped_at",
                  "delivered_at", "external_id", "source_system", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ShipmentSyncSerializer(serializers.Serializer):
    source_system = serializers.CharField(max_length=50)
    shipments = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_SHIPMENTS)


class ShipmentSyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ShipmentPagination(CursorPagination):
    ordering = "-id"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


def shipments_for_api() -> QuerySet[Shipment]:
    return Shipment.objects.all()


class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Shipments of orders. `?order=<id>` narrows the list."""

    selector = staticmethod(shipments_for_api)
    capability = Capability.CUSTOMERS_VIEW
    write_capability = Capability.CUSTOMERS_EDIT
    serializer_class = ShipmentSerializer
    pagination_class = ShipmentPagination
    http_method_names = ["get", "post", "head", "options"]

    def filter_queryset(self, queryset: QuerySet[Shipment]) -> QuerySet[Shipment]:
        order = self.request.query_params.get("order", "")
        return queryset.filter(order_id=int(order)) if order.isdigit() else queryset

    @extend_schema(
        request=ShipmentSyncSerializer, responses={200: ShipmentSyncResultSerializer, 400: OpenApiResponse()}
    )
    @action(detail=False, methods=["post"], url_path="sync")
    def sync(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """SCM sync: upsert up to 10,000 shipments by `external_id` within `source_system`; each names its order
        by `order_external_id` (and `order_source_system` when the order came from another system). All or nothing."""
        payload = ShipmentSyncSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            result = shipments_sync(
                tenant=request._request.tenant,  # type: ignore[attr-defined]
                records=payload.validated_data["shipments"],
                source_system=payload.validated_data["source_system"],
                by=acting_user(request._request),
            )
        except OrderSyncRefused as refused:
            problems = [{"record": p.record, "field": p.field, "reason": p.reason} for p in refused.problems[:500]]
            return Response(
                {"detail": "The batch was refused; nothing was written.", "problems": problems},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(ShipmentSyncResultSerializer(result).data)
