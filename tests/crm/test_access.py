"""Signing in, workspaces, roles and the clear answers to bad requests."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm.models import Membership, Tenant
from crm.roles import CAPABILITIES, Capability, Role, role_can
from crm.tenancy.context import current_tenant_id
from tests.conftest import PASSWORD, client_for
from tests.factories import ContactFactory, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/customers/contacts/")
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/customers/contacts/"


@pytest.mark.django_db
def test_sign_in_with_email_in_any_case_lands_on_the_dashboard(alice):
    client = Client()
    response = client.post("/auth/login/", {"username": "ALICE@acme.example", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"Admin dashboard" in response.content
    assert b"Acme Corporation" in response.content


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(alice):
    response = Client().post("/auth/login/", {"username": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct email address and password" in response.content


@pytest.mark.django_db
def test_the_analyst_sees_a_read_only_dashboard(bob_client):
    response = bob_client.get("/")
    assert b"Analyst dashboard" in response.content
    assert b"Read-only access" in response.content


@pytest.mark.django_db
@pytest.mark.urls("tests.crm.urls_capability")
def test_a_role_without_the_capability_gets_403_and_one_with_it_gets_through(alice_client, bob_client):
    denied = bob_client.get("/edit/")
    assert denied.status_code == 403
    assert b"have access to this" in denied.content
    assert alice_client.get("/edit/").content == b"edited"


def test_the_capability_map_lets_the_analyst_run_models_but_change_no_records():
    analyst = CAPABILITIES[Role.ANALYST]
    assert not any(cap.endswith((".edit", ".delete", ".configure", ".manage")) for cap in analyst)
    assert Capability.ANALYTICS_RUN in analyst  # issue 6: "Run now" for admins and analysts
    assert role_can(Role.ADMIN, Capability.USERS_MANAGE)
    assert not role_can(Role.SALES, Capability.USERS_MANAGE)
    assert role_can(Role.SERVICE, Capability.TICKETS_EDIT) and not role_can(Role.SALES, Capability.TICKETS_EDIT)


@pytest.mark.django_db
def test_a_user_without_any_workspace_gets_a_clear_403():
    client = client_for(UserFactory(email="nobody@example.com"))
    response = client.get("/")
    assert response.status_code == 403
    assert b"You are not a member of any active workspace" in response.content


@pytest.mark.django_db
def test_an_inactive_membership_grants_nothing(alice, alice_client):
    Membership.objects.filter(user=alice).update(is_active=False)
    response = alice_client.get("/customers/contacts/")
    assert response.status_code == 403
    assert b"not a member of any active workspace" in response.content


@pytest.mark.django_db
def test_an_inactive_tenant_is_not_reachable(alice, alice_client, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    assert alice_client.get("/").status_code == 403


@pytest.mark.django_db
def test_a_disabled_user_is_signed_out(alice, alice_client):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = alice_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


@pytest.mark.django_db
def test_switching_workspace_shows_the_other_tenants_data(alice, tenant_a, tenant_b):
    MembershipFactory(user=alice, tenant=tenant_b, role=Role.SALES)
    ContactFactory(tenant=tenant_a, first_name="Ada", last_name="Acmeson")
    ContactFactory(tenant=tenant_b, first_name="Gus", last_name="Globexer")
    client = client_for(alice)
    assert b"Acmeson" in client.get("/customers/contacts/").content

    target = Membership.objects.get(user=alice, tenant=tenant_b)
    response = client.post(reverse("switch-workspace"), {"membership": target.pk}, follow=True)
    assert b"Switched to Globex" in response.content
    assert b"Sales dashboard" in response.content
    page = client.get("/customers/contacts/").content
    assert b"Globexer" in page and b"Acmeson" not in page


@pytest.mark.django_db
def test_switching_to_someone_elses_membership_is_a_404(alice_client, charlie):
    charlies = Membership.objects.get(user=charlie)
    assert alice_client.post(reverse("switch-workspace"), {"membership": charlies.pk}).status_code == 404
    assert alice_client.post(reverse("switch-workspace"), {"membership": "x"}).status_code == 404


@pytest.mark.django_db
def test_a_post_without_csrf_token_gets_a_friendly_403(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("switch-workspace"), {"membership": 1})
    assert response.status_code == 403
    assert b"This form has expired" in response.content


@pytest.mark.django_db
def test_an_unknown_page_gets_the_friendly_404(alice_client):
    response = alice_client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"find that page" in response.content


@pytest.mark.django_db
def test_the_request_leaves_no_tenant_behind(alice_client):
    alice_client.get("/")
    assert current_tenant_id() is None


@pytest.mark.django_db
def test_global_search_finds_only_this_tenants_records(alice_client, tenant_a, tenant_b):
    ContactFactory(tenant=tenant_a, first_name="Zelda", last_name="Ours", email="zelda@ours.example")
    ContactFactory(tenant=tenant_b, first_name="Zelda", last_name="Theirs", email="zelda@theirs.example")
    page = alice_client.get("/search/", {"q": "zel"}).content.decode()
    assert "Zelda Ours" in page and "Theirs" not in page


@pytest.mark.django_db
def test_the_contact_list_does_not_query_per_row(alice_client, tenant_a, alice, django_assert_max_num_queries):
    ContactFactory.create_batch(30, tenant=tenant_a, owner=alice)
    # Session, user, membership, custom fields (filters and sort menu), contacts, saved views, the segments
    # offered under More filters, and the tenant-setting statements, the bell's unread count and the
    # "My tasks" overdue badge: none of them per row.
    with django_assert_max_num_queries(14):
        response = alice_client.get("/customers/contacts/")
    assert response.content.count(b"/customers/contacts/") >= 30


@pytest.mark.django_db
def test_signup_creates_a_workspace_with_its_admin(settings):
    settings.SIGNUP_ENABLED = True
    client = Client()
    response = client.post(
        "/signup/",
        {"company_name": "Initech", "full_name": "Peter G", "email": "peter@initech.example", "password": PASSWORD},
        follow=True,
    )
    assert b"Your workspace Initech is ready" in response.content
    membership = Membership.objects.get(user__email="peter@initech.example")
    assert membership.role == Role.ADMIN and membership.tenant.name == "Initech"


@pytest.mark.django_db
def test_signup_explains_what_is_wrong(settings, alice):
    settings.SIGNUP_ENABLED = True
    response = Client().post(
        "/signup/", {"company_name": "", "full_name": "X", "email": alice.email, "password": "short"}
    )
    body = response.content.decode()
    assert "This field is required." in body
    assert "An account with this email already exists" in body
    assert "This password is too short" in body
    assert not Tenant.objects.filter(name="").exists()


@pytest.mark.django_db
def test_signup_can_be_turned_off(settings):
    settings.SIGNUP_ENABLED = False
    assert Client().get("/signup/").status_code == 404


@pytest.mark.django_db
def test_password_reset_by_email_lets_the_user_sign_in_again(alice):
    client = Client()
    client.post("/auth/password/reset/", {"email": alice.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/auth/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "a-brand-new-secret-42"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert Client().login(username=alice.email, password=new_password)


@pytest.mark.django_db
def test_password_change_requires_the_old_password(alice_client):
    response = alice_client.post(
        "/auth/password/change/",
        {"old_password": "wrong", "new_password1": "another-secret-77", "new_password2": "another-secret-77"},
    )
    assert b"Your old password was entered incorrectly" in response.content


@pytest.mark.django_db
def test_language_and_time_zone_follow_the_users_profile(alice, alice_client):
    response = alice_client.post(
        "/profile/", {"full_name": "Alice A.", "language": "zh-hans", "time_zone": "Asia/Shanghai"}, follow=True
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("zh-hans", "Asia/Shanghai")
    page = alice_client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page


@pytest.mark.django_db
def test_the_profile_form_rejects_an_unknown_time_zone(alice_client):
    response = alice_client.post("/profile/", {"full_name": "A", "language": "", "time_zone": "Mars/Olympus"})
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_a_stale_workspace_in_the_session_falls_back_to_the_users_own(alice_client, tenant_b):
    session = alice_client.session
    session["active_tenant_id"] = tenant_b.id  # a tenant alice does not belong to
    session.save()
    page = alice_client.get("/").content.decode()
    assert "Acme Corporation" in page and "Globex" not in page


@pytest.mark.django_db
@pytest.mark.urls("tests.crm.urls_capability")
def test_a_bug_shows_the_friendly_500_page(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
