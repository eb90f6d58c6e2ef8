"""API keys: shown once, stored hashed, scoped per resource, tenant-walled, rate-limited, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from crm.models import Membership
from crm.roles import Role
from crm.tenancy.context import tenant_context
from integrations.api_keys import api_key_create
from integrations.models import ApiKey
from tests.factories import ContactFactory, MembershipFactory, UserFactory


def make_key(tenant, user, scopes, **extra):
    with tenant_context(tenant.pk):
        return api_key_create(tenant=tenant, name="ERP sync", user=user, scopes=scopes, by=user,
                              expires_at=extra.get("expires_at"))  # fmt: skip


def call(method, url, key, **kwargs):
    return getattr(Client(), method)(url, HTTP_AUTHORIZATION=f"Bearer {key}", **kwargs)


@pytest.mark.django_db
def test_a_key_reads_its_own_workspace_only(tenant_a, tenant_b, alice):
    ours = ContactFactory(tenant=tenant_a, email="ours@a.example")
    theirs = ContactFactory(tenant=tenant_b, email="theirs@b.example")
    key = make_key(tenant_a, alice, {"contact": "read"}).plaintext

    listing = call("get", "/api/v1/contacts/", key)
    assert listing.status_code == 200
    assert [row["email"] for row in listing.json()["results"]] == [ours.email]
    assert call("get", f"/api/v1/contacts/{theirs.pk}/", key).status_code == 404
    assert "sessionid" not in listing.cookies  # a key request keeps no session


@pytest.mark.django_db
def test_only_a_hash_of_the_key_is_stored(tenant_a, alice):
    created = make_key(tenant_a, alice, {"contact": "read"})
    with tenant_context(tenant_a.pk):
        stored = ApiKey.objects.get(pk=created.key.pk)
    assert created.plaintext not in (stored.secret_hash, stored.prefix, str(stored.scopes))
    assert created.plaintext.startswith(f"crm_{stored.prefix}_")


@pytest.mark.django_db
def test_scopes_narrow_what_a_key_may_do(tenant_a, alice):
    key = make_key(tenant_a, alice, {"contact": "read"}).plaintext
    assert call("get", "/api/v1/contacts/", key).status_code == 200
    refused = call("post", "/api/v1/contacts/", key, data={"first_name": "Ann"}, content_type="application/json")
    assert refused.status_code == 403 and "scopes" in refused.json()["detail"]
    assert call("get", "/api/v1/deals/", key).status_code == 403

    writer = make_key(tenant_a, alice, {"contact": "write"}).plaintext
    created = call("post", "/api/v1/contacts/", writer, data={"first_name": "Ann", "email": "ann@a.example"},
                   content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content


@pytest.mark.django_db
def test_a_key_cannot_do_more_than_its_members_role(tenant_a):
    analyst = UserFactory()
    MembershipFactory(user=analyst, tenant=tenant_a, role=Role.ANALYST)
    key = make_key(tenant_a, analyst, {"contact": "write"}).plaintext
    response = call("post", "/api/v1/contacts/", key, data={"first_name": "Ann"}, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_key_obeys_record_visibility(tenant_a):
    tenant_a.record_visibility = {Role.SALES: "own"}
    tenant_a.save()
    rep, other = UserFactory(), UserFactory()
    MembershipFactory(user=rep, tenant=tenant_a, role=Role.SALES)
    MembershipFactory(user=other, tenant=tenant_a, role=Role.SALES)
    mine = ContactFactory(tenant=tenant_a, owner=rep)
    ContactFactory(tenant=tenant_a, owner=other)
    key = make_key(tenant_a, rep, {"contact": "read"}).plaintext
    assert [row["id"] for row in call("get", "/api/v1/contacts/", key).json()["results"]] == [mine.pk]


@pytest.mark.django_db
def test_revoked_expired_malformed_and_orphaned_keys_are_refused_with_401(tenant_a, alice):
    revoked = make_key(tenant_a, alice, {"contact": "read"})
    with tenant_context(tenant_a.pk):
        from integrations.api_keys import api_key_revoke

        api_key_revoke(tenant=tenant_a, key=revoked.key, by=alice)
    expired = make_key(tenant_a, alice, {"contact": "read"})
    with tenant_context(tenant_a.pk):
        ApiKey.objects.filter(pk=expired.key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    leaver = UserFactory()
    MembershipFactory(user=leaver, tenant=tenant_a, role=Role.ADMIN)
    orphaned = make_key(tenant_a, leaver, {"contact": "read"})
    Membership.objects.filter(user=leaver).update(is_active=False)

    for key, words in [(revoked.plaintext, "revoked"), (expired.plaintext, "expired"),
                       ("crm_nothing", "malformed"), (orphaned.plaintext, "no longer belongs"),
                       (revoked.plaintext[:-2] + "xx", "not valid")]:  # fmt: skip
        response = call("get", "/api/v1/contacts/", key)
        assert response.status_code == 401, key
        assert words in response.json()["detail"]


@pytest.mark.django_db
def test_a_key_is_rate_limited_with_retry_after(tenant_a, alice, settings):
    settings.API_KEY_RATE = "3/min"
    key = make_key(tenant_a, alice, {"contact": "read"})
    cache.delete(f"throttle:api_key:{key.key.prefix}")
    statuses = [call("get", "/api/v1/contacts/", key.plaintext).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = call("get", "/api/v1/contacts/", key.plaintext)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # Browser sessions are not counted against keys.
    assert Client().get("/api/v1/contacts/").status_code == 401


@pytest.mark.django_db
def test_last_use_is_recorded(tenant_a, alice):
    key = make_key(tenant_a, alice, {"contact": "read"})
    call("get", "/api/v1/contacts/", key.plaintext, REMOTE_ADDR="203.0.113.9")
    with tenant_context(tenant_a.pk):
        used = ApiKey.objects.get(pk=key.key.pk)
    assert used.last_used_at is not None and used.last_used_ip == "203.0.113.9"


@pytest.mark.django_db
def test_admins_make_keys_on_the_page_and_see_the_key_once(alice_client, tenant_a, alice):
    page = alice_client.get("/integrations/api-keys/")
    assert page.status_code == 200 and "No API keys yet" in page.content.decode()
    form = {"name": "Warehouse", "user": alice.pk, "scope_contact": "read", "scope_deal": "write"}
    response = alice_client.post("/integrations/api-keys/", form)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "shown only this once" in body
    with tenant_context(tenant_a.pk):
        key = ApiKey.objects.get(name="Warehouse")
    assert key.scopes == {"contact": "read", "deal": "write"}
    listing = alice_client.get("/integrations/api-keys/").content.decode()
    assert "Warehouse" in listing and f"crm_{key.prefix}_…" in listing
    plaintext = body.split('data-testid="api-key"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert plaintext not in listing


@pytest.mark.django_db
def test_a_key_needs_a_scope_and_a_name(alice_client, alice):
    response = alice_client.post("/integrations/api-keys/", {"name": " ", "user": alice.pk})
    body = response.content.decode()
    assert response.status_code == 200 and "This field is required" in body


@pytest.mark.django_db
def test_a_key_without_scopes_is_refused(alice_client, alice):
    response = alice_client.post("/integrations/api-keys/", {"name": "Nothing", "user": alice.pk})
    assert "at least one resource" in response.content.decode()


@pytest.mark.django_db
def test_only_admins_manage_keys(bob_client):
    assert bob_client.get("/integrations/api-keys/").status_code == 403
