"""The import tasks on a real Celery worker and real Redis: a second delivery of the run does nothing."""

from __future__ import annotations

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout

from crm.tenancy.context import tenant_context
from customers.models import Contact
from imports.models import ContactImport, ImportStatus
from imports.tasks import check_contact_import, run_contact_import
from tests.crm.test_celery_worker import celery_worker_process  # noqa: F401 (the fixture)
from tests.imports.conftest import upload


@pytest.fixture
def _media_in_tmp() -> None:
    """The worker is another process: it reads the test settings' MEDIA_ROOT (passed on through
    CRM_TEST_MEDIA_ROOT), not this test's temporary folder, so the upload must go there."""


def on_worker(task, queue, *args):
    try:
        return task.apply_async(args=args, queue=queue).get(timeout=60)
    except CeleryTimeout:
        pytest.fail("the worker did not answer within 60 s")


@pytest.mark.worker
def test_an_import_runs_on_a_worker_once_even_if_delivered_twice(celery_worker_process, tenant_a, alice):  # noqa: F811
    contact_import = upload(tenant_a, alice, b"Email,First Name\nann@example.org,Ann\nbo@example.org,Bo\nbad,X\n")
    try:
        with tenant_context(tenant_a.id):
            ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.CHECK_QUEUED)
        on_worker(check_contact_import, celery_worker_process, tenant_a.id, contact_import.pk)
        with tenant_context(tenant_a.id):
            assert ContactImport.objects.get(pk=contact_import.pk).check_result["create"] == 2
            ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.QUEUED)
        on_worker(run_contact_import, celery_worker_process, tenant_a.id, contact_import.pk)
        on_worker(run_contact_import, celery_worker_process, tenant_a.id, contact_import.pk)  # redelivered
        with tenant_context(tenant_a.id):
            done = ContactImport.objects.get(pk=contact_import.pk)
            assert (done.status, done.created_count, done.rejected_count) == ("done", 2, 1)
            assert sorted(Contact.objects.values_list("email", flat=True)) == ["ann@example.org", "bo@example.org"]
    finally:
        contact_import.file.delete(save=False)
