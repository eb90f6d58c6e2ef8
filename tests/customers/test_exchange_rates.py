"""Money in several currencies: the forecast converts at the admin's exchange rates and never adds
up amounts of a currency it has no rate for."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_context
from customers.deals.selectors import weighted_forecast
from customers.models import ExchangeRate
from tests.factories import DealFactory, ExchangeRateFactory, StageFactory


@pytest.fixture
def proposal(tenant_a):
    return StageFactory(tenant=tenant_a, name="Proposal", win_probability=50)


def deal(tenant, stage, amount: str, currency: str) -> None:
    DealFactory(tenant=tenant, stage=stage, pipeline=stage.pipeline, owner=None, amount=Decimal(amount),
                currency=currency, expected_close_date=date(2026, 3, 20))  # fmt: skip


@pytest.mark.django_db
def test_the_forecast_converts_foreign_deals_and_sets_apart_those_without_a_rate(tenant_a, proposal):
    deal(tenant_a, proposal, "1000", "USD")
    deal(tenant_a, proposal, "1000", "EUR")
    deal(tenant_a, proposal, "3000", "GBP")
    deal(tenant_a, proposal, "1000", "GBP")
    ExchangeRateFactory(tenant=tenant_a, currency="EUR", rate=Decimal("1.10"))
    with tenant_context(tenant_a.id):
        forecast = weighted_forecast(currency="USD", today=date(2026, 3, 1))
    assert forecast.total == Decimal("1050.00")  # 500 USD + 500 EUR at 1.10
    [gbp] = forecast.left_out
    assert (gbp.currency, gbp.deals, gbp.weighted) == ("GBP", 2, Decimal("2000.00"))


@pytest.mark.django_db
def test_the_forecast_page_says_which_deals_are_left_out_and_where_to_fix_it(alice_client, tenant_a, proposal):
    deal(tenant_a, proposal, "3000", "GBP")
    page = alice_client.get("/deals/forecast/").content.decode()
    assert "1 open deal in GBP (weighted 1,500.00 GBP) is left out: there is no GBP exchange rate." in page
    assert 'href="/workspace/exchange-rates/"' in page
    rates = alice_client.get("/workspace/exchange-rates/").content.decode()
    assert 'href="?currency=GBP"' in rates  # offered as a currency still missing a rate


@pytest.mark.django_db
def test_an_admin_sets_and_replaces_a_rate(alice_client, tenant_a):
    alice_client.post("/workspace/exchange-rates/", {"currency": "eur", "rate": "1.08"})
    alice_client.post("/workspace/exchange-rates/", {"currency": "EUR", "rate": "1.12"})
    with tenant_context(tenant_a.id):
        assert list(ExchangeRate.objects.values_list("currency", "rate")) == [("EUR", Decimal("1.12000000"))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"currency": "EURO", "rate": "1"}, "Ensure this value has at most 3 characters"),
        ({"currency": "E1", "rate": "1"}, "Use a three-letter ISO currency code"),
        ({"currency": "USD", "rate": "1"}, "USD is the workspace&#x27;s default currency; its rate is always 1."),
        ({"currency": "EUR", "rate": "0"}, "Ensure this value is greater than or equal to 1E-8."),
        ({"currency": "EUR", "rate": "abc"}, "Enter a number."),
    ],
)
def test_bad_rates_are_refused_with_the_reason(alice_client, tenant_a, data, error):
    response = alice_client.post("/workspace/exchange-rates/", data)
    assert error in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_only_admins_manage_rates(bob_client, tenant_a):
    assert bob_client.get("/workspace/exchange-rates/").status_code == 403
    assert bob_client.post("/workspace/exchange-rates/", {"currency": "EUR", "rate": "1"}).status_code == 403


@pytest.mark.django_db
def test_removing_a_rate(alice_client, tenant_a):
    rate = ExchangeRateFactory(tenant=tenant_a)
    alice_client.post(f"/workspace/exchange-rates/{rate.pk}/delete/")
    with tenant_context(tenant_a.id):
        assert not ExchangeRate.objects.exists()
