"""Tickets and their messages over the REST API."""

from __future__ import annotations

from rest_framework import serializers

from crm.models import User
from customers.models import Account, Contact, Deal, Order
from service_desk.models import (
    MessageKind,
    Queue,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "number", "subject", "description", "status", "priority", "channel", "queue", "assignee",
                  "contact", "account", "deal", "order", "category", "tags", "requester_email", "merged_into",
                  "created_at", "updated_at", "first_responded_at", "solved_at", "closed_at", "version"]  # fmt: skip
        read_only_fields = fields


class TicketCreateSerializer(serializers.Serializer):
    """A new ticket. Related ids resolve through the scoped managers: another tenant's id "does not exist"."""

    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects, required=False, allow_null=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects, required=False, allow_null=True)
    requester_email = serializers.EmailField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=TicketChannel.choices, default=TicketChannel.API)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, default=TicketPriority.NORMAL)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects, required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)


class TicketUpdateSerializer(serializers.Serializer):
    """A partial update: only the fields sent change. With ``version`` it is refused (409) if the ticket
    was saved since; ``status`` moves through the recorded status history."""

    version = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    subject = serializers.CharField(max_length=255, required=False)
    priority = serializers.ChoiceField(choices=TicketPriority.choices, required=False)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects, required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    category = serializers.CharField(required=False, allow_blank=True, max_length=60)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects, required=False, allow_null=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects, required=False, allow_null=True)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects, required=False, allow_null=True)
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects, required=False, allow_null=True)


class TicketAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketAttachment
        fields = ["id", "filename", "content_type", "size"]
        read_only_fields = fields


class TicketMessageSerializer(serializers.ModelSerializer):
    attachments = TicketAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "kind", "author_user", "author_contact", "from_address", "body_text", "created_at",
                  "attachments"]  # fmt: skip
        read_only_fields = fields


class TicketMessageCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(MessageKind.REPLY, MessageKind.REPLY.label), (MessageKind.NOTE, MessageKind.NOTE.label)]
    )
    body_text = serializers.CharField()
