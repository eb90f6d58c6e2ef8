"""Celery tasks of the customer channels: sending one automatic email, the satisfaction survey sweep
(beat, fanned out per tenant) and the requeue of automatic emails whose task was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crm.celery import app
from crm.tenancy.tasks import TenantTask

MAX_RETRIES = 5
RETRY_BASE_SECONDS = 60


@app.task(
    base=TenantTask,
    bind=True,
    name="support.send_notice",
    acks_late=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=90,
    time_limit=120,  # support.services.NOTICE_TIME_LIMIT_SECONDS
)
def send_notice(self: Any, tenant_id: int, notice_id: int) -> Any:
    """Send one automatic email. Safe to run twice: the row is claimed by a conditional update."""
    from mail.smtp import MailFailure
    from support.services import notice_deliver, notice_give_up

    try:
        return notice_deliver(notice_id=notice_id)
    except MailFailure as failure:
        if failure.permanent:
            return False
        if self.request.retries >= self.max_retries:
            notice_give_up(notice_id=notice_id, attempts=self.request.retries + 1)
            return False
        countdown = RETRY_BASE_SECONDS * 2**self.request.retries
        if self.request.is_eager:
            return self.retry(countdown=countdown, throw=False)
        raise self.retry(countdown=countdown) from failure


@app.task(base=TenantTask, name="support.csat_sweep_tenant", acks_late=True, soft_time_limit=240, time_limit=300)
def csat_sweep_tenant(tenant_id: int) -> int:
    """Idempotent: one survey row per ticket (unique), so a second run sends nothing twice."""
    from crm.models import Tenant
    from support.services import csat_sweep

    return csat_sweep(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="support.schedule_csat_sweeps", soft_time_limit=60, time_limit=90)
def schedule_csat_sweeps() -> int:
    """Beat: one sweep per active tenant that has recently solved tickets and surveys switched on."""
    from django.utils import timezone

    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from service_desk.models import Ticket
    from support.models import SupportSettings
    from support.services import SURVEY_WINDOW

    queued = 0
    since = timezone.now() - SURVEY_WINDOW
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            if SupportSettings.objects.filter(csat_enabled=False).exists():
                continue
            if not Ticket.objects.filter(solved_at__gte=since).exists():
                continue
        csat_sweep_tenant.delay(tenant_id)
        queued += 1
    return queued


@app.task(name="support.requeue_stuck_notices", soft_time_limit=60, time_limit=90)
def requeue_stuck_notices() -> int:
    """Beat: automatic emails still queued well after they were written (their task was lost) go again."""
    from django.utils import timezone

    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from support.models import NoticeStatus, SupportNotice

    stale = timezone.now() - timedelta(minutes=10)
    window = timezone.now() - timedelta(days=1)
    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            ids = list(
                SupportNotice.objects.filter(
                    status__in=(NoticeStatus.QUEUED, NoticeStatus.SENDING),
                    attempts=0,
                    created_at__lt=stale,
                    created_at__gte=window,
                ).values_list("id", flat=True)[:500]
            )
        for notice_id in ids:
            send_notice.delay(tenant_id, notice_id)
            queued += 1
    return queued


@app.task(base=TenantTask, name="support.nps_send", acks_late=True, soft_time_limit=1700, time_limit=1800)
def nps_send(tenant_id: int, survey_id: int) -> bool:
    """Idempotent: the survey is claimed, and each recipient row is emailed at most once."""
    from support.nps import nps_survey_send

    return nps_survey_send(survey_id=survey_id)
