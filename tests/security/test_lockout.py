"""Login throttling: a user+IP pair is locked out after the failure limit, for the cool-off only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from crm.tenancy.context import tenant_context
from tests.conftest import PASSWORD
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db


def fail(email: str, times: int, ip: str = "10.0.0.1") -> int:
    """Wrong passwords; the status of the last answer (429 once the limit is reached)."""
    status = 0
    for _ in range(times):
        _, response = sign_in(email, ip=ip, password="wrong-password")
        status = response.status_code
    return status


def test_the_failure_limit_locks_the_user_out_from_that_ip_and_says_when_to_retry(alice):
    assert fail(alice.email, settings.AXES_FAILURE_LIMIT - 1) == 200
    client, response = sign_in(alice.email)  # still below the limit: the right password works
    assert response.status_code == 302
    assert fail(alice.email, settings.AXES_FAILURE_LIMIT) == 429  # the limit-th failure locks

    client, response = sign_in(alice.email)  # the right password, but locked out
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins. Try again in 15 minutes" in page
    assert 'name="username"' in page  # the sign-in form is still there
    assert "_auth_user_id" not in client.session


def test_the_same_user_from_another_ip_still_gets_in(alice):
    fail(alice.email, settings.AXES_FAILURE_LIMIT, ip="10.0.0.1")
    _, response = sign_in(alice.email, ip="10.0.0.1")
    assert response.status_code == 429
    client, response = sign_in(alice.email, ip="192.0.2.7")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_another_user_from_the_locked_ip_still_gets_in(alice, bob):
    fail(alice.email, settings.AXES_FAILURE_LIMIT)
    _, response = sign_in(bob.email)
    assert response.status_code == 302


def test_email_case_does_not_dodge_the_lockout(alice):
    fail(alice.email.upper(), settings.AXES_FAILURE_LIMIT)
    _, response = sign_in(alice.email)
    assert response.status_code == 429


def test_the_lockout_ends_after_the_cool_off(alice):
    fail(alice.email, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    _, response = sign_in(alice.email)
    assert response.status_code == 302


def test_the_test_clients_login_still_works_without_a_request(alice):
    assert Client().login(username=alice.email, password=PASSWORD)


def test_an_admin_sees_and_unlocks_a_locked_member(alice_client, bob, tenant_a):
    fail(bob.email, settings.AXES_FAILURE_LIMIT)
    page = alice_client.get("/security/").content.decode()
    assert 'data-testid="lockout-row"' in page and bob.email in page

    response = alice_client.post("/security/lockouts/unlock/", {"username": bob.email})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=bob.email).exists()
    _, response = sign_in(bob.email)
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        assert AuditEvent.objects.filter(object_id=bob.email, action="setting_change").exists()


def test_an_admin_cannot_unlock_another_workspaces_member(charlie_client, bob):
    fail(bob.email, settings.AXES_FAILURE_LIMIT)
    response = charlie_client.post("/security/lockouts/unlock/", {"username": bob.email})
    assert response.status_code == 404
    assert AccessAttempt.objects.filter(username=bob.email).exists()
    assert bob.email not in charlie_client.get("/security/").content.decode()


def test_a_member_without_user_management_cannot_unlock(bob_client, alice):
    fail(alice.email, settings.AXES_FAILURE_LIMIT)
    response = bob_client.post("/security/lockouts/unlock/", {"username": alice.email})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username=alice.email).exists()
    assert 'data-testid="lockouts-card"' not in bob_client.get("/security/").content.decode()
