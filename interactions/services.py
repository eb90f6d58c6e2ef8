"""Writes to the communication log. Every interaction, from any app, is logged through ``interaction_log``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from customers.models import Account, Contact, Deal
from interactions.models import (
    CallOutcome,
    Direction,
    Interaction,
    InteractionAttachment,
    InteractionContact,
    InteractionKind,
    InteractionUser,
    SocialChannel,
)

# Kinds for which a duration means something (a note or an email has none).
TIMED_KINDS = frozenset({InteractionKind.CALL, InteractionKind.MEETING})
MAX_DURATION_SECONDS = 24 * 3600
# How far ahead an interaction may be dated: a meeting being logged for later today is fine,
# a call "next month" is a typo (follow-ups are tasks, not interactions).
MAX_FUTURE = timedelta(days=366)
SUBJECT_MAX_LENGTH = Interaction._meta.get_field("subject").max_length or 255
OUTCOME_MAX_LENGTH = Interaction._meta.get_field("outcome").max_length or 100


def _validated(
    *,
    tenant: Tenant,
    kind: str,
    direction: str,
    contact: Contact | None,
    account: Account | None,
    deal: Deal | None,
    occurred_at: datetime | None,
    subject: str,
    duration_seconds: int | None,
    outcome: str,
    channel: str,
    participant_contacts: list[Contact],
    participant_users: list[User],
    kept_outcome: str = "",
) -> None:
    """Raise one ValidationError naming every field that is wrong. ``kept_outcome``: an outcome stored
    before outcomes were codes (imports, old demo data) stays acceptable on that interaction."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in InteractionKind.values:
        refuse("kind", _("“%(value)s” is not a type of interaction.") % {"value": kind})
    if direction not in Direction.values:
        refuse("direction", _("“%(value)s” is not a direction (inbound, outbound or internal).") % {"value": direction})
    if kind == InteractionKind.SOCIAL:
        if not channel:
            refuse("channel", _("Say which channel the social message came through."))
        elif channel not in SocialChannel.values:
            refuse("channel", _("“%(value)s” is not a social channel.") % {"value": channel})
    elif channel:
        refuse("channel", _("Only social messages have a channel."))
    if duration_seconds is not None:
        if kind not in TIMED_KINDS:
            refuse("duration_seconds", _("Only calls and meetings have a duration."))
        elif not isinstance(duration_seconds, int) or isinstance(duration_seconds, bool) or duration_seconds < 0:
            refuse("duration_seconds", _("The duration must be a whole number of seconds, zero or more."))
        elif duration_seconds > MAX_DURATION_SECONDS:
            refuse("duration_seconds", _("The duration cannot be longer than 24 hours."))
    if kind == InteractionKind.CALL and outcome and outcome not in CallOutcome.values and outcome != kept_outcome:
        choices = ", ".join(CallOutcome.values)
        refuse(
            "outcome",
            _("“%(value)s” is not a call outcome (one of %(choices)s).") % {"value": outcome, "choices": choices},
        )
    if len(outcome) > OUTCOME_MAX_LENGTH:
        refuse("outcome", _("The outcome can be at most %(n)d characters.") % {"n": OUTCOME_MAX_LENGTH})
    if len(subject) > SUBJECT_MAX_LENGTH:
        refuse("subject", _("The subject can be at most %(n)d characters.") % {"n": SUBJECT_MAX_LENGTH})
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            refuse("occurred_at", _("The time needs a time zone."))
        elif occurred_at > timezone.now() + MAX_FUTURE:
            refuse("occurred_at", _("The date is more than a year ahead; follow-ups are tasks, not interactions."))
    for field, record in (("contact", contact), ("account", account), ("deal", deal)):
        if record is not None and record.tenant_id != tenant.id:
            refuse(field, _("This record is not in this workspace."))
    if any(other.tenant_id != tenant.id for other in participant_contacts):
        refuse("participant_contacts", _("A participant is not in this workspace."))
    if participant_users:
        members = set(
            Membership.objects.filter(tenant=tenant, user__in=participant_users, is_active=True).values_list(
                "user_id", flat=True
            )
        )
        if any(user.pk not in members for user in participant_users):
            refuse("participant_users", _("A colleague is not a member of this workspace."))
    if errors:
        raise ValidationError(errors)


def _unique(records: Iterable[Any], *, exclude: Any = None) -> list[Any]:
    seen: dict[int, Any] = {}
    for record in records:
        if record is not None and record != exclude:
            seen.setdefault(record.pk, record)
    return list(seen.values())


@transaction.atomic
def interaction_log(
    *,
    tenant: Tenant,
    by: User | None,
    kind: str,
    direction: str,
    contact: Contact | None = None,
    account: Account | None = None,
    deal: Deal | None = None,
    occurred_at: datetime | None = None,
    subject: str = "",
    body: str = "",
    duration_seconds: int | None = None,
    outcome: str = "",
    channel: str = "",
    participant_contacts: Iterable[Contact] = (),
    participant_users: Iterable[User] = (),
) -> Interaction:
    """Log one interaction. Without a contact it takes the deal's; without an account, the contact's
    (or the deal's). Raises ValidationError naming each wrong field; nothing is written then."""
    others = _unique(participant_contacts, exclude=contact)
    colleagues = _unique(participant_users, exclude=by)
    subject, outcome, channel = subject.strip(), outcome.strip(), channel.strip()
    _validated(
        tenant=tenant, kind=kind, direction=direction, contact=contact, account=account, deal=deal,
        occurred_at=occurred_at, subject=subject, duration_seconds=duration_seconds, outcome=outcome,
        channel=channel, participant_contacts=others, participant_users=colleagues,
    )  # fmt: skip
    if contact is None and deal is not None and deal.contact_id is not None:
        contact = deal.contact
    if account is None:
        if contact is not None and contact.account_id is not None:
            account = contact.account
        elif deal is not None and deal.account_id is not None:
            account = deal.account
    now = timezone.now()
    interaction = Interaction.objects.create(
        tenant=tenant, kind=kind, direction=direction, contact=contact, account=account, deal=deal,
        occurred_at=occurred_at or now, subject=subject, body=body, duration_seconds=duration_seconds,
        outcome=outcome, channel=channel, logged_by=by, created_at=now,
    )  # fmt: skip
    _set_participants(tenant=tenant, interaction=interaction, contacts=others, users=colleagues)
    return interaction


def _set_participants(*, tenant: Tenant, interaction: Interaction, contacts: list[Contact], users: list[User]) -> None:
    InteractionContact.objects.filter(interaction=interaction).exclude(contact__in=contacts).delete()
    InteractionUser.objects.filter(interaction=interaction).exclude(user__in=users).delete()
    InteractionContact.objects.bulk_create(
        [InteractionContact(tenant=tenant, interaction=interaction, contact=other) for other in contacts],
        ignore_conflicts=True,
    )
    InteractionUser.objects.bulk_create(
        [InteractionUser(tenant=tenant, interaction=interaction, user=user) for user in users],
        ignore_conflicts=True,
    )


@transaction.atomic
def interaction_update(
    *,
    tenant: Tenant,
    interaction: Interaction,
    by: User | None,
    direction: str,
    occurred_at: datetime | None,
    subject: str = "",
    body: str = "",
    duration_seconds: int | None = None,
    outcome: str = "",
    channel: str = "",
    deal: Deal | None = None,
    participant_contacts: Iterable[Contact] = (),
    participant_users: Iterable[User] = (),
) -> Interaction:
    """Correct what was logged. The type and the contact stay: a call logged on the wrong contact is
    deleted and logged again, so nobody's timeline changes under them silently."""
    others = _unique(participant_contacts, exclude=interaction.contact)
    colleagues = _unique(participant_users, exclude=interaction.logged_by)
    subject, outcome, channel = subject.strip(), outcome.strip(), channel.strip()
    _validated(
        tenant=tenant, kind=interaction.kind, direction=direction, contact=interaction.contact,
        account=interaction.account, deal=deal, occurred_at=occurred_at, subject=subject,
        duration_seconds=duration_seconds, outcome=outcome, channel=channel, participant_contacts=others,
        participant_users=colleagues, kept_outcome=interaction.outcome,
    )  # fmt: skip
    interaction.direction = direction
    interaction.occurred_at = occurred_at or interaction.occurred_at
    interaction.subject = subject
    interaction.body = body
    interaction.duration_seconds = duration_seconds
    interaction.outcome = outcome
    interaction.channel = channel
    interaction.deal = deal
    interaction.save(
        update_fields=["direction", "occurred_at", "subject", "body", "duration_seconds", "outcome", "channel", "deal"]
    )
    _set_participants(tenant=tenant, interaction=interaction, contacts=others, users=colleagues)
    return interaction


@transaction.atomic
def interaction_delete(*, tenant: Tenant, interaction: Interaction, by: User | None) -> None:
    """Delete the interaction, its participants and its attachments (files once the delete commits)."""
    files = list(InteractionAttachment.objects.filter(interaction=interaction).values_list("file", flat=True))
    interaction.delete()
    if files:
        from interactions.attachments import delete_stored_files

        transaction.on_commit(lambda: delete_stored_files(files))
