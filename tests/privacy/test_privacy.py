"""Privacy requests: the export ZIP, its signed and tenant-checked download, erasure everywhere, retention."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from crm.tenancy.context import tenant_context
from customers.models import Contact, Order
from inbox.models import InboundMessage
from interactions.models import Interaction, InteractionContact
from privacy.models import PrivacyRequest, RequestStatus, RetentionRule, RetentionRun
from privacy.services import download_token
from service_desk.models import Ticket, TicketMessage
from sms.models import SmsMessage
from tests.factories import ContactFactory, InteractionFactory, OrderFactory
from tests.inbox.factories import InboundMessageFactory
from tests.interactions.factories import InteractionAttachmentFactory
from tests.privacy.factories import PrivacyRequestFactory, RetentionRuleFactory
from tests.sms.factories import SmsMessageFactory

EMAIL, FIRST, LAST, PHONE = "zoe.quill@private.example", "Zoe", "Quillington", "+4915199988877"


def the_person(tenant, owner_db: bool = False):
    """A contact with personal data in every kind of table the brief names."""
    contact = ContactFactory(
        tenant=tenant, first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE, street="12 Hidden Lane",
        city="Bergen", birthday="1990-04-01", custom_fields={"nickname": "Zed"},
    )  # fmt: skip
    OrderFactory(tenant=tenant, contact=contact, amount=Decimal("250.00"))
    OrderFactory(tenant=tenant, contact=contact, amount=Decimal("50.00"))
    call = InteractionFactory(tenant=tenant, contact=contact, subject=f"Call with {FIRST} {LAST}", body=f"Mail {EMAIL}")
    InteractionAttachmentFactory(tenant=tenant, interaction=call)
    meeting = InteractionFactory(tenant=tenant, contact=None, subject="Meeting", body=f"{FIRST} {LAST} joined")
    with tenant_context(tenant.id):
        InteractionContact.objects.create(tenant=tenant, interaction=meeting, contact=contact)
        ticket = Ticket.objects.create(
            tenant=tenant, number=1, subject=f"Refund for {FIRST} {LAST}", contact=contact, requester_email=EMAIL
        )
        TicketMessage.objects.create(
            tenant=tenant, ticket=ticket, kind="customer", from_address=EMAIL, body_text=f"Regards, {FIRST} {LAST}"
        )
    SmsMessageFactory(tenant=tenant, contact=contact, to_number=PHONE, body=f"Hi {FIRST} {LAST}")
    InboundMessageFactory(tenant=tenant, from_address=EMAIL, from_name=f"{FIRST} {LAST}", body_text="hello")
    return contact


def test_export_builds_a_zip_of_everything_held_about_the_contact(
    tenant_a, alice_client, eager_tasks, django_capture_on_commit_callbacks
):
    contact = the_person(tenant_a)
    other = ContactFactory(tenant=tenant_a, first_name="Not", last_name="Included", email="other@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("privacy:contact-export", args=[contact.pk]))
    with tenant_context(tenant_a.id):
        request = PrivacyRequest.objects.get()
    assert response.url == reverse("privacy:request-detail", args=[request.pk])
    assert request.status == RequestStatus.DONE and request.progress == 100
    page = alice_client.get(response.url).content.decode()
    assert "Download ZIP" in page
    download = alice_client.get(
        reverse("privacy:request-download", args=[request.pk]), {"token": download_token(request)}
    )
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = set(archive.namelist())
    assert {
        "data.json", "customers_contact.csv", "customers_order.csv", "interactions_interaction.csv",
        "interactions_interactionattachment.csv", "service_desk_ticket.csv", "service_desk_ticketmessage.csv",
        "sms_smsmessage.csv", "audit_auditevent.csv",
    } <= names  # fmt: skip
    data = json.loads(archive.read("data.json"))
    assert data["tables"]["customers_contact"][0]["email"] == EMAIL
    assert sorted(row["amount"] for row in data["tables"]["customers_order"]) == ["250.00", "50.00"]
    assert {row["subject"] for row in data["tables"]["interactions_interaction"]} == {
        f"Call with {FIRST} {LAST}",
        "Meeting",
    }
    assert "other@example.org" not in archive.read("data.json").decode() and other.pk
    with tenant_context(tenant_a.id):
        assert AuditEvent.objects.filter(action="privacy_export", object_id=str(contact.pk)).exists()


def test_the_download_link_is_signed_expires_and_is_tenant_checked(tenant_a, alice_client, charlie_client):
    request = PrivacyRequestFactory(tenant=tenant_a)
    url = reverse("privacy:request-download", args=[request.pk])
    token = download_token(request)
    assert alice_client.get(url, {"token": token}).status_code == 200
    assert charlie_client.get(url, {"token": token}).status_code == 404
    assert alice_client.get(url, {"token": token + "x"}).status_code == 403
    assert alice_client.get(url).status_code == 403
    later = timezone.now() + timedelta(days=8)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert alice_client.get(url, {"token": token}).status_code == 403
    assert signing.TimestampSigner(salt="privacy.download").unsign(token)  # still a real signature


def test_only_admins_reach_privacy_pages_and_another_tenants_contact_is_a_404(
    tenant_a, alice_client, bob_client, charlie_client
):
    contact = ContactFactory(tenant=tenant_a)
    assert bob_client.get(reverse("privacy:list")).status_code == 403
    assert bob_client.post(reverse("privacy:contact-export", args=[contact.pk])).status_code == 403
    assert bob_client.get(reverse("privacy:contact-erase", args=[contact.pk])).status_code == 403
    assert charlie_client.get(reverse("privacy:contact-erase", args=[contact.pk])).status_code == 404
    assert (
        charlie_client.post(
            reverse("privacy:contact-erase", args=[contact.pk]), {"confirm_name": contact.full_name}
        ).status_code
        == 404
    )
    with tenant_context(tenant_a.id):
        assert not PrivacyRequest.objects.exists()
    empty = alice_client.get(reverse("privacy:list")).content.decode()
    assert "No privacy requests yet" in empty


def test_a_wrong_name_erases_nothing(tenant_a, alice_client, eager_tasks):
    contact = the_person(tenant_a)
    response = alice_client.post(reverse("privacy:contact-erase", args=[contact.pk]), {"confirm_name": "Someone Else"})
    assert response.status_code == 200 and "nothing was erased" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert Contact.objects.get(pk=contact.pk).email == EMAIL and not PrivacyRequest.objects.exists()


def tenant_text_matches(tenant, needles: list[str]) -> list[str]:
    """Every text-like column of every table with a tenant_id, searched for the needles (RLS keeps it to the tenant)."""
    with tenant_context(tenant.id), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'jsonb', 'ARRAY')
              AND EXISTS (SELECT 1 FROM information_schema.columns t WHERE t.table_schema = 'public'
                          AND t.table_name = c.table_name AND t.column_name = 'tenant_id')
            """
        )
        columns = cursor.fetchall()
        assert len(columns) > 100  # the check looks at the whole database, not a chosen few tables
        found = []
        for table, column in columns:
            for needle in needles:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column} has {needle!r}")
        return found


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_erasure_leaves_no_personal_value_anywhere_and_keeps_the_numbers(tenant_a, alice, alice_client, eager_tasks):
    contact = the_person(tenant_a)
    needles = [EMAIL, f"{FIRST} {LAST}", LAST, PHONE, "Hidden Lane"]
    # Before: the search finds them (also in the audit trail, which recorded the creation).
    assert any(line.startswith("audit_auditevent") for line in tenant_text_matches(tenant_a, needles))
    with tenant_context(tenant_a.id):
        attachment_file = contact and InteractionAttachmentFactory._meta.model.objects.get().file.name

    response = alice_client.post(
        reverse("privacy:contact-erase", args=[contact.pk]), {"confirm_name": f"{FIRST} {LAST}"}
    )
    assert response.status_code == 302
    assert tenant_text_matches(tenant_a, needles) == []
    with tenant_context(tenant_a.id):
        erased = Contact.objects.get(pk=contact.pk)
        assert (erased.email, erased.phone, erased.birthday, erased.custom_fields) == ("", "", None, {})
        assert sorted(Order.objects.filter(contact=contact).values_list("amount", flat=True)) == [50, 250]
        assert Interaction.objects.filter(contact=contact).count() == 1  # kept, without its words
        assert SmsMessage.objects.get().to_number == "" and InboundMessage.objects.get().from_address == ""
        request = PrivacyRequest.objects.get()
        assert request.status == RequestStatus.DONE and request.counts["customers_contact"] == 1
        event = AuditEvent.objects.get(action="erase")
        assert event.actor_id == alice.pk and "customers_contact" in event.changes["tables"][1]
    from django.core.files.storage import default_storage

    assert not default_storage.exists(attachment_file)
    # Idempotent: erasing again finds nothing left and fails nothing.
    with tenant_context(tenant_a.id):
        from privacy.services import privacy_request_create

        again = privacy_request_create(
            tenant=tenant_a, contact=Contact.objects.get(pk=contact.pk), kind="erase", by=alice
        )
    with tenant_context(tenant_a.id):
        assert PrivacyRequest.objects.get(pk=again.pk).status == RequestStatus.DONE
    assert tenant_text_matches(tenant_a, needles) == []


def test_retention_rules_refuse_zero_and_delete_old_interactions_with_counts(tenant_a, alice_client, eager_tasks):
    """The "run now" button queues the same task the nightly schedule runs (eager here)."""
    response = alice_client.post(
        reverse("privacy:retention"), {"kind": "interactions", "months": "0", "is_active": "on"}
    )
    assert response.status_code == 200 and "at least one month" in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not RetentionRule.objects.exists()
    old = InteractionFactory(tenant=tenant_a, occurred_at=timezone.now() - timedelta(days=400))
    recent = InteractionFactory(tenant=tenant_a, occurred_at=timezone.now() - timedelta(days=10))
    alice_client.post(reverse("privacy:retention"), {"kind": "interactions", "months": "12", "is_active": "on"})
    with tenant_context(tenant_a.id):
        rule = RetentionRule.objects.get()
    alice_client.post(reverse("privacy:retention-run", args=[rule.pk]))
    with tenant_context(tenant_a.id):
        assert list(Interaction.objects.values_list("pk", flat=True)) == [recent.pk] and old.pk
        assert RetentionRun.objects.get().deleted == 1
    alice_client.post(reverse("privacy:retention-run", args=[rule.pk]))
    with tenant_context(tenant_a.id):
        assert list(RetentionRun.objects.order_by("id").values_list("deleted", flat=True)) == [1, 0]
    page = alice_client.get(reverse("privacy:retention")).content.decode()
    assert "Delete interactions older than N months" in page


def test_retention_rule_of_another_tenant_is_a_404(tenant_a, charlie_client):
    rule = RetentionRuleFactory(tenant=tenant_a)
    assert charlie_client.post(reverse("privacy:retention-run", args=[rule.pk])).status_code == 404
    assert charlie_client.post(reverse("privacy:retention-delete", args=[rule.pk])).status_code == 404


@pytest.mark.django_db(databases=["default", "owner"])
def test_a_colleague_sharing_the_office_phone_keeps_it(
    tenant_a, alice, eager_tasks, django_capture_on_commit_callbacks
):
    person = ContactFactory(tenant=tenant_a, first_name="Pia", last_name="Sharedphone", phone="+12125550100")
    colleague = ContactFactory(tenant=tenant_a, first_name="Ola", last_name="Colleague", phone="+12125550100")
    from privacy.services import privacy_request_create

    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=True):
        privacy_request_create(tenant=tenant_a, contact=person, kind="erase", by=alice)
    with tenant_context(tenant_a.id):
        assert Contact.objects.get(pk=person.pk).phone == ""
        assert Contact.objects.get(pk=colleague.pk).phone == "+12125550100"


def test_the_ticket_attachment_rule_deletes_files_of_tickets_closed_long_ago_only(tenant_a):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from privacy.services import retention_rule_run
    from service_desk.models import TicketAttachment

    def ticket_with_file(number: int, closed_days_ago: int | None) -> TicketAttachment:
        closed_at = timezone.now() - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
        ticket = Ticket.objects.create(
            tenant=tenant_a, number=number, subject=f"T{number}", status="closed" if closed_at else "open",
            closed_at=closed_at,
        )  # fmt: skip
        message = TicketMessage.objects.create(tenant=tenant_a, ticket=ticket, kind="customer", body_text="see file")
        attachment = TicketAttachment(tenant=tenant_a, message=message, filename="scan.pdf", size=3)
        attachment.file.save("scan.pdf", ContentFile(b"pdf"), save=False)
        attachment.save()
        return attachment

    with tenant_context(tenant_a.id):
        old = ticket_with_file(1, closed_days_ago=400)
        recent = ticket_with_file(2, closed_days_ago=10)
        still_open = ticket_with_file(3, closed_days_ago=None)
        rule = RetentionRuleFactory(tenant=tenant_a, kind="ticket_attachments", months=6)
        run = retention_rule_run(rule=rule)
        assert (run.deleted, run.files_deleted) == (1, 1)
        assert set(TicketAttachment.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}
        assert TicketMessage.objects.count() == 3  # the conversation stays, only the files go
    assert not default_storage.exists(old.file.name) and default_storage.exists(recent.file.name)
