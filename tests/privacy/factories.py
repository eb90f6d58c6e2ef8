"""Factories of the privacy app (also used by tests/crm/test_cross_tenant_urls.py)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from privacy.models import PrivacyRequest, RequestKind, RequestStatus, RetentionKind, RetentionRule
from tests.factories import ContactFactory, TenantOwnedFactory


class PrivacyRequestFactory(TenantOwnedFactory):
    class Meta:
        model = PrivacyRequest

    kind = RequestKind.EXPORT
    status = RequestStatus.DONE
    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    contact_number = factory.SelfAttribute("contact.pk")
    contact_label = factory.SelfAttribute("contact.full_name")
    file = factory.django.FileField(filename="export.zip", data=b"PK\x05\x06" + b"\x00" * 18)


class RetentionRuleFactory(TenantOwnedFactory):
    class Meta:
        model = RetentionRule

    kind = RetentionKind.INTERACTIONS
    months = 24


PRIVACY_FACTORIES: dict[type[Model], Any] = {PrivacyRequest: PrivacyRequestFactory, RetentionRule: RetentionRuleFactory}
