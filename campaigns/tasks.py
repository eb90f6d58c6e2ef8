"""Celery tasks of campaigns: preparing the deliveries, sender runs, and the beat's tick."""

from __future__ import annotations

from typing import Any

from crm.celery import app
from crm.models import Tenant
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="campaigns.prepare", acks_late=True, soft_time_limit=540, time_limit=600)
def prepare_campaign(tenant_id: int, campaign_id: int) -> bool:
    """Create the deliveries once (the campaign row is locked and marked prepared), then start the senders."""
    from campaigns.sending import campaign_prepare
    from campaigns.services import campaign_prepared

    tenant = Tenant.objects.get(pk=tenant_id)
    prepared = campaign_prepare(tenant=tenant, campaign_id=campaign_id)
    campaign_prepared(tenant=tenant, campaign_id=campaign_id)  # also after a duplicate: claims make it harmless
    return prepared


@app.task(base=TenantTask, bind=True, name="campaigns.send", acks_late=True, soft_time_limit=240, time_limit=300)
def send_campaign(self: Any, tenant_id: int, campaign_id: int) -> int:
    """One sender run (campaigns/sending.py); it queues its own continuation when work is left."""
    from campaigns.sending import campaign_send_run

    tenant = Tenant.objects.get(pk=tenant_id)
    result = campaign_send_run(tenant=tenant, campaign_id=campaign_id)
    if result.next_run_in is not None:
        send_campaign.apply_async(args=[tenant_id, campaign_id], countdown=result.next_run_in)
    return result.sent


@app.task(name="campaigns.tick", soft_time_limit=120, time_limit=150)
def tick() -> dict[str, int]:
    """celery beat, every minute, in each active tenant: start due scheduled campaigns, pick A/B winners,
    resolve claims of dead workers, take in bounces, and restart senders of stalled campaigns. Each step
    is a conditional update or idempotent, so two ticks at once do each thing once. Not a TenantTask:
    it loops over tenants."""
    from campaigns.compliance import bounces_from_inbox
    from campaigns.sending import deliveries_sweep, stalled_campaign_ids
    from campaigns.services import campaigns_decide_ab, campaigns_start_due
    from crm.tenancy.context import tenant_context

    totals = {"started": 0, "decided": 0, "requeued": 0, "uncertain": 0, "restarted": 0, "bounced": 0}
    for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
        with tenant_context(tenant.id):
            totals["started"] += campaigns_start_due(tenant=tenant)
            totals["decided"] += campaigns_decide_ab(tenant=tenant)
            requeued, uncertain = deliveries_sweep()
            totals["bounced"] += bounces_from_inbox(tenant=tenant)
            totals["requeued"] += requeued
            totals["uncertain"] += uncertain
            for campaign_id in stalled_campaign_ids():
                send_campaign.delay(tenant.id, campaign_id)
                totals["restarted"] += 1
    return totals
