"""Members: the list, role changes (a tenant always keeps an admin), deactivation with handover, reactivation."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from crm.models import Membership, TeamMember
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Account, Contact, Deal, StageKind
from followups.models import Task, TaskStatus
from service_desk.models import Ticket, TicketStatus
from tests.conftest import _persona, client_for
from tests.factories import (
    AccountFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    StageFactory,
    TeamFactory,
)
from tests.followups.factories import TaskFactory
from tests.service_desk.factories import make_ticket

pytestmark = pytest.mark.django_db


def join(tenant: Any, team: Any, user: Any) -> None:
    with tenant_context(tenant.id):
        TeamMember.objects.create(tenant=tenant, team=team, user=user)


def membership(user: Any, tenant: Any) -> Membership:
    return Membership.objects.get(user=user, tenant=tenant)


@pytest.fixture
def sam(tenant_a: Any) -> Any:
    return _persona("sam@acme.example", "Sam Sales", tenant_a, Role.SALES)


def give_records(tenant: Any, user: Any) -> dict[str, Any]:
    """Open and closed records of each kind owned by ``user``."""
    won = StageFactory(tenant=tenant, kind=StageKind.WON)
    records = {
        "contacts": [ContactFactory(tenant=tenant, owner=user) for _ in range(3)],
        "accounts": [AccountFactory(tenant=tenant, owner=user) for _ in range(2)],
        "open_deals": [DealFactory(tenant=tenant, owner=user) for _ in range(2)],
        "won_deal": DealFactory(tenant=tenant, owner=user, pipeline=won.pipeline, stage=won),
        "open_tasks": [TaskFactory(tenant=tenant, assignee=user) for _ in range(2)],
        "done_task": TaskFactory(tenant=tenant, assignee=user, status=TaskStatus.DONE),
        "open_ticket": make_ticket(tenant, assignee=user),
        "solved_ticket": make_ticket(tenant, assignee=user),
    }
    with tenant_context(tenant.id):
        Ticket.objects.filter(pk=records["solved_ticket"].pk).update(status=TicketStatus.SOLVED)
    return records


def owners(tenant: Any) -> dict[str, list[int | None]]:
    with tenant_context(tenant.id):
        return {
            "contacts": list(Contact.objects.order_by("pk").values_list("owner_id", flat=True)),
            "accounts": list(Account.objects.order_by("pk").values_list("owner_id", flat=True)),
            "deals": list(Deal.objects.order_by("pk").values_list("owner_id", flat=True)),
            "tasks": list(Task.objects.order_by("pk").values_list("assignee_id", flat=True)),
            "tickets": list(Ticket.objects.order_by("pk").values_list("assignee_id", flat=True)),
        }


def test_the_list_shows_members_with_role_teams_and_status(alice_client, alice, bob, sam, tenant_a, tenant_b):
    team = TeamFactory(tenant=tenant_a, name="Field sales")
    join(tenant_a, team, sam)
    MembershipFactory(tenant=tenant_b, user__email="stranger@globex.example")
    page = alice_client.get(reverse("workspace:users")).content.decode()
    assert "sam@acme.example" in page and "Field sales" in page and "bob@acme.example" in page
    assert "stranger@globex.example" not in page


def test_the_member_list_needs_a_fixed_number_of_queries(alice_client, alice, tenant_a):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(reverse("workspace:users")).status_code == 200
        return len(queries)

    few = count()
    team = TeamFactory(tenant=tenant_a)
    for n in range(8):
        user = _persona(f"extra{n}@acme.example", f"Extra {n}", tenant_a, Role.SALES)
        join(tenant_a, team, user)
    assert count() <= few + 1  # the team column appears once the tenant has team members


def test_the_only_admin_cannot_demote_themselves(alice_client, alice, tenant_a):
    response = alice_client.post(
        reverse("workspace:member-role", args=[membership(alice, tenant_a).pk]), {"role": Role.SALES}
    )
    assert response.status_code == 422
    assert "only admin" in response.content.decode()
    assert membership(alice, tenant_a).role == Role.ADMIN


def test_a_second_admin_can_be_demoted_and_roles_change(alice_client, alice, sam, tenant_a):
    sam_membership = membership(sam, tenant_a)
    response = alice_client.post(reverse("workspace:member-role", args=[sam_membership.pk]), {"role": Role.ADMIN})
    assert response.status_code == 302
    assert membership(sam, tenant_a).role == Role.ADMIN
    with tenant_context(tenant_a.id):
        events = AuditEvent.objects.filter(action="permission_change", object_id=str(sam.pk), actor=alice)
        assert {"role": ["sales", "admin"]} in [event.changes for event in events]
    # Now alice is not the last admin: she may step down.
    alice_client.post(reverse("workspace:member-role", args=[membership(alice, tenant_a).pk]), {"role": Role.SALES})
    assert membership(alice, tenant_a).role == Role.SALES


def test_demoting_the_only_active_admin_is_refused(alice, tenant_a):
    other = _persona("ops@acme.example", "Ops Admin", tenant_a, Role.ADMIN)
    Membership.objects.filter(user=alice, tenant=tenant_a).update(is_active=False)
    response = client_for(other).post(
        reverse("workspace:member-role", args=[membership(other, tenant_a).pk]), {"role": Role.ANALYST}
    )
    assert response.status_code == 422
    assert membership(other, tenant_a).role == Role.ADMIN


def test_deactivation_hands_open_records_to_one_person(alice_client, alice, sam, tenant_a):
    records = give_records(tenant_a, sam)
    response = alice_client.post(
        reverse("workspace:member-deactivate", args=[membership(sam, tenant_a).pk]),
        {"rule": "user", "to_user": alice.pk},
    )
    assert response.status_code == 302
    assert not membership(sam, tenant_a).is_active
    after = owners(tenant_a)
    assert after["contacts"] == [alice.pk] * 3 and after["accounts"] == [alice.pk] * 2
    with tenant_context(tenant_a.id):
        assert Deal.objects.get(pk=records["won_deal"].pk).owner_id == sam.pk  # closed deals keep their owner
        assert set(Deal.objects.filter(stage__kind=StageKind.OPEN).values_list("owner_id", flat=True)) == {alice.pk}
        assert Task.objects.get(pk=records["done_task"].pk).assignee_id == sam.pk
        assert set(Task.objects.filter(status="open").values_list("assignee_id", flat=True)) == {alice.pk}
        assert Ticket.objects.get(pk=records["open_ticket"].pk).assignee_id == alice.pk
        assert Ticket.objects.get(pk=records["solved_ticket"].pk).assignee_id == sam.pk
        assert Contact.objects.filter(updated_by=alice).count() == 3  # a handover is an edit by the admin


def test_round_robin_shares_records_among_teammates(alice_client, sam, tenant_a):
    mates = [_persona(f"mate{n}@acme.example", f"Mate {n}", tenant_a, Role.SALES) for n in range(2)]
    outsider = _persona("outsider@acme.example", "Out Sider", tenant_a, Role.SALES)
    team = TeamFactory(tenant=tenant_a)
    for user in (sam, *mates):
        join(tenant_a, team, user)
    for _ in range(3):
        ContactFactory(tenant=tenant_a, owner=sam)  # five contacts in all with give_records'
    give_records(tenant_a, sam)
    response = alice_client.post(
        reverse("workspace:member-deactivate", args=[membership(sam, tenant_a).pk]), {"rule": "round_robin"}
    )
    assert response.status_code == 302
    contact_owners = owners(tenant_a)["contacts"]
    assert sorted(contact_owners.count(mate.pk) for mate in mates) == [3, 3]
    assert outsider.pk not in contact_owners and sam.pk not in contact_owners


def test_round_robin_without_teammates_is_refused(alice_client, sam, tenant_a):
    ContactFactory(tenant=tenant_a, owner=sam)
    response = alice_client.post(
        reverse("workspace:member-deactivate", args=[membership(sam, tenant_a).pk]), {"rule": "round_robin"}
    )
    assert response.status_code == 422
    assert membership(sam, tenant_a).is_active
    assert owners(tenant_a)["contacts"] == [sam.pk]


def test_a_deactivated_member_cannot_open_the_workspace_until_reactivated(alice_client, alice, sam, tenant_a):
    sam_client = client_for(sam)
    assert sam_client.get(reverse("dashboard")).status_code == 200
    alice_client.post(
        reverse("workspace:member-deactivate", args=[membership(sam, tenant_a).pk]),
        {"rule": "user", "to_user": alice.pk},
    )
    response = sam_client.get(reverse("dashboard"))
    assert response.status_code == 403  # the "no workspace" page: no active membership left
    assert "Acme Corporation" not in response.content.decode()
    alice_client.post(reverse("workspace:member-reactivate", args=[membership(sam, tenant_a).pk]))
    assert sam_client.get(reverse("dashboard")).status_code == 200


def test_admins_cannot_deactivate_themselves(alice_client, alice, sam, tenant_a):
    response = alice_client.post(
        reverse("workspace:member-deactivate", args=[membership(alice, tenant_a).pk]),
        {"rule": "user", "to_user": sam.pk},
    )
    assert response.status_code == 422
    assert membership(alice, tenant_a).is_active


def test_another_tenants_admin_gets_404_on_members(charlie_client, alice, sam, tenant_a):
    target = membership(sam, tenant_a)
    assert charlie_client.get(reverse("workspace:member", args=[target.pk])).status_code == 404
    for name, data in (
        ("workspace:member-role", {"role": Role.ADMIN}),
        ("workspace:member-deactivate", {"rule": "user", "to_user": alice.pk}),
        ("workspace:member-reactivate", {}),
    ):
        assert charlie_client.post(reverse(name, args=[target.pk]), data).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.SALES and target.is_active


def test_roles_without_user_management_get_403(bob_client, sam, tenant_a):
    target = membership(sam, tenant_a)
    assert bob_client.get(reverse("workspace:member", args=[target.pk])).status_code == 403
    assert bob_client.post(reverse("workspace:member-role", args=[target.pk]), {"role": "admin"}).status_code == 403
    assert membership(sam, tenant_a).role == Role.SALES
