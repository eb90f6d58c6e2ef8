"""Factories for the mail app (also used by tests/crm/test_cross_tenant_urls.py through MAIL_FACTORIES)."""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

import factory

from mail.models import EmailTemplate, OutboundEmail
from tests.factories import ContactFactory, InteractionFactory, TenantOwnedFactory


class EmailTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "Hello {{ contact.first_name }}"
    body = "Hi {{ contact.first_name }},\n\nBest,\n{{ user.full_name }}"


class OutboundEmailFactory(TenantOwnedFactory):
    class Meta:
        model = OutboundEmail

    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    interaction = factory.SubFactory(
        InteractionFactory,
        tenant=factory.SelfAttribute("..tenant"),
        contact=factory.SelfAttribute("..contact"),
        kind="email",
        subject="Our proposal",
    )
    from_header = "Acme Sales <sales@acme.example>"
    to = factory.LazyAttribute(lambda email: [email.contact.email])
    subject = "Our proposal"
    body = "Please find our proposal."
    message_id = factory.LazyFunction(lambda: make_msgid(domain="acme.example"))


MAIL_FACTORIES: dict[Any, Any] = {EmailTemplate: EmailTemplateFactory, OutboundEmail: OutboundEmailFactory}
