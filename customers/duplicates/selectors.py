"""Reads of the duplicate review: the queue, a contact's open pairs, the latest run."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan

from crm.cursors import decode_cursor, encode_cursor
from crm.tenancy.context import visible_owner_ids
from customers.duplicates.models import DuplicateCandidate, DuplicateRun, DuplicateStatus
from customers.models import Contact

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    rows: list[DuplicateCandidate]
    next_cursor: str | None


def _visible(pairs: QuerySet[DuplicateCandidate]) -> QuerySet[DuplicateCandidate]:
    """The manager checks contact_a's owner for "own records" roles; both contacts must be theirs."""
    owners = visible_owner_ids()
    return pairs.filter(contact_b__owner_id__in=owners) if owners is not None else pairs


def open_pairs() -> QuerySet[DuplicateCandidate]:
    return _visible(DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN))


def queue_page(*, cursor: str | None = None) -> QueuePage:
    """Open pairs, best first: keyset on (score, id) descending (dupcandidate_queue_idx read backwards)."""
    pairs = open_pairs().select_related(
        "contact_a__account", "contact_b__account", "contact_a__owner", "contact_b__owner"
    )
    after = decode_cursor(cursor, 2)
    if after:
        pairs = pairs.filter(TupleLessThan(Tuple(F("score"), F("id")), tuple(after)))
    rows = list(pairs.order_by("-score", "-id")[: QUEUE_PAGE_SIZE + 1])
    more = len(rows) > QUEUE_PAGE_SIZE
    rows = rows[:QUEUE_PAGE_SIZE]
    return QueuePage(rows, encode_cursor([rows[-1].score, rows[-1].id]) if more else None)


def open_pairs_for(contact: Contact, *, limit: int = 3) -> list[tuple[DuplicateCandidate, Contact]]:
    """A contact's open pairs with the other contact, best first (the notice on its page)."""
    pairs = (
        open_pairs()
        .filter(Q(contact_a=contact) | Q(contact_b=contact))
        .select_related("contact_a", "contact_b")
        .order_by("-score", "id")[:limit]
    )
    return [(pair, pair.contact_b if pair.contact_a_id == contact.pk else pair.contact_a) for pair in pairs]


def pairs_for_detail() -> QuerySet[DuplicateCandidate]:
    return open_pairs()


def latest_run() -> DuplicateRun | None:
    return DuplicateRun.objects.order_by("-created_at", "-id").first()


def runs_for_detail() -> QuerySet[DuplicateRun]:
    return DuplicateRun.objects.all()


def related_counts(contact: Contact) -> dict[str, int]:
    """What a contact brings to a merge (the summary at the top of the merge screen)."""
    from customers.models import Deal, Order
    from interactions.models import Interaction

    return {
        "orders": Order.objects.filter(contact=contact).count(),
        "deals": Deal.objects.filter(contact=contact).count(),
        "interactions": Interaction.objects.filter(contact=contact).count(),
    }
