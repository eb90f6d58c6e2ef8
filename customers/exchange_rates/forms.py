from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("Three letters, e.g. EUR."))
    rate = forms.DecimalField(label=_("Rate"), max_digits=18, decimal_places=8, min_value=Decimal("0.00000001"))

    def __init__(self, *args: object, default_currency: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.default_currency = default_currency
        self.fields["rate"].help_text = _("What one unit of this currency is worth in %(default)s.") % {
            "default": default_currency
        }

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Use a three-letter ISO currency code, e.g. EUR or CNY."))
        if currency == self.default_currency:
            raise forms.ValidationError(
                _("%(currency)s is the workspace's default currency; its rate is always 1.") % {"currency": currency}
            )
        return currency
