"""factory_boy factories of the SMS app (tests/crm/test_cross_tenant_urls.py uses SMS_FACTORIES)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from sms.models import SmsDirection, SmsMessage, SmsStatus
from tests.factories import ContactFactory, TenantOwnedFactory


class SmsMessageFactory(TenantOwnedFactory):
    class Meta:
        model = SmsMessage

    direction = SmsDirection.OUTBOUND
    status = SmsStatus.SENT
    contact = factory.SubFactory(
        ContactFactory, tenant=factory.SelfAttribute("..tenant"), phone="+4915112345678", sms_consent=True
    )
    to_number = "+4915112345678"
    from_number = "ACME"
    body = "Your order has shipped."


SMS_FACTORIES: dict[type[Model], Any] = {SmsMessage: SmsMessageFactory}
