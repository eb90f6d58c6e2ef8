"""Reads of the SMS app, scoped to the current tenant (and the user's record visibility)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Tenant
from crm.sorting import Page, SortOption, keyset_page
from customers.models import Contact
from sms.models import SmsCallbackRoute, SmsMessage, SmsSettings
from sms.numbers import number_problem

NEWEST_FIRST = SortOption("newest", gettext_lazy("Newest first"), ["created_at", "id"], descending=True)
PAGE_SIZE = 50


def sms_settings_for(tenant: Tenant) -> SmsSettings | None:
    return SmsSettings.objects.select_related("updated_by").filter(tenant=tenant).first()


def callback_token_for(tenant: Tenant) -> str | None:
    return SmsCallbackRoute.objects.filter(tenant=tenant).values_list("token", flat=True).first()


def messages_for_list() -> QuerySet[SmsMessage]:
    return SmsMessage.objects.select_related("contact", "sent_by")


def message_page(*, base: QuerySet[SmsMessage], cursor: str | None = None) -> Page:
    return keyset_page(base, sort=NEWEST_FIRST, cursor=cursor, size=PAGE_SIZE)


def message_for_detail() -> QuerySet[SmsMessage]:
    return SmsMessage.objects.select_related("contact", "sent_by", "interaction")


@dataclass(frozen=True)
class SmsAvailability:
    """Whether the contact page may offer "Send SMS", and if not, the reason to show."""

    can_send: bool
    reason: str = ""
    number: str = ""
    needs_setup: bool = False


def sms_availability(*, tenant: Tenant, contact: Contact) -> SmsAvailability:
    if not SmsSettings.objects.filter(tenant=tenant).exists():
        return SmsAvailability(False, _("SMS is not set up for this workspace yet."), needs_setup=True)
    if not contact.phone:
        return SmsAvailability(False, _("This contact has no mobile number."))
    problem = number_problem(contact.phone, region=tenant.country)
    if problem:
        return SmsAvailability(False, problem)
    if not contact.sms_consent:
        return SmsAvailability(False, _("This contact has not agreed to receive SMS."), number=contact.phone)
    return SmsAvailability(True, number=contact.phone)
