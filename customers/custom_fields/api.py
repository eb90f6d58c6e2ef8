"""Read-only REST endpoint listing the tenant's custom fields, so integrations know each key's type
and choices before they send values."""

from __future__ import annotations

from rest_framework import mixins, serializers

from crm.api import TenantScopedViewSet
from crm.roles import Capability
from customers.custom_fields import selectors
from customers.models import CustomField


class CustomFieldSerializer(serializers.ModelSerializer):
    archived = serializers.SerializerMethodField()

    class Meta:
        model = CustomField
        fields = ["id", "entity", "key", "label", "field_type", "choices", "required", "help_text", "position",
                  "archived"]  # fmt: skip
        read_only_fields = fields

    def get_archived(self, field: CustomField) -> bool:
        return field.archived_at is not None


class CustomFieldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    selector = staticmethod(selectors.custom_fields_for_admin)
    capability = Capability.CUSTOMERS_VIEW
    serializer_class = CustomFieldSerializer
    pagination_class = None  # a handful per tenant
