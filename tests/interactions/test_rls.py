"""Row-level security covers the communication log's own tables, participants and files included."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from crm.tenancy.context import tenant_context
from interactions.services import interaction_log
from tests.factories import ContactFactory
from tests.interactions.factories import InteractionAttachmentFactory

pytestmark = pytest.mark.django_db
TABLES = ["interactions_interactioncontact", "interactions_interactionuser", "interactions_interactionattachment"]


def log_with_participants(tenant: Any, by: Any, colleague: Any) -> Any:
    contact, other = ContactFactory.create_batch(2, tenant=tenant)
    with tenant_context(tenant.id):
        call = interaction_log(tenant=tenant, by=by, kind="call", direction="outbound", contact=contact,
                               participant_contacts=[other], participant_users=[colleague])  # fmt: skip
    InteractionAttachmentFactory(tenant=tenant, interaction=call)
    return call


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_sees_only_the_current_tenants_rows(
    table: str, tenant_a: Any, tenant_b: Any, alice: Any, bob: Any, charlie: Any
) -> None:
    from tests.conftest import _persona

    dana = _persona("dana@globex.example", "Dana", tenant_b, "sales")
    log_with_participants(tenant_a, alice, bob)
    log_with_participants(tenant_b, charlie, dana)
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tenant_id FROM {table}")
        assert [row[0] for row in cursor.fetchall()] == [tenant_a.id]
    with tenant_context(None), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] == 0


def test_a_participant_row_for_another_tenant_is_refused(tenant_a: Any, tenant_b: Any, alice: Any, bob: Any) -> None:
    call = log_with_participants(tenant_a, alice, bob)
    with (
        tenant_context(tenant_a.id),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO interactions_interactionuser (tenant_id, interaction_id, user_id) VALUES (%s, %s, %s)",
            [tenant_b.id, call.pk, bob.pk],
        )
