"""Two-factor: enrolment with a QR code, the code step after the password, backup codes, the workspace rule."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.tenancy.context import tenant_context
from security import services
from security.models import TenantSecurity
from tests.security.conftest import sign_in
from tests.security.factories import current_code, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_retry_delay(settings):
    """django-otp delays the next try after a wrong code (1 s, doubling); these tests retry at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_a_user_sets_up_an_authenticator_and_gets_backup_codes_once(alice_client, alice):
    page = alice_client.get("/security/two-factor/").content.decode()
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user=alice, confirmed=False)

    response = alice_client.post(
        "/security/two-factor/", {"code": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()

    response = alice_client.post("/security/two-factor/", {"code": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/security/two-factor/backup-codes/"
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).count() == 1

    page = alice_client.get("/security/two-factor/backup-codes/").content.decode()
    shown = re.findall(r'<li class="col py-1">(\w+)</li>', page)
    assert len(shown) == 10
    assert set(shown) == set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True))
    again = alice_client.get("/security/two-factor/backup-codes/").content.decode()
    assert not any(code in again for code in shown), "backup codes are shown only once"
    assert "10 backup codes left" in again
    assert alice_client.get("/").status_code == 200, "the session that enrolled is verified"


def test_after_the_password_a_user_with_a_device_must_enter_a_code(alice):
    device = totp_device(alice)
    client, response = sign_in(alice.email)
    assert response.status_code == 302

    response = client.get("/customers/contacts/")
    assert response.status_code == 302
    assert response["Location"] == "/security/two-factor/verify/?next=%2Fcustomers%2Fcontacts%2F"
    assert client.get("/api/v1/contacts/").status_code == 403
    assert client.get("/security/").status_code == 302

    response = client.post(
        "/security/two-factor/verify/?next=/customers/", {"code": "12345", "next": "/customers/contacts/"}
    )
    assert "That code is not right" in response.content.decode()
    assert client.get("/").status_code == 302

    response = client.post(
        "/security/two-factor/verify/", {"code": current_code(device), "next": "/customers/contacts/"}
    )
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/"
    assert client.get("/customers/contacts/").status_code == 200


def test_the_code_step_does_not_redirect_offsite(alice):
    device = totp_device(alice)
    client, _ = sign_in(alice.email)
    response = client.post(
        "/security/two-factor/verify/", {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_backup_code_signs_in_once(alice):
    totp_device(alice)
    code = services.backup_codes_regenerate(user=alice)[0]
    client, _ = sign_in(alice.email)
    response = client.post("/security/two-factor/verify/", {"code": code.upper()})
    assert response.status_code == 302 and client.get("/").status_code == 200

    client, _ = sign_in(alice.email, ip="10.0.0.9")
    response = client.post("/security/two-factor/verify/", {"code": code})
    assert "That code is not right" in response.content.decode()


def test_sign_out_stays_reachable_during_the_code_step(alice):
    totp_device(alice)
    client, _ = sign_in(alice.email)
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/auth/login/")


def test_a_workspace_that_requires_two_factor_sends_members_to_enrolment(alice, bob, tenant_a):
    with tenant_context(tenant_a.id):
        TenantSecurity.objects.create(tenant=tenant_a, require_two_factor=True)
    client, _ = sign_in(bob.email)
    response = client.get("/customers/contacts/")
    assert response.status_code == 302 and response["Location"].startswith("/security/two-factor/?next=")
    page = client.get("/security/two-factor/").content.decode()
    assert 'data-testid="two-factor-required"' in page

    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    client.post("/security/two-factor/", {"code": current_code(device)})
    assert client.get("/customers/contacts/").status_code == 200


def test_another_workspaces_rule_does_not_apply(alice, charlie, tenant_b):
    with tenant_context(tenant_b.id):
        TenantSecurity.objects.create(tenant=tenant_b, require_two_factor=True)
    client, _ = sign_in(alice.email)
    assert client.get("/customers/contacts/").status_code == 200


def test_an_admin_sets_the_policy_and_is_asked_to_enrol_first(alice_client, tenant_a):
    response = alice_client.post("/security/policy/", {"require_two_factor": "on"})
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        assert TenantSecurity.objects.get().require_two_factor is True
    assert alice_client.get("/customers/contacts/")["Location"].startswith("/security/two-factor/")


def test_only_user_managers_set_the_policy(bob_client, tenant_a):
    assert bob_client.post("/security/policy/", {"require_two_factor": "on"}).status_code == 403
    with tenant_context(tenant_a.id):
        assert not TenantSecurity.objects.filter(require_two_factor=True).exists()
    assert 'data-testid="policy-card"' not in bob_client.get("/security/").content.decode()


def test_an_admins_policy_stays_in_their_workspace(charlie_client, tenant_a, tenant_b, alice):
    charlie_client.post("/security/policy/", {"require_two_factor": "on"})
    with tenant_context(tenant_a.id):
        assert not TenantSecurity.objects.exists()
    with tenant_context(tenant_b.id):
        assert TenantSecurity.objects.get().require_two_factor is True


def test_turning_two_factor_off_asks_for_the_password(alice):
    device = totp_device(alice)
    client, _ = sign_in(alice.email)
    client.post("/security/two-factor/verify/", {"code": current_code(device)})
    response = client.post("/security/two-factor/disable/", {"password": "not-my-password"})
    assert "That is not your password." in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice).exists()

    response = client.post("/security/two-factor/disable/", {"password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_two_factor_cannot_be_turned_off_where_it_is_required(alice, tenant_a):
    device = totp_device(alice)
    with tenant_context(tenant_a.id):
        TenantSecurity.objects.create(tenant=tenant_a, require_two_factor=True)
    client, _ = sign_in(alice.email)
    client.post("/security/two-factor/verify/", {"code": current_code(device)})
    response = client.post("/security/two-factor/disable/", {"password": "correct-horse-battery-staple"})
    assert "requires two-factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_the_security_page_shows_the_two_factor_status(alice_client, alice):
    assert ">Off<" in alice_client.get("/security/").content.decode()
    totp_device(alice)
    assert ">On<" in alice_client.get("/security/").content.decode()
