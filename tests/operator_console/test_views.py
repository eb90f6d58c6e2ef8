"""The operator area: superusers only, the tenant list with usage, create, suspend and reactivate."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import get_resolver, reverse

from crm.models import Tenant
from crm.tenancy.context import tenant_context
from operator_console.models import TenantDeletion
from service_desk.models import Ticket
from tests.conftest import client_for
from tests.factories import ContactFactory, TenantFactory
from tests.service_desk.factories import TicketFactory
from workspace.models import Invitation

pytestmark = pytest.mark.django_db


def _operator_urls(tenant_id: int, deletion_id: int) -> list[str]:
    """Every route of the area, found from the URL configuration (a new route is covered without an edit)."""
    resolver = get_resolver()
    urls = []
    for pattern in resolver.namespace_dict["operator_console"][1].url_patterns:
        converters = pattern.pattern.converters
        kwargs = {name: deletion_id if "deletion" in pattern.name else tenant_id for name in converters}
        urls.append(reverse(f"operator_console:{pattern.name}", kwargs=kwargs))
    return urls


def test_nobody_but_a_superuser_finds_the_operator_area(client, alice, alice_client, charlie_client, tenant_a):
    deletion = TenantDeletion.objects.create(tenant_id=tenant_a.pk, tenant_name="Acme", tenant_slug="acme")
    urls = _operator_urls(tenant_a.pk, deletion.pk)
    assert len(urls) >= 10
    for url in urls:
        # A tenant admin (of this or another tenant) and an anonymous visitor: the area does not exist.
        for visitor in (alice_client, charlie_client, client):
            for method in ("get", "post"):
                assert getattr(visitor, method)(url).status_code in (404, 405), f"{method} {url}"
            assert visitor.get(url).status_code == 404 or visitor.post(url).status_code == 404
    tenant_a.refresh_from_db()
    assert tenant_a.is_active
    assert set(Tenant.objects.values_list("slug", flat=True)) == {"acme", "globex"}
    assert TenantDeletion.objects.get().status == "queued"


def test_the_tenant_list_shows_each_tenants_usage(operator_client, alice, bob, charlie, tenant_a, tenant_b):
    ContactFactory.create_batch(3, tenant=tenant_a)
    ContactFactory(tenant=tenant_b)
    TicketFactory(tenant_a)
    closed = TicketFactory(tenant_a)
    with tenant_context(tenant_a.pk):
        Ticket.objects.filter(pk=closed.pk).update(status="closed")
    response = operator_client.get(reverse("operator_console:tenants"))
    assert response.status_code == 200
    rows = {row.tenant.slug: row for row in response.context["rows"]}
    assert (rows["acme"].users, rows["acme"].contacts, rows["acme"].open_tickets) == (2, 3, 1)
    assert (rows["globex"].users, rows["globex"].contacts, rows["globex"].open_tickets) == (1, 1, 0)
    assert "Acme Corporation" in response.content.decode() and "Globex" in response.content.decode()


def test_the_tenant_list_queries_a_bounded_number_per_tenant(operator_client, operator, django_assert_max_num_queries):
    for n in range(12):
        tenant = TenantFactory(slug=f"t-{n:02}", name=f"Tenant {n:02}")
        ContactFactory(tenant=tenant)
    with django_assert_max_num_queries(12 * 2 + 12):
        response = operator_client.get(reverse("operator_console:tenants"))
    assert len(response.context["rows"]) == 12


def test_the_list_pages_by_name(operator_client):
    for n in range(51):
        TenantFactory(slug=f"co-{n:02}", name=f"Company {n:02}")
    first = operator_client.get(reverse("operator_console:tenants"))
    assert len(first.context["rows"]) == 50 and first.context["next_after"]
    second = operator_client.get(reverse("operator_console:tenants"), {"after": first.context["next_after"]})
    assert [row.tenant.slug for row in second.context["rows"]] == ["co-50"]


def test_the_list_has_an_empty_state(operator_client):
    response = operator_client.get(reverse("operator_console:tenants"))
    assert "No workspaces yet" in response.content.decode()


def test_creating_a_tenant_invites_its_first_admin(operator_client, eager_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("operator_console:tenant-new"),
            {"name": "Initech", "slug": "initech", "admin_email": "Peter@Initech.example"},
        )
    tenant = Tenant.objects.get(slug="initech")
    assert response.status_code == 302 and response.url == reverse("operator_console:tenant", args=[tenant.pk])
    with tenant_context(tenant.pk):
        invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("peter@initech.example", "admin")
    assert [m.to for m in mail.outbox] == [["peter@initech.example"]]


def test_a_taken_short_name_is_refused_next_to_the_field(operator_client, tenant_a):
    response = operator_client.post(
        reverse("operator_console:tenant-new"), {"name": "Acme 2", "slug": "acme", "admin_email": "x@y.example"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["slug"]
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_suspending_blocks_members_and_reactivating_lets_them_back(operator_client, alice, tenant_a):
    alice_client = client_for(alice)
    assert alice_client.get(reverse("customers:contact-list")).status_code == 200
    operator_client.post(reverse("operator_console:tenant-suspend", args=[tenant_a.pk]))
    tenant_a.refresh_from_db()
    assert not tenant_a.is_active
    response = alice_client.get(reverse("dashboard"))
    assert response.context["current_tenant"] is None  # the "no workspace" page
    assert "Acme Corporation" not in response.content.decode()
    assert alice_client.get(reverse("customers:contact-list")).status_code in (403, 404)
    operator_client.post(reverse("operator_console:tenant-reactivate", args=[tenant_a.pk]))
    assert alice_client.get(reverse("customers:contact-list")).status_code == 200


def test_the_operator_area_speaks_chinese(operator, operator_client, tenant_a):
    operator.language = "zh-hans"
    operator.save(update_fields=["language"])
    body = operator_client.get(reverse("operator_console:tenant", args=[tenant_a.pk])).content.decode()
    assert "以管理员身份操作" in body and "永久删除" in body
    assert "Act as an admin" not in body
