"""Duplicate contacts: detection (exact email/phone in SQL, fuzzy name + company in blocks),
the review queue, and merging two contacts into one."""
