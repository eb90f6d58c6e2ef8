"""Reads of the privacy app, scoped to the current tenant."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from crm.sorting import Page, SortOption, keyset_page
from privacy.models import PrivacyRequest, RetentionRule, RetentionRun

NEWEST_FIRST = SortOption("newest", gettext_lazy("Newest first"), ["created_at", "id"], descending=True)
PAGE_SIZE = 50


def requests_for_list() -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.select_related("requested_by")


def request_page(*, cursor: str | None = None) -> Page:
    return keyset_page(requests_for_list(), sort=NEWEST_FIRST, cursor=cursor, size=PAGE_SIZE)


def request_for_detail() -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.select_related("requested_by", "contact")


def retention_rules() -> list[RetentionRule]:
    return list(RetentionRule.objects.order_by("kind"))


def recent_runs(limit: int = 20) -> list[RetentionRun]:
    return list(RetentionRun.objects.select_related("rule").order_by("-ran_at", "-id")[:limit])
