"""Read-only REST endpoints for deals (writes arrive with the integrations issue)."""

from __future__ import annotations

from rest_framework import mixins, serializers

from crm.api import TenantScopedViewSet
from crm.roles import Capability
from customers.api import IdCursorPagination
from customers.deals import selectors
from customers.models import Deal


class DealSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    stage_kind = serializers.CharField(source="stage.kind", read_only=True)
    win_probability = serializers.IntegerField(source="stage.win_probability", read_only=True)
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)

    class Meta:
        model = Deal
        fields = ["id", "name", "pipeline", "pipeline_name", "stage", "stage_name", "stage_kind", "win_probability",
                  "amount", "currency", "expected_close_date", "owner", "contact", "account", "closed_at",
                  "lost_reason", "custom_fields", "version", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    selector = staticmethod(selectors.deals_for_api)
    capability = Capability.CUSTOMERS_VIEW
    serializer_class = DealSerializer
    pagination_class = IdCursorPagination
