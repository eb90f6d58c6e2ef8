"""Fuzzy matching of people inside one block of candidates: plain Python, no Django.

Detection never compares every pair of a tenant's contacts. It reads them in blocks that
share a cheap key (same start of the last name, same account, same email local part) and
scores every pair inside a block at once with rapidfuzz's ``cdist`` (C++, one matrix per
block). Only pairs whose names *and* companies are close become suggestions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

NAME_MIN = 85  # token_sort_ratio of the full names ("jon smith" / "john smith" = 95)
FIRST_NAME_MIN = 80  # "jon" / "john" = 86; "mark" / "mary" = 75 (different people)
LAST_NAME_MIN = 80  # "smith" / "smyth" = 80
COMPANY_MIN = 85  # token_set_ratio without legal suffixes ("acme" / "acme inc" = 100)
MAX_BLOCK = 2500  # larger blocks are split further (a 2,500² matrix of bytes is 6 MB)
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "llc",
        "ltd",
        "limited",
        "co",
        "corp",
        "corporation",
        "company",
        "gmbh",
        "ag",
        "sa",
        "plc",
        "group",
        "holdings",
        "partners",
    ]
)


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    last_name: str
    account_id: int | None
    company: str  # the account's name, "" without one

    @property
    def name_key(self) -> str:
        return default_process(f"{self.first_name} {self.last_name}")

    @property
    def company_key(self) -> str:
        return company_key(self.company)


@dataclass(frozen=True)
class Match:
    contact_a: int  # the lower id
    contact_b: int
    score: int


def company_key(name: str) -> str:
    """Lower-case words without punctuation and legal suffixes: "ACME, Inc." → "acme"."""
    words = default_process(name).split()
    kept = [word for word in words if word not in LEGAL_SUFFIXES]
    return " ".join(kept or words)


def _first_names_agree(first_a: str, first_b: str) -> bool:
    a, b = default_process(first_a), default_process(first_b)
    if not a or not b:
        return False
    if a.startswith(b) or b.startswith(a):  # "j" / "john", "jon" / "jonathan"
        return True
    return fuzz.ratio(a, b) >= FIRST_NAME_MIN


def _same_person(a: Person, b: Person, full_score: float) -> bool:
    if full_score >= 100:  # same words, maybe first and last name swapped
        return True
    last_a, last_b = default_process(a.last_name), default_process(b.last_name)
    return fuzz.ratio(last_a, last_b) >= LAST_NAME_MIN and _first_names_agree(a.first_name, b.first_name)


def block_matches(people: Sequence[Person]) -> list[Match]:
    """Pairs of one block that look like the same person at the same company."""
    if len(people) < 2:
        return []
    names = [person.name_key for person in people]
    full = process.cdist(names, names, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_MIN, dtype=np.uint8)
    candidates = np.triu(full >= NAME_MIN, k=1)  # each pair once, not a person with themself
    empty = np.fromiter((not name for name in names), dtype=bool, count=len(names))
    candidates &= ~empty[:, None] & ~empty[None, :]
    if not candidates.any():
        return []
    companies = [person.company_key for person in people]
    company = process.cdist(companies, companies, scorer=fuzz.token_set_ratio, dtype=np.uint8)
    has_company = np.fromiter((bool(c) for c in companies), dtype=bool, count=len(companies))
    accounts = np.fromiter((p.account_id or -1 for p in people), dtype=np.int64, count=len(people))
    same_account = (accounts[:, None] == accounts[None, :]) & (accounts[:, None] >= 0)
    company = np.where(same_account, 100, company)
    candidates &= same_account | ((company >= COMPANY_MIN) & has_company[:, None] & has_company[None, :])
    matches = []
    for i, j in zip(*np.nonzero(candidates), strict=True):
        a, b = people[int(i)], people[int(j)]
        if not _same_person(a, b, float(full[i, j])):
            continue
        score = min(99, round(0.7 * float(full[i, j]) + 0.3 * float(company[i, j])))
        low, high = sorted((a.id, b.id))
        matches.append(Match(low, high, score))
    return matches


def split_block(people: list[Person], key_length: int = 3) -> list[list[Person]]:
    """A block too big to score as one matrix, split by the start of the first name (then cut)."""
    if len(people) <= MAX_BLOCK:
        return [people]
    groups: dict[str, list[Person]] = {}
    for person in people:
        groups.setdefault(default_process(person.first_name)[:key_length], []).append(person)
    blocks: list[list[Person]] = []
    for group in groups.values():
        if len(group) > MAX_BLOCK and key_length < 6:
            blocks += split_block(group, key_length + 1)
        else:
            blocks += [group[start : start + MAX_BLOCK] for start in range(0, len(group), MAX_BLOCK)]
    return blocks
