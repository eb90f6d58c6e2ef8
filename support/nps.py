"""NPS surveys to a segment: written once per recipient, emailed through the automatic-email queue (so
the per-address hourly limit applies), answered once. Runs as a Celery task with progress on the row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant, User
from segments.models import Segment
from support.models import NoticeKind, NpsResponse, NpsStatus, NpsSurvey
from support.tokens import absolute, nps_token

BATCH = 500
SEND_TIME_LIMIT_SECONDS = 1800  # support.nps_send's hard time limit


def nps_url(*, tenant_id: int, response_id: int, score: int | None = None) -> str:
    path = reverse("support:nps-answer", args=[nps_token(tenant_id=tenant_id, response_id=response_id)])
    return absolute(f"{path}?score={score}" if score is not None else path)


@transaction.atomic
def nps_survey_create(*, tenant: Tenant, name: str, question: str, segment: Segment, by: User) -> NpsSurvey:
    from support.tasks import nps_send

    if segment.tenant_id != tenant.pk:
        raise ValidationError({"segment": _("This record does not exist.")})
    survey = NpsSurvey.objects.create(
        tenant=tenant, name=name.strip(), question=question.strip(), segment=segment, segment_name=segment.name,
        created_by=by,
    )  # fmt: skip
    transaction.on_commit(lambda: nps_send.delay(tenant.id, survey.pk))
    return survey


def _recipients(survey: NpsSurvey) -> int:
    """Write one row per member with an address, not on the email suppression list (idempotent)."""
    from campaigns.models import Suppression
    from segments.selectors import segment_contacts

    if survey.segment is None:
        raise ValidationError(_("The segment was deleted."))
    suppressed = Suppression.objects.filter(channel="email", address=OuterRef("address"))
    members = (
        segment_contacts(survey.segment)
        .exclude(email="")
        .annotate(address=Lower("email"))
        .filter(~Exists(suppressed))
        .values_list("pk", "address")
        .order_by("pk")
    )
    batch: list[NpsResponse] = []
    for contact_id, address in members.iterator(chunk_size=BATCH):
        batch.append(NpsResponse(tenant_id=survey.tenant_id, survey=survey, contact_id=contact_id, address=address))
        if len(batch) >= BATCH:
            NpsResponse.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    NpsResponse.objects.bulk_create(batch, ignore_conflicts=True)
    return NpsResponse.objects.filter(survey=survey).count()


def nps_survey_send(*, survey_id: int) -> bool:
    """Email every recipient not yet emailed; safe to run twice (each row is claimed once)."""
    from support.services import notice_enqueue

    now = timezone.now()
    abandoned = Q(status=NpsStatus.SENDING, claimed_at__lt=now - timedelta(seconds=SEND_TIME_LIMIT_SECONDS))
    if not NpsSurvey.objects.filter(Q(pk=survey_id) & (Q(status=NpsStatus.QUEUED) | abandoned)).update(
        status=NpsStatus.SENDING, claimed_at=now
    ):
        return False
    survey = NpsSurvey.objects.select_related("segment", "tenant").get(pk=survey_id)
    tenant = survey.tenant
    try:
        total = _recipients(survey)
    except Exception as error:  # a segment whose rules no longer compile, or was deleted
        NpsSurvey.objects.filter(pk=survey_id).update(status=NpsStatus.FAILED, last_error=str(error)[:1000])
        return False
    NpsSurvey.objects.filter(pk=survey_id).update(recipients=total)
    while True:
        pending = list(NpsResponse.objects.filter(survey=survey, emailed__isnull=True).order_by("id")[:BATCH])
        if not pending:
            break
        for response in pending:
            with transaction.atomic():
                if not NpsResponse.objects.filter(pk=response.pk, emailed__isnull=True).update(emailed=False):
                    continue
                notice = notice_enqueue(
                    tenant=tenant, kind=NoticeKind.NPS, ticket=None, to_address=response.address,
                    subject=survey.question, body=_nps_body(survey, response),
                )  # fmt: skip
                if notice is not None:
                    NpsResponse.objects.filter(pk=response.pk).update(emailed=True)
        done = NpsResponse.objects.filter(survey=survey, emailed__isnull=False).count()
        NpsSurvey.objects.filter(pk=survey_id).update(processed=done)
    NpsSurvey.objects.filter(pk=survey_id).update(status=NpsStatus.SENT, finished_at=timezone.now(), processed=total)
    return True


def _nps_body(survey: NpsSurvey, response: NpsResponse) -> str:
    lines = [survey.question, "", _("0 = not at all likely, 10 = extremely likely. One click answers:"), ""]
    for score in range(10, -1, -1):
        lines.append(f"{score}: {nps_url(tenant_id=survey.tenant_id or 0, response_id=response.pk, score=score)}")
    return "\n".join(lines)


def nps_answer(*, response: NpsResponse, score: int, comment: str) -> bool:
    if not 0 <= score <= 10:
        raise ValidationError({"score": _("Choose a score from 0 to 10.")})
    return bool(
        NpsResponse.objects.filter(pk=response.pk, answered_at__isnull=True).update(
            score=score, comment=comment.strip()[:4000], answered_at=timezone.now()
        )
    )


@dataclass(frozen=True)
class NpsResult:
    answers: int
    promoters: int
    passives: int
    detractors: int
    emailed: int

    @property
    def score(self) -> int | None:
        """% promoters (9-10) minus % detractors (0-6), from -100 to 100."""
        return round(100 * (self.promoters - self.detractors) / self.answers) if self.answers else None


def nps_result(survey: NpsSurvey) -> NpsResult:
    counts = NpsResponse.objects.filter(survey=survey).aggregate(
        answers=Count("id", filter=Q(score__isnull=False)),
        promoters=Count("id", filter=Q(score__gte=9)),
        passives=Count("id", filter=Q(score__in=(7, 8))),
        detractors=Count("id", filter=Q(score__lte=6)),
        emailed=Count("id", filter=Q(emailed=True)),
    )
    return NpsResult(**counts)
