"""The exchange-rates page: admins set what each foreign currency is worth in the default one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.exchange_rates import selectors, services
from customers.exchange_rates.forms import ExchangeRateForm
from customers.models import ExchangeRate


@capability_required(Capability.TENANT_CONFIGURE)
def rate_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    initial = {"currency": request.GET.get("currency", "")}
    form = ExchangeRateForm(request.POST or None, initial=initial, default_currency=tenant.default_currency)
    if request.method == "POST" and form.is_valid():
        rate = services.exchange_rate_set(
            tenant=tenant,
            currency=form.cleaned_data["currency"],
            rate=form.cleaned_data["rate"],
            by=acting_user(request),
        )
        messages.success(
            request, _("Saved: %(rate)s %(default)s.") % {"rate": rate, "default": tenant.default_currency}
        )
        return redirect("exchange-rates:list")
    context = {
        "form": form,
        "rates": selectors.exchange_rates_for_admin(),
        "missing": selectors.currencies_missing_a_rate(tenant.default_currency),
        "default_currency": tenant.default_currency,
    }
    return render(request, "customers/exchange_rates/rate_list.html", context)


@object_view(ExchangeRate)
@capability_required(Capability.TENANT_CONFIGURE)
def rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    exchange_rate = get_object_for_user(ExchangeRate.objects.all(), pk)  # first: another tenant's rate is a 404
    if request.method == "POST":
        services.exchange_rate_delete(tenant=request.tenant, exchange_rate=exchange_rate, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("Rate for %(currency)s removed.") % {"currency": exchange_rate.currency})
    return redirect("exchange-rates:list")
