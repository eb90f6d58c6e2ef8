"""Orders through the REST API: read, create and correct one order, and the ERP sync of many at once."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crm.access import acting_user
from crm.api import TenantScopedViewSet
from crm.idempotency.api import idempotent
from crm.roles import Capability
from customers import services
from customers.forms import OrderForm
from customers.models import Contact, Order
from customers.orders_sync import MAX_ORDERS, OrderSyncRefused, orders_sync


class OrderSerializer(serializers.ModelSerializer):
    contact = serializers.PrimaryKeyRelatedField(read_only=True)  # writes go through OrderForm

    class Meta:
        model = Order
        fields = ["id", "contact", "account", "ordered_at", "amount", "currency", "status", "external_id",
                  "source_system", "created_at"]  # fmt: skip
        read_only_fields = ["id", "account", "created_at"]


class OrderSyncSerializer(serializers.Serializer):
    source_system = serializers.CharField(max_length=50)
    create_missing_contacts = serializers.BooleanField(default=False)
    orders = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_ORDERS)


class OrderSyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    contacts_created = serializers.IntegerField()


class OrderPagination(CursorPagination):
    ordering = "-id"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


def orders_for_api() -> QuerySet[Order]:
    return Order.objects.all()


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Orders (purchases). `?contact=<id>` and `?external_id=&source_system=` narrow the list."""

    selector = staticmethod(orders_for_api)
    capability = Capability.CUSTOMERS_VIEW
    write_capability = Capability.CUSTOMERS_EDIT
    serializer_class = OrderSerializer
    pagination_class = OrderPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def filter_queryset(self, queryset: QuerySet[Order]) -> QuerySet[Order]:
        params = self.request.query_params
        if params.get("contact", "").isdigit():
            queryset = queryset.filter(contact_id=int(params["contact"]))
        if params.get("external_id"):
            queryset = queryset.filter(external_id=params["external_id"], source_system=params.get("source_system", ""))
        return queryset

    def _form(self, request: Request, order: Order | None) -> OrderForm:
        tenant = request._request.tenant  # type: ignore[attr-defined]
        contact = order.contact if order else None
        if order is None:
            contact_id = request.data.get("contact")
            contact = Contact.objects.filter(pk=contact_id).first() if str(contact_id).isdigit() else None
            if contact is None:
                raise ValidationError({"contact": ["Required: the id of a contact you can see."]})
        data = {name: request.data.get(name, getattr(order, name, "") if order else "")
                for name in OrderForm.Meta.fields}  # fmt: skip
        if order is not None and "ordered_at" not in request.data:
            data["ordered_at"] = order.ordered_at.isoformat()
        form = OrderForm(data, instance=order, tenant=tenant, contact=contact)
        if not form.is_valid():
            raise ValidationError({name: [error["message"] for error in errors]
                                   for name, errors in form.errors.get_json_data().items()})  # fmt: skip
        return form

    @extend_schema(request=OrderSerializer, responses={201: OrderSerializer, 400: OpenApiResponse()})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self._form(request, None)
        contact = form.contact
        assert contact is not None  # _form refuses a request without a visible contact
        order = services.order_create(tenant=request._request.tenant, contact=contact,  # type: ignore[attr-defined]
                                      data=form.cleaned_data, by=acting_user(request._request))  # fmt: skip
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrderSerializer, responses={200: OrderSerializer, 400: OpenApiResponse()})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        form = self._form(request, order)
        saved = services.order_update(tenant=request._request.tenant, order=order,  # type: ignore[attr-defined]
                                      data=form.cleaned_data, by=acting_user(request._request))  # fmt: skip
        return Response(self.get_serializer(saved).data)

    @extend_schema(request=OrderSyncSerializer, responses={200: OrderSyncResultSerializer, 400: OpenApiResponse()})
    @action(detail=False, methods=["post"], url_path="sync")
    def sync(self, request: Request) -> Response:
        """ERP sync: upsert up to 10,000 orders by `external_id` within `source_system` (docs/erp-oa-scm-sync.md).
        The batch is all or nothing: any wrong record refuses it, every problem listed by record and field."""
        payload = OrderSyncSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            result = orders_sync(
                tenant=request._request.tenant,  # type: ignore[attr-defined]
                records=payload.validated_data["orders"],
                source_system=payload.validated_data["source_system"],
                create_missing_contacts=payload.validated_data["create_missing_contacts"],
                by=acting_user(request._request),
            )
        except OrderSyncRefused as refused:
            problems = [{"record": p.record, "field": p.field, "reason": p.reason} for p in refused.problems[:500]]
            return Response({"detail": "The batch was refused; nothing was written.", "problems": problems},
                            status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
        return Response(OrderSyncResultSerializer(result).data)
