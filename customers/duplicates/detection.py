"""Finding duplicate contacts: a whole tenant (the "Find duplicates" task) or one contact
(synchronously, right after it is created or edited).

Exact matches are found set-wise in SQL: contacts grouped by normalised email or phone inside
the tenant, and a pair for each two members of a group. Fuzzy matches (similar name at a
similar company) are scored in Python with rapidfuzz inside blocks read in index order
(matching.py), never across all pairs. Every pair is upserted on (tenant, contact_a,
contact_b): running twice finds the same pairs, and a dismissed pair stays dismissed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Collate
from django.utils import timezone

from crm.models import Tenant
from customers.duplicates.matching import Match, Person, block_matches, company_key, split_block
from customers.duplicates.models import DuplicateCandidate, DuplicateReason, DuplicateStatus
from customers.models import Account, Contact
from customers.selectors import starts_with

MAX_SHARED = 5  # an email or phone shared by more contacts is a switchboard or info@, not one person
CHUNK = 5000  # rows fetched per round trip while streaming a tenant's contacts
FLUSH = 5000  # pairs written per INSERT
SCORE: dict[str, int] = {DuplicateReason.EMAIL: 100, DuplicateReason.PHONE: 95}
GENERIC_LOCAL_PARTS = frozenset(
    ["info", "sales", "contact", "office", "admin", "hello", "mail", "support", "team", "billing"]
)

# Normalised keys, as SQL over customers_contact: what forms store already (customers/normalize.py),
# applied again because imports and the API may have stored other spellings.
EXACT_KEYS: dict[str, str] = {
    DuplicateReason.EMAIL: "lower(btrim(email))",
    DuplicateReason.PHONE: "CASE WHEN length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7 "
    "THEN regexp_replace(phone, '[^0-9+]', '', 'g') ELSE '' END",
}

# A phone is shared by a household or an office: only people with the same last name (or none) pair on it.
SAME_FAMILY = "WHERE a.last = b.last OR a.last = '' OR b.last = ''"

UPSERT_CONFLICT = """
    ON CONFLICT (tenant_id, contact_a_id, contact_b_id) DO UPDATE SET
        reasons = ARRAY(SELECT DISTINCT r FROM unnest(customers_duplicatecandidate.reasons || EXCLUDED.reasons) r
                        ORDER BY r),
        score = GREATEST(customers_duplicatecandidate.score, EXCLUDED.score),
        seen_at = EXCLUDED.seen_at
"""

Progress = Callable[[int], None]


def _insert_exact(tenant_id: int, reason: str, now: datetime) -> int:
    """Pairs of contacts that share the normalised ``reason`` key: one statement for the tenant."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH keyed AS (
                SELECT id, {EXACT_KEYS[reason]} AS key, lower(btrim(last_name)) AS last
                FROM customers_contact WHERE tenant_id = %(tenant)s
            ), shared AS (
                SELECT key FROM keyed WHERE key <> '' GROUP BY key HAVING count(*) BETWEEN 2 AND %(max)s
            ), members AS (
                SELECT keyed.id, keyed.key, keyed.last FROM keyed JOIN shared USING (key)
            )
            INSERT INTO customers_duplicatecandidate
                (tenant_id, contact_a_id, contact_b_id, reasons, score, status, found_at, seen_at)
            SELECT %(tenant)s, a.id, b.id, ARRAY[%(reason)s]::varchar[], %(score)s, 'open', %(now)s, %(now)s
            FROM members a JOIN members b ON a.key = b.key AND a.id < b.id
            {SAME_FAMILY if reason == DuplicateReason.PHONE else ""}
            {UPSERT_CONFLICT}
            """,
            {"tenant": tenant_id, "max": MAX_SHARED, "reason": reason, "score": SCORE[reason], "now": now},
        )
        return cursor.rowcount


def _upsert_pairs(tenant_id: int, pairs: dict[tuple[int, int], tuple[str, int]], now: datetime) -> None:
    """Write pairs found in Python: {(contact_a, contact_b): (reason, score)}, one statement per reason."""
    by_reason: dict[str, list[tuple[int, int, int]]] = {}
    for (low, high), (reason, score) in pairs.items():
        by_reason.setdefault(reason, []).append((low, high, score))
    with connection.cursor() as cursor:
        for reason, rows in by_reason.items():
            cursor.execute(
                f"""
                INSERT INTO customers_duplicatecandidate
                    (tenant_id, contact_a_id, contact_b_id, reasons, score, status, found_at, seen_at)
                SELECT %(tenant)s, a, b, ARRAY[%(reason)s]::varchar[], s, 'open', %(now)s, %(now)s
                FROM unnest(%(a)s::bigint[], %(b)s::bigint[], %(s)s::int[]) AS t(a, b, s)
                {UPSERT_CONFLICT}
                """,
                {
                    "tenant": tenant_id,
                    "reason": reason,
                    "now": now,
                    "a": [row[0] for row in rows],
                    "b": [row[1] for row in rows],
                    "s": [row[2] for row in rows],
                },
            )


def _stream(tenant_id: int, order_by: tuple[str, ...], condition: Q) -> Iterator[tuple[Any, ...]]:
    """The tenant's contacts in ``order_by`` order, streamed with a server-side cursor.

    Every contact of the tenant, whatever the signed-in user's record visibility: a duplicate
    owned by a colleague is still a duplicate (row-level security still applies underneath).
    """
    rows = (
        Contact.unscoped_objects.filter(condition, tenant_id=tenant_id)
        .order_by(*order_by)
        .values_list("id", "first_name", "last_name", "account_id", "last_name_key", "first_name_key", "email")
    )
    yield from rows.iterator(chunk_size=CHUNK)


def _fuzzy_pass(
    *,
    tenant_id: int,
    companies: dict[int, str],
    order_by: tuple[str, ...],
    condition: Q,
    block_key: Callable[[tuple[Any, ...]], Any],
    now: datetime,
    progress: Progress,
) -> None:
    """Read contacts in an order that makes each block contiguous, score block by block."""
    found: dict[tuple[int, int], tuple[str, int]] = {}
    read = 0
    for _key, rows in groupby(_stream(tenant_id, order_by, condition), key=block_key):
        people = [Person(row[0], row[1], row[2], row[3], companies.get(row[3], "") if row[3] else "") for row in rows]
        read += len(people)
        for block in split_block(people):
            for match in block_matches(block):
                found[(match.contact_a, match.contact_b)] = (DuplicateReason.NAME, match.score)
        if len(found) >= FLUSH or read >= CHUNK * 4:
            _upsert_pairs(tenant_id, found, now)
            found.clear()
            progress(read)
            read = 0
    _upsert_pairs(tenant_id, found, now)
    progress(read)


def _name_block(row: tuple[Any, ...]) -> tuple[str, str]:
    return (row[4][:4], row[5][:1])  # same start of the last name, same first initial


def duplicates_detect_all(*, tenant: Tenant, progress: Callable[[int, int], None] | None = None) -> int:
    """Find every duplicate pair of the tenant; drop open pairs no longer found. Returns open pairs.

    ``progress(done, total)`` is called as contacts are read (three passes over the contacts).
    """
    now = timezone.now()
    total = Contact.unscoped_objects.filter(tenant_id=tenant.id).count() * 4
    done = 0

    def advance(steps: int) -> None:
        nonlocal done
        done += steps
        if progress:
            progress(min(done, total), total)

    for reason in (DuplicateReason.EMAIL, DuplicateReason.PHONE):
        _insert_exact(tenant.id, reason, now)
        advance(total // 8)
    companies = {pk: company_key(name) for pk, name in Account.unscoped_objects.values_list("id", "name").iterator()}
    passes: list[tuple[tuple[str, ...], Q, Callable[[tuple[Any, ...]], Any]]] = [
        # Same start of the last name and first initial: served by contact_last_name_key_idx, in order.
        (("last_name_key", "first_name_key", "id"), ~Q(last_name_key=""), _name_block),
        # Same account (a misspelt last name at the same company): contact_account_fk_idx.
        (("account_id", "last_name_key", "id"), Q(account__isnull=False), lambda row: row[3]),
    ]
    for order_by, condition, key in passes:
        _fuzzy_pass(
            tenant_id=tenant.id, companies=companies, order_by=order_by, condition=condition,
            block_key=key, now=now, progress=advance,
        )  # fmt: skip
    # Same email local part at another domain (jsmith@acme.example / jsmith@gmail.example).
    _email_pass(tenant.id, companies, now, advance)
    # Open pairs that this run did not find again no longer match (someone edited a contact).
    DuplicateCandidate.unscoped_objects.filter(
        tenant_id=tenant.id, status=DuplicateStatus.OPEN, seen_at__lt=now
    ).delete()
    return DuplicateCandidate.unscoped_objects.filter(tenant_id=tenant.id, status=DuplicateStatus.OPEN).count()


def _email_pass(tenant_id: int, companies: dict[int, str], now: datetime, advance: Progress) -> None:
    """Blocks of contacts whose email local parts are equal, grouped in SQL (only groups of 2+)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT array_agg(id) FROM customers_contact
            WHERE tenant_id = %(tenant)s AND email <> ''
            GROUP BY lower(split_part(email, '@', 1))
            HAVING count(*) BETWEEN 2 AND %(max)s AND length(lower(split_part(email, '@', 1))) >= 4
               AND NOT lower(split_part(email, '@', 1)) = ANY(%(generic)s)
            """,
            {"tenant": tenant_id, "max": 50, "generic": sorted(GENERIC_LOCAL_PARTS)},
        )
        groups = [row[0] for row in cursor.fetchall()]
    found: dict[tuple[int, int], tuple[str, int]] = {}
    for start in range(0, len(groups), 500):
        batch = groups[start : start + 500]
        rows = {
            row[0]: row
            for row in Contact.unscoped_objects.filter(pk__in=[pk for group in batch for pk in group]).values_list(
                "id", "first_name", "last_name", "account_id"
            )
        }
        for group in batch:
            people = [
                Person(pk, rows[pk][1], rows[pk][2], rows[pk][3], companies.get(rows[pk][3] or 0, ""))
                for pk in group
                if pk in rows
            ]
            for match in block_matches(people):
                found[(match.contact_a, match.contact_b)] = (DuplicateReason.NAME, match.score)
        _upsert_pairs(tenant_id, found, now)
        found.clear()
    advance(len(groups))


# One contact, synchronously -------------------------------------------------------------------


def _contact_candidates(contact: Contact) -> list[Contact]:
    """Contacts that could be ``contact``'s duplicates: a few index range scans, at most 500 rows each."""
    others = Contact.unscoped_objects.filter(tenant_id=contact.tenant_id).exclude(pk=contact.pk)
    fields = ("id", "first_name", "last_name", "email", "phone", "account_id", "account__name")
    queries = []
    email = contact.email.strip().lower()
    if email:
        queries.append(others.filter(Q(email=email) | Q(email=contact.email)))  # contact_email_prefix_idx
        local = email.split("@", 1)[0]
        if len(local) >= 4 and local not in GENERIC_LOCAL_PARTS:
            queries.append(others.filter(starts_with(Collate("email", "C"), f"{local}@")))
    if contact.phone:
        queries.append(others.alias(phone_c=Collate("phone", "C")).filter(phone_c=contact.phone))
    last_key = contact.last_name.lower()[:4]
    first_key = contact.first_name.lower()[:1]
    if last_key and first_key:  # contact_last_name_key_idx, as the full run's first pass blocks
        queries.append(
            others.filter(starts_with(F("last_name_key"), last_key), starts_with(F("first_name_key"), first_key))
        )
    if contact.account_id:
        queries.append(others.filter(account_id=contact.account_id))  # contact_account_fk_idx
    found: dict[int, Contact] = {}
    for query in queries:
        for other in query.select_related("account").only(*fields)[:500]:
            found[other.pk] = other
    return list(found.values())


def _phone_key(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+") if len(digits) >= 7 else ""


def duplicates_detect_for_contact(*, tenant: Tenant, contact: Contact) -> list[DuplicateCandidate]:
    """``contact``'s open duplicate pairs, found afresh: cheap enough to run on every save."""
    now = timezone.now()
    candidates = _contact_candidates(contact)
    pairs: dict[tuple[int, int], tuple[set[str], int]] = {}

    def add(other_id: int, reason: str, score: int) -> None:
        key = (min(contact.pk, other_id), max(contact.pk, other_id))
        reasons, best = pairs.get(key, (set(), 0))
        pairs[key] = (reasons | {reason}, max(best, score))

    email = contact.email.strip().lower()
    same_email = [c for c in candidates if email and c.email.strip().lower() == email]
    if 0 < len(same_email) < MAX_SHARED:
        for other in same_email:
            add(other.pk, DuplicateReason.EMAIL, SCORE[DuplicateReason.EMAIL])
    phone = _phone_key(contact.phone)
    same_phone = [c for c in candidates if phone and _phone_key(c.phone) == phone]
    if 0 < len(same_phone) < MAX_SHARED:
        last = contact.last_name.strip().lower()
        for other in same_phone:
            if not last or not other.last_name.strip() or other.last_name.strip().lower() == last:  # SAME_FAMILY
                add(other.pk, DuplicateReason.PHONE, SCORE[DuplicateReason.PHONE])
    me = Person(contact.pk, contact.first_name, contact.last_name, contact.account_id, _company(contact))
    people = [me] + [Person(c.pk, c.first_name, c.last_name, c.account_id, _company(c)) for c in candidates]
    for match in _matches_with(me, people):
        add(match.contact_b if match.contact_a == me.id else match.contact_a, DuplicateReason.NAME, match.score)
    for reason in DuplicateReason.values:
        _upsert_pairs(
            tenant.id,
            {key: (reason, score) for key, (reasons, score) in pairs.items() if reason in reasons},
            now,
        )
    mine = DuplicateCandidate.unscoped_objects.filter(tenant_id=tenant.id).filter(
        Q(contact_a=contact) | Q(contact_b=contact)
    )
    # Pairs it no longer matches (its email or name changed) are no longer suggested.
    mine.filter(status=DuplicateStatus.OPEN, seen_at__lt=now).delete()
    return list(mine.filter(status=DuplicateStatus.OPEN))


def _company(contact: Contact) -> str:
    return contact.account.name if contact.account_id and contact.account else ""


def _matches_with(me: Person, people: list[Person]) -> list[Match]:
    return [m for block in split_block(people) for m in block_matches(block) if me.id in (m.contact_a, m.contact_b)]
