"""The communication log over the REST API: read everything, create through interaction_log."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from crm.models import User
from customers.models import Account, Contact, Deal
from interactions.models import CallOutcome, Direction, Interaction, InteractionKind, SocialChannel


class InteractionSerializer(serializers.ModelSerializer):
    attachment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "kind", "direction", "channel", "occurred_at", "duration_seconds", "outcome", "subject",
                  "body", "contact", "account", "deal", "participant_contacts", "participant_users", "logged_by",
                  "attachment_count", "created_at"]  # fmt: skip
        read_only_fields = fields


class InteractionCreateSerializer(serializers.Serializer):
    """Parses a new interaction. Related ids resolve through the scoped managers (passed as managers,
    so DRF calls .all() per request, inside the tenant): another tenant's id "does not exist"."""

    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTBOUND)
    channel = serializers.ChoiceField(choices=SocialChannel.choices, required=False, default="")
    occurred_at = serializers.DateTimeField(required=False, default=None)
    duration_seconds = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                    help_text=f"For calls one of: {', '.join(CallOutcome.values)}")  # fmt: skip
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects, required=False, allow_null=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects, required=False, allow_null=True)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects, required=False, allow_null=True)
    participant_contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects, many=True, required=False)
    # Users are not tenant rows; interaction_log refuses anyone who is not a member of the workspace.
    participant_users = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("contact") or attrs.get("account") or attrs.get("deal")):
            raise serializers.ValidationError({"contact": "Give a contact, an account or a deal."})
        return attrs
