"""How the page names each ``<record type>.<field>`` key a run counts."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COMPLETENESS_LABELS: dict[str, Promise] = {
    "contact.email": _("Email"),
    "contact.phone": _("Phone"),
    "contact.account": _("Account"),
    "contact.owner": _("Owner"),
    "contact.city": _("City"),
    "contact.country": _("Country"),
    "contact.birthday": _("Birthday"),
    "contact.consent": _("Consent given (email or SMS)"),
    "account.industry": _("Industry"),
    "account.employees": _("Employees"),
    "account.website": _("Website"),
    "account.country": _("Country"),
}

# Fields a run checks: normalised and/or flagged.
CHECKED_LABELS: dict[str, Promise] = {
    "contact.email": _("Contact email"),
    "contact.phone": _("Contact phone"),
    "contact.country": _("Contact country"),
    "contact.first_name": _("Contact first name"),
    "contact.last_name": _("Contact last name"),
    "account.name": _("Account name"),
    "account.phone": _("Account phone"),
    "account.country": _("Account country"),
}

# Fields that can hold a value the run cannot fix (names can always be tidied).
FLAGGABLE = ["contact.email", "contact.phone", "contact.country", "account.phone", "account.country"]
