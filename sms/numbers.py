"""Phone numbers and sender ids for SMS: E.164, read like the contact forms read them."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.normalize import normalize_phone

# Types that cannot receive a text message. FIXED_LINE_OR_MOBILE (the US, Canada, …) and UNKNOWN pass:
# the number plan cannot tell, and the gateway reports it if the number cannot take SMS.
_NOT_TEXTABLE = {
    phonenumbers.PhoneNumberType.FIXED_LINE: gettext_lazy("landline"),
    phonenumbers.PhoneNumberType.TOLL_FREE: gettext_lazy("toll-free"),
    phonenumbers.PhoneNumberType.PREMIUM_RATE: gettext_lazy("premium-rate"),
    phonenumbers.PhoneNumberType.SHARED_COST: gettext_lazy("shared-cost"),
    phonenumbers.PhoneNumberType.VOICEMAIL: gettext_lazy("voicemail"),
    phonenumbers.PhoneNumberType.UAN: gettext_lazy("company switchboard"),
}

ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def textable_number(value: str, *, region: str) -> str:
    """``value`` as E.164 if it is a valid number that can receive SMS; ValidationError saying why not."""
    if not value.strip():
        raise ValidationError(_("Enter the mobile number to text."))
    number = normalize_phone(value, region=region)  # raises ValidationError with an example number
    kind = _NOT_TEXTABLE.get(phonenumbers.number_type(phonenumbers.parse(number)))
    if kind is not None:
        raise ValidationError(
            _("%(number)s is a %(kind)s number, which cannot receive SMS. Use a mobile number.")
            % {"number": number, "kind": kind}
        )
    return number


def number_problem(value: str, *, region: str) -> str | None:
    """Why ``value`` cannot be texted, or None if it can."""
    try:
        textable_number(value, region=region)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def normalize_sender(value: str, *, region: str) -> str:
    """A sender id: an E.164 number, or 1 to 11 letters, digits and spaces with at least one letter."""
    value = value.strip()
    if not value:
        return ""
    if ALPHANUMERIC_SENDER.match(value):
        return value
    if re.fullmatch(r"[+\d][\d ()./-]*", value):
        return normalize_phone(value, region=region)
    raise ValidationError(
        _(
            "Use a phone number in international format (e.g. +14155550100) or a name of at most "
            "11 letters, digits and spaces with at least one letter (e.g. ACME)."
        )
    )
