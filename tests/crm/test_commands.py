"""Management commands of the tenancy core."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crm.models import Membership
from crm.roles import Role


@pytest.mark.django_db
def test_create_tenant_makes_a_workspace_whose_admin_can_sign_in():
    out = io.StringIO()
    call_command(
        "create_tenant", "Initech", "--admin-email", "Bill@Initech.example", "--currency", "eur",
        "--time-zone", "Europe/Berlin", "--country", "de", stdout=out,
    )  # fmt: skip
    assert "Tenant 'Initech'" in out.getvalue()
    password = out.getvalue().split("Password: ")[1].strip()
    membership = Membership.objects.select_related("tenant", "user").get(user__email="bill@initech.example")
    assert membership.role == Role.ADMIN
    assert (membership.tenant.default_currency, membership.tenant.time_zone, membership.tenant.country) == (
        "EUR",
        "Europe/Berlin",
        "DE",
    )
    assert Client().login(username="bill@initech.example", password=password)


@pytest.mark.django_db
def test_create_tenant_rejects_a_bad_email():
    with pytest.raises(CommandError, match="is not a valid email address"):
        call_command("create_tenant", "Initech", "--admin-email", "not-an-email")


@pytest.mark.django_db
def test_create_tenant_names_the_bad_option():
    with pytest.raises(CommandError, match="time_zone: Mars/Olympus is not a known time zone"):
        call_command("create_tenant", "Initech", "--admin-email", "bill@initech.example", "--time-zone", "Mars/Olympus")
    assert not Membership.objects.filter(user__email="bill@initech.example").exists()
