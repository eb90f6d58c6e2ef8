"""Celery tasks of workspace administration."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="workspace.send_invitation", acks_late=True, soft_time_limit=60, time_limit=90)
def send_invitation(tenant_id: int, invitation_id: int) -> bool:
    """Email an invitation with a fresh link. Running it twice sends a second email whose link replaces
    the first one's; a used or withdrawn invitation is not sent."""
    from workspace.services import invitation_send

    return invitation_send(invitation_id=invitation_id)
