"""interaction_log: the one way every app writes to the communication log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.tenancy.context import tenant_context
from interactions.models import Interaction, InteractionContact, InteractionUser
from interactions.services import interaction_delete, interaction_log, interaction_update
from tests.factories import AccountFactory, ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def test_a_call_is_logged_with_its_account_taken_from_the_contact(tenant_a: Any, alice: Any, sam: Any) -> None:
    account = AccountFactory(tenant=tenant_a)
    contact = ContactFactory(tenant=tenant_a, account=account)
    colleague = ContactFactory(tenant=tenant_a, account=account)
    with tenant_context(tenant_a.id):
        call = interaction_log(
            tenant=tenant_a, by=alice, kind="call", direction="outbound", contact=contact, subject=" Pricing ",
            duration_seconds=125, outcome="connected", participant_contacts=[colleague, contact],
            participant_users=[sam, alice],
        )  # fmt: skip
        call.refresh_from_db()
        assert (call.account, call.logged_by, call.subject, call.duration_label) == (account, alice, "Pricing", "2:05")
        # The main contact and the one who logged it are not repeated as participants.
        assert list(call.participant_contacts.all()) == [colleague]
        assert list(call.participant_users.all()) == [sam]
        assert InteractionContact.objects.get().tenant_id == tenant_a.id


def test_a_deal_note_takes_the_deals_contact_and_account(tenant_a: Any, alice: Any) -> None:
    account = AccountFactory(tenant=tenant_a)
    contact = ContactFactory(tenant=tenant_a)
    deal = DealFactory(tenant=tenant_a, contact=contact, account=account)
    with tenant_context(tenant_a.id):
        note = interaction_log(
            tenant=tenant_a, by=alice, kind="note", direction="internal", deal=deal, body="Budget ok"
        )
    assert (note.deal, note.contact, note.account) == (deal, contact, account)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "fax"}, "kind", "not a type of interaction"),
        ({"direction": "sideways"}, "direction", "not a direction"),
        ({"kind": "social"}, "channel", "Say which channel"),
        ({"kind": "social", "channel": "myspace"}, "channel", "not a social channel"),
        ({"channel": "wechat"}, "channel", "Only social messages have a channel"),
        ({"kind": "note", "duration_seconds": 60}, "duration_seconds", "Only calls and meetings"),
        ({"duration_seconds": -5}, "duration_seconds", "zero or more"),
        ({"duration_seconds": 90000}, "duration_seconds", "24 hours"),
        ({"outcome": "hung up angrily"}, "outcome", "not a call outcome"),
        ({"subject": "x" * 300}, "subject", "at most 255"),
        ({"occurred_at": timezone.now() + timedelta(days=400)}, "occurred_at", "more than a year ahead"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    tenant_a: Any, alice: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    contact = ContactFactory(tenant=tenant_a)
    arguments: dict[str, Any] = {"kind": "call", "direction": "outbound", "contact": contact, **changes}
    with tenant_context(tenant_a.id):
        with pytest.raises(ValidationError) as refused:
            interaction_log(tenant=tenant_a, by=alice, **arguments)
        assert message in " ".join(refused.value.message_dict[field])
        assert Interaction.objects.count() == 0


def test_records_of_another_tenant_are_refused(tenant_a: Any, tenant_b: Any, alice: Any, charlie: Any) -> None:
    theirs = ContactFactory(tenant=tenant_b)
    ours = ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        with pytest.raises(ValidationError) as refused:
            interaction_log(
                tenant=tenant_a, by=alice, kind="meeting", direction="outbound", contact=ours,
                participant_contacts=[theirs], participant_users=[charlie],
            )  # fmt: skip
        assert set(refused.value.message_dict) == {"participant_contacts", "participant_users"}
        assert Interaction.objects.count() == 0


def test_update_replaces_participants_and_delete_removes_everything(tenant_a: Any, alice: Any, sam: Any) -> None:
    contact, first, second = ContactFactory.create_batch(3, tenant=tenant_a)
    with tenant_context(tenant_a.id):
        meeting = interaction_log(
            tenant=tenant_a, by=alice, kind="meeting", direction="outbound", contact=contact,
            participant_contacts=[first], participant_users=[sam],
        )  # fmt: skip
        interaction_update(
            tenant=tenant_a, interaction=meeting, by=alice, direction="inbound", occurred_at=None,
            subject="Demo", duration_seconds=3600, participant_contacts=[second],
        )  # fmt: skip
        meeting.refresh_from_db()
        assert (meeting.direction, meeting.subject, meeting.duration_label) == ("inbound", "Demo", "1:00:00")
        assert list(meeting.participant_contacts.all()) == [second]
        assert InteractionUser.objects.count() == 0
        interaction_delete(tenant=tenant_a, interaction=meeting, by=alice)
        assert Interaction.objects.count() == InteractionContact.objects.count() == 0


def test_an_old_free_text_call_outcome_survives_an_edit(tenant_a: Any, alice: Any) -> None:
    from tests.factories import InteractionFactory

    call = InteractionFactory(tenant=tenant_a, kind="call", outcome="已接通")
    with tenant_context(tenant_a.id):
        interaction_update(tenant=tenant_a, interaction=call, by=alice, direction="outbound", occurred_at=None,
                           subject="Edited", outcome="已接通")  # fmt: skip
        with pytest.raises(ValidationError, match="not a call outcome"):
            interaction_update(tenant=tenant_a, interaction=call, by=alice, direction="outbound", occurred_at=None,
                               outcome="something new")  # fmt: skip
