"""Reads for the analytics pages: runs, the current run, a contact's score trend."""

from __future__ import annotations

from django.db.models import QuerySet

from analytics.models import ContactScore, ModelRun, RunStatus, ScoreSnapshot
from customers.models import Contact


def recent_runs(limit: int = 20) -> list[ModelRun]:
    return list(ModelRun.objects.select_related("requested_by").order_by("-created_at", "-id")[:limit])


def active_run() -> ModelRun | None:
    return ModelRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()


def runs_for_page() -> QuerySet[ModelRun]:
    return ModelRun.objects.select_related("requested_by")


def score_trend(contact: Contact, limit: int = 12) -> list[ScoreSnapshot]:
    """The contact's last scores, oldest first (one per promoted run)."""
    snapshots = ScoreSnapshot.objects.filter(contact=contact).order_by("-scored_at")[:limit]
    return list(reversed(list(snapshots)))


def segment_sizes() -> list[tuple[str, int]]:
    from django.db.models import Count

    rows = ContactScore.objects.exclude(rfm_segment="").values("rfm_segment").annotate(n=Count("pk")).order_by("-n")
    return [(row["rfm_segment"], row["n"]) for row in rows]


def contact_score(contact: Contact) -> ContactScore | None:
    """The contact's current scores, or None before a run has scored it (``contact.score`` raises then)."""
    try:
        return contact.score  # type: ignore[attr-defined]  # the reverse one-to-one of ContactScore
    except ContactScore.DoesNotExist:
        return None


def contact_scores_context(contact: Contact) -> dict[str, object]:
    """What the contact page's score card needs: reasons in words, the cluster's name, the trend."""
    from django.utils.translation import gettext as _

    score = contact_score(contact)
    reasons = (score.reasons if score else None) or {}
    cluster_name = ""
    if score is not None and score.cluster is not None:
        clusters = ModelRun.objects.filter(pk=score.run_id).values_list("clusters", flat=True).first() or []
        cluster_name = next((c.get("name", "") for c in clusters if c.get("number") == score.cluster), "")
    return {
        "score": score,
        "score_reasons": [
            (_("Why this churn risk"), reasons.get("churn", []), True),  # a push up in risk is bad news
            (_("Why this value"), reasons.get("value", []), False),
        ],
        "cluster_name": cluster_name,
        "trend": score_trend(contact) if score else [],
    }
