"""Invitations: sent by email with a signed, expiring, single-use link; accepted by new and existing people."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Membership, TeamMember, User
from crm.roles import Role
from crm.tenancy.context import tenant_context
from tests.conftest import PASSWORD, client_for
from tests.factories import TeamFactory
from workspace.models import Invitation, TenantProfile
from workspace.services import INVITATION_SALT

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def invite(alice_client: Client, eager_tasks: None, django_capture_on_commit_callbacks: Any) -> Any:
    """Invite an address through the users page; returns the link in the email sent."""

    def send(email: str, role: str = Role.SALES, **extra: Any) -> str:
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = alice_client.post(reverse("workspace:invite"), {"email": email, "role": role, **extra})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert len(mail.outbox) == before + 1
        return last_link(email.lower())

    return send


def last_link(email: str) -> str:
    message = mail.outbox[-1]
    assert message.to == [email]
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_new_person_accepts_with_name_and_password(invite, tenant_a, alice):
    team = TeamFactory(tenant=tenant_a, name="EMEA")
    with tenant_context(tenant_a.id):
        TenantProfile.objects.create(tenant=tenant_a, legal_name="Acme Corp. Ltd.", support_email="help@acme.example")
    link = invite("New.Person@Example.net", role=Role.SERVICE, teams=[team.pk])
    assert "Acme Corporation" in mail.outbox[-1].subject
    assert "Acme Corp. Ltd." in mail.outbox[-1].body and "help@acme.example" in mail.outbox[-1].body

    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "new.person@example.net" in page.content.decode()

    response = visitor.post(link, {"full_name": "Nia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    user = User.objects.get(email="new.person@example.net")
    assert user.full_name == "Nia New" and user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user, tenant=tenant_a)
    assert membership.role == Role.SERVICE and membership.is_active
    with tenant_context(tenant_a.id):
        assert TeamMember.objects.filter(user=user, team=team).exists()
        assert Invitation.objects.get().accepted_by == user
    assert visitor.get(reverse("dashboard")).status_code == 200  # signed in, in the workspace


def test_a_link_works_once(invite, tenant_a):
    link = invite("once@example.net")
    Client().post(link, {"full_name": "Once", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    again = Client().post(link, {"full_name": "Twice", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert User.objects.filter(email="once@example.net").count() == 1


def test_an_expired_invitation_is_refused(invite, tenant_a):
    link = invite("late@example.net")
    with tenant_context(tenant_a.id):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().post(link, {"full_name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="late@example.net").exists()


def test_a_link_older_than_seven_days_is_refused_by_its_signature(tenant_a, alice):
    with tenant_context(tenant_a.id):
        invitation = Invitation.objects.create(
            tenant=tenant_a, email="old@example.net", role=Role.SALES, nonce_hash="x" * 64,
            expires_at=timezone.now() + timedelta(days=30),
        )  # fmt: skip
    signer = signing.TimestampSigner(salt=INVITATION_SALT)
    stale = signer.sign_object({"t": tenant_a.id, "i": invitation.pk, "n": "x"})
    # Re-sign with a timestamp eight days ago, as a week-old email's link would be.
    value = stale.rsplit(":", 2)[0]
    old_ts = signing.b62_encode(int((timezone.now() - timedelta(days=8)).timestamp()))
    token = f"{value}:{old_ts}:{signer.signature(f'{value}:{old_ts}')}"
    response = Client().get(reverse("workspace:invitation-accept", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_resending_replaces_the_link(invite, alice_client, tenant_a, django_capture_on_commit_callbacks):
    first = invite("twice@example.net")
    with tenant_context(tenant_a.id):
        invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("workspace:invitation-resend", args=[invitation.pk]))
    assert response.status_code == 302
    second = last_link("twice@example.net")
    assert first != second
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 200


def test_a_revoked_invitation_cannot_be_accepted(invite, alice_client, tenant_a):
    link = invite("gone@example.net")
    with tenant_context(tenant_a.id):
        invitation = Invitation.objects.get()
    alice_client.post(reverse("workspace:invitation-revoke", args=[invitation.pk]))
    response = Client().post(link, {"full_name": "Gone", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert not User.objects.filter(email="gone@example.net").exists()


def test_a_tampered_or_cross_tenant_token_is_refused(invite, tenant_a, tenant_b):
    link = invite("someone@example.net")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert Client().get(link.replace(token, token[:-2] + "xx")).status_code == 410
    with tenant_context(tenant_a.id):
        invitation = Invitation.objects.get()
    # Even a validly signed payload naming another tenant finds nothing there.
    forged = signing.dumps({"t": tenant_b.id, "i": invitation.pk, "n": "anything"}, salt=INVITATION_SALT)
    response = Client().get(reverse("workspace:invitation-accept", args=[forged]))
    assert response.status_code == 410
    assert "someone@example.net" not in response.content.decode()


def test_weak_password_is_refused_next_to_the_field(invite):
    link = invite("weak@example.net")
    response = Client().post(link, {"full_name": "Weak", "password1": "password", "password2": "password"})
    assert response.status_code == 422
    assert 'id="error_1_id_password1"' in response.content.decode()
    assert not User.objects.filter(email="weak@example.net").exists()


def test_an_existing_user_signs_in_and_joins(invite, tenant_a, charlie):
    link = invite(charlie.email, role=Role.MARKETING)
    anonymous = Client().get(link)
    assert anonymous.status_code == 200 and reverse("login") in anonymous.content.decode()
    assert not Membership.objects.filter(user=charlie, tenant=tenant_a).exists()

    response = client_for(charlie).post(link)
    assert response.status_code == 302
    assert Membership.objects.get(user=charlie, tenant=tenant_a).role == Role.MARKETING
    assert User.objects.get(pk=charlie.pk).check_password(PASSWORD)  # nothing about the account changed


def test_signed_in_as_someone_else_is_told_so(invite, bob):
    link = invite("other@example.net")
    response = client_for(bob).post(link)
    assert response.status_code == 200
    assert "other@example.net" in response.content.decode() and bob.email in response.content.decode()
    assert not User.objects.filter(email="other@example.net").exists()


def test_inviting_a_member_is_refused(alice_client, bob, tenant_a):
    response = alice_client.post(reverse("workspace:invite"), {"email": bob.email, "role": Role.SALES})
    assert response.status_code == 422
    assert "already a member" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not Invitation.objects.exists()


def test_another_tenants_admin_cannot_touch_invitations(invite, charlie_client, tenant_a):
    invite("private@example.net")
    with tenant_context(tenant_a.id):
        invitation = Invitation.objects.get()
    for name in ("workspace:invitation-resend", "workspace:invitation-revoke"):
        assert charlie_client.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert "private@example.net" not in charlie_client.get(reverse("workspace:users")).content.decode()
    with tenant_context(tenant_a.id):
        assert Invitation.objects.get().revoked_at is None


def test_roles_without_user_management_get_403(bob_client, tenant_a):
    assert bob_client.get(reverse("workspace:users")).status_code == 403
    assert bob_client.post(reverse("workspace:invite"), {"email": "x@example.net", "role": "admin"}).status_code == 403
    with tenant_context(tenant_a.id):
        assert not Invitation.objects.exists()
