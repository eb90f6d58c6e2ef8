"""Acting as a tenant admin: only with a reason, audited in that tenant, a banner on every page, and back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from crm.tenancy.context import tenant_context
from customers.models import Contact

pytestmark = pytest.mark.django_db


def _start(client, tenant, membership, reason="Customer ticket #42: their pipeline looks wrong"):
    return client.post(
        reverse("operator_console:impersonate", args=[tenant.pk]), {"membership": membership.pk, "reason": reason}
    )


def test_impersonation_writes_an_audit_row_and_shows_the_banner(operator_client, operator, alice, tenant_a):
    membership = alice.memberships.get()
    response = _start(operator_client, tenant_a, membership)
    assert response.status_code == 302 and response.url == reverse("dashboard")
    with tenant_context(tenant_a.pk):
        event = AuditEvent.objects.get(action="impersonate")
    assert (event.actor_id, event.object_id) == (operator.pk, str(alice.pk))
    assert event.changes["reason"][1] == "Customer ticket #42: their pipeline looks wrong"

    for url in (reverse("dashboard"), reverse("customers:contact-list")):
        page = operator_client.get(url)
        assert page.status_code == 200
        assert page.context["request"].user == alice
        assert page.context["current_tenant"] == tenant_a
        body = page.content.decode()
        assert 'data-testid="impersonation-banner"' in body
        assert "You are signed in as alice@acme.example on behalf of the operator" in body
    # While acting as the admin, the operator area is out of reach.
    assert operator_client.get(reverse("operator_console:tenants")).status_code == 404


def test_writes_while_impersonating_name_the_operator_in_the_audit_trail(operator_client, alice, tenant_a):
    _start(operator_client, tenant_a, alice.memberships.get())
    form = operator_client.get(reverse("customers:contact-create")).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data.update(first_name="Ada", last_name="Lovelace", email="ada@x.example")
    response = operator_client.post(reverse("customers:contact-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(tenant_a.pk):
        contact = Contact.objects.get(email="ada@x.example")
        labels = set(AuditEvent.objects.filter(object_id=str(contact.pk)).values_list("actor_label", flat=True))
    assert labels == {"alice@acme.example (via ops@platform.example)"}


def test_a_reason_is_required(operator_client, alice, tenant_a):
    response = _start(operator_client, tenant_a, alice.memberships.get(), reason="   ")
    assert response.status_code == 400
    assert response.context["impersonate_form"].errors["reason"]
    with tenant_context(tenant_a.pk):
        assert not AuditEvent.objects.filter(action="impersonate").exists()
    page = operator_client.get(reverse("dashboard"))
    assert 'data-testid="impersonation-banner"' not in page.content.decode()


def test_only_admins_of_that_tenant_can_be_impersonated(operator_client, alice, bob, charlie, tenant_a):
    for membership in (bob.memberships.get(), charlie.memberships.get()):
        assert _start(operator_client, tenant_a, membership).status_code == 400
    assert operator_client.get(reverse("dashboard")).context["request"].user.is_superuser


def test_ending_restores_the_operator(operator_client, operator, alice, tenant_a):
    _start(operator_client, tenant_a, alice.memberships.get())
    response = operator_client.post(reverse("operator_console:impersonation-end"))
    assert response.status_code == 302
    assert response.url == reverse("operator_console:tenant", args=[tenant_a.pk])
    page = operator_client.get(reverse("operator_console:tenants"))
    assert page.status_code == 200
    assert page.context["request"].user == operator
    assert 'data-testid="impersonation-banner"' not in page.content.decode()
    # The operator has no membership of their own: no workspace is open any more.
    assert operator_client.get(reverse("dashboard")).context["current_tenant"] is None


def test_a_superuser_who_loses_the_right_stops_impersonating(operator_client, operator, alice, tenant_a):
    _start(operator_client, tenant_a, alice.memberships.get())
    operator.is_superuser = False
    operator.save(update_fields=["is_superuser"])
    page = operator_client.get(reverse("dashboard"))
    assert page.context["request"].user == operator
    assert page.context["current_tenant"] is None


def test_a_tenant_admin_cannot_end_or_start_an_impersonation(alice_client, alice, tenant_a):
    assert alice_client.post(reverse("operator_console:impersonation-end")).status_code == 404
    assert _start(alice_client, tenant_a, alice.memberships.get()).status_code == 404
