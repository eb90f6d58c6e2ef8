"""The permission matrix shows exactly what crm/roles.py's CAPABILITIES grant."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crm.models import Tenant
from crm.roles import Capability, Role, role_can
from workspace.selectors import GUARDS

pytestmark = pytest.mark.django_db


def rendered_cells(html: str) -> dict[tuple[str, str, str], str]:
    """(module, action, role) -> "yes" / "no", read from the page."""
    roles = re.findall(r'<th class="text-center" data-role="([a-z]+)">', html)
    cells = {}
    rows = re.findall(r'<tr data-module="([a-z]+)" data-action="([a-z]+)">(.*?)</tr>', html, flags=re.S)
    for module, action, row in rows:
        for role, allowed in zip(roles, re.findall(r'data-allowed="([a-z]+)"', row), strict=True):
            cells[(module, action, role)] = allowed
    return cells


def test_the_matrix_matches_the_capability_map(alice_client):
    cells = rendered_cells(alice_client.get(reverse("workspace:permissions")).content.decode())
    # Every (module, action) guarded by a capability, for every role; nothing else.
    assert set(cells) == {(module, action, role) for module, action in GUARDS for role in Role.values}
    for (module, action, role), shown in cells.items():
        assert shown == ("yes" if role_can(role, GUARDS[(module, action)]) else "no"), (module, action, role)


def test_every_capability_appears_in_the_matrix():
    assert set(GUARDS.values()) == set(Capability.values)


def test_the_analyst_row_shows_read_only_customers(alice_client):
    cells = rendered_cells(alice_client.get(reverse("workspace:permissions")).content.decode())
    assert cells[("customers", "view", Role.ANALYST)] == "yes"
    assert cells[("customers", "edit", Role.ANALYST)] == "no"
    assert cells[("users", "create", Role.ADMIN)] == "yes"


def test_record_visibility_per_role_is_shown(alice_client, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(record_visibility={"sales": "own", "service": "team"})
    page = alice_client.get(reverse("workspace:permissions")).content.decode()
    visibility = re.search(r'data-testid="visibility">(.*?)</table>', page, flags=re.S).group(1)  # type: ignore[union-attr]
    rows = dict(re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", visibility))
    assert rows["Sales"] == "Only records they own"
    assert rows["Service"] == "Records owned by their teams"
    assert rows["Admin"] == "All records"
    assert reverse("record-visibility") in page


def test_non_admins_get_403(bob_client):
    assert bob_client.get(reverse("workspace:permissions")).status_code == 403
