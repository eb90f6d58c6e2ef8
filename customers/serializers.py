from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Account, Contact
from workspace import field_access


class AccountSerializer(serializers.ModelSerializer):
    def to_representation(self, instance: Account) -> dict[str, Any]:
        data = super().to_representation(instance)  # without fields hidden from the caller's role:
        return field_access.redact(data, self.context.get("request"), field_access.ACCOUNT)

    class Meta:
        model = Account
        fields = ["id", "name", "industry", "employees", "website", "phone", "city", "country", "owner", "parent",
                  "external_id", "source_system", "custom_fields", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ContactScoreSerializer(serializers.Serializer):
    """The contact's current scores with their reasons (analytics.ContactScore), or null before a run."""

    churn_probability = serializers.FloatField(allow_null=True)
    risk_band = serializers.CharField()
    predicted_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    r_score = serializers.IntegerField(allow_null=True)
    f_score = serializers.IntegerField(allow_null=True)
    m_score = serializers.IntegerField(allow_null=True)
    rfm_segment = serializers.CharField()
    cluster = serializers.IntegerField(allow_null=True)
    reasons = serializers.JSONField(allow_null=True)
    run = serializers.IntegerField(source="run_id")
    scored_at = serializers.DateTimeField()


class ContactSerializer(serializers.ModelSerializer):
    scores = serializers.SerializerMethodField()

    def to_representation(self, instance: Contact) -> dict[str, Any]:
        data = super().to_representation(instance)  # without fields hidden from the caller's role:
        return field_access.redact(data, self.context.get("request"), field_access.CONTACT)

    @extend_schema_field(ContactScoreSerializer(allow_null=True))
    def get_scores(self, contact: Contact) -> dict[str, Any] | None:
        try:
            score = contact.score  # type: ignore[attr-defined]  # reverse one-to-one of analytics.ContactScore
        except ObjectDoesNotExist:
            return None
        return ContactScoreSerializer(score).data

    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "email", "phone", "title", "account", "owner", "lifecycle_stage",
                  "source", "city", "country", "email_consent", "sms_consent", "external_id", "source_system",
                  "custom_fields", "created_at", "updated_at", "scores"]  # fmt: skip
        read_only_fields = fields
