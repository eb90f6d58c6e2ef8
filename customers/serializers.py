from __future__ import annotations

from rest_framework import serializers

from customers.models import Account, Contact


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "industry", "employees", "website", "phone", "city", "country", "owner", "parent",
                  "external_id", "source_system", "custom_fields", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "email", "phone", "title", "account", "owner", "lifecycle_stage",
                  "source", "city", "country", "email_consent", "sms_consent", "external_id", "source_system",
                  "custom_fields", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields
