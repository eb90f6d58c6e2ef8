"""Tasks the worker test sends to a real worker (loaded there with ``--include``)."""

from __future__ import annotations

from django.db import connection

from crm.celery import app
from crm.tenancy.context import current_tenant_id
from crm.tenancy.tasks import TenantTask
from customers.models import Contact


@app.task(base=TenantTask, name="tests.visible_contacts")
def visible_contacts(tenant_id: int) -> dict[str, object]:
    """What this task can see: through the scoped manager, the unscoped one, and raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM customers_contact ORDER BY email")
        raw = [row[0] for row in cursor.fetchall()]
    return {
        "current_tenant": current_tenant_id(),
        "scoped": sorted(Contact.objects.values_list("email", flat=True)),
        "unscoped": sorted(Contact.unscoped_objects.values_list("email", flat=True)),
        "raw": raw,
    }
