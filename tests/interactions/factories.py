"""Factories for the communication log's own tables (Interaction's factory is in tests/factories.py)."""

from __future__ import annotations

import factory

from interactions.models import InteractionAttachment
from tests.factories import InteractionFactory, TenantOwnedFactory


class InteractionAttachmentFactory(TenantOwnedFactory):
    class Meta:
        model = InteractionAttachment

    interaction = factory.SubFactory(InteractionFactory, tenant=factory.SelfAttribute("..tenant"))
    file = factory.django.FileField(filename="minutes.txt", data=b"Minutes of the meeting")
    filename = "minutes.txt"
    content_type = "text/plain"
    size = 22
