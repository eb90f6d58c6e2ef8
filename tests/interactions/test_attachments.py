"""Attachments: size and type limits with clear refusals, default storage, downloads scoped to the tenant."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.tenancy.context import tenant_context
from interactions.attachments import AttachmentRejected, attachment_add
from interactions.models import Interaction, InteractionAttachment
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PDF = b"%PDF-1.4 minutes of the meeting"


def add(tenant: Any, interaction: Any, filename: str, content_type: str, content: bytes) -> InteractionAttachment:
    with tenant_context(tenant.id):
        return attachment_add(
            tenant=tenant, interaction=interaction, filename=filename, content_type=content_type, content=content
        )


def test_a_file_is_stored_under_media_root_with_its_size_and_type(tenant_a: Any, media_in_tmp: Path) -> None:
    call = InteractionFactory(tenant=tenant_a)
    stored = add(tenant_a, call, "../../etc/Quote 2026.pdf", "application/pdf", PDF)
    assert (stored.filename, stored.content_type, stored.size) == ("Quote 2026.pdf", "application/pdf", len(PDF))
    path = Path(default_storage.path(stored.file.name))
    assert path.is_relative_to(media_in_tmp / "interactions" / str(tenant_a.id)) and path.read_bytes() == PDF


def test_a_generic_content_type_is_decided_by_the_extension(tenant_a: Any) -> None:
    stored = add(tenant_a, InteractionFactory(tenant=tenant_a), "scan.PDF", "application/octet-stream", PDF)
    assert stored.content_type == "application/pdf"


def test_a_file_over_the_limit_is_refused_saying_so(tenant_a: Any, settings: Any, media_in_tmp: Path) -> None:
    settings.INTERACTION_ATTACHMENT_MAX_BYTES = 1024
    call = InteractionFactory(tenant=tenant_a)
    with pytest.raises(AttachmentRejected, match=r"“big.pdf” is 2.0\sKB; attachments can be at most 1.0\sKB"):
        add(tenant_a, call, "big.pdf", "application/pdf", b"x" * 2048)
    with tenant_context(tenant_a.id):
        assert not InteractionAttachment.objects.exists()
    assert not (media_in_tmp / "interactions").exists()


@pytest.mark.parametrize(
    ("filename", "content_type", "message"),
    [
        ("invoice.exe", "application/octet-stream", "files of type .exe cannot be attached"),
        ("page.html", "text/html", "files of type .html cannot be attached"),
        ("logo.svg", "image/svg+xml", "files of type .svg cannot be attached"),
        ("no-extension", "application/pdf", "files of type .? cannot be attached"),
        ("report.pdf", "text/html", "says it is text/html, which does not match a .pdf file"),
    ],
)
def test_a_refused_type_is_refused_saying_why(tenant_a: Any, filename: str, content_type: str, message: str) -> None:
    with pytest.raises(AttachmentRejected, match=re.escape(message)):
        add(tenant_a, InteractionFactory(tenant=tenant_a), filename, content_type, b"data")


def test_an_empty_file_is_refused(tenant_a: Any) -> None:
    with pytest.raises(AttachmentRejected, match="is empty"):
        add(tenant_a, InteractionFactory(tenant=tenant_a), "empty.txt", "text/plain", b"")


def test_quick_log_with_a_refused_file_logs_nothing(sam_client: Any, tenant_a: Any, settings: Any) -> None:
    settings.INTERACTION_ATTACHMENT_MAX_BYTES = 1024
    contact = ContactFactory(tenant=tenant_a)
    data = {"kind": "meeting", "direction": "outbound", "occurred_at": "2026-11-20T10:30", "subject": "Kick-off",
            "uploads": [SimpleUploadedFile("agenda.pdf", PDF, "application/pdf"),
                        SimpleUploadedFile("recording.pdf", b"x" * 4096, "application/pdf")]}  # fmt: skip
    body = sam_client.post(f"/interactions/log/?contact={contact.pk}&kind=meeting&place=contact", data, **HTMX)
    page = body.content.decode().replace("\xa0", " ")
    assert "“recording.pdf” is 4.0 KB; attachments can be at most 1.0 KB" in page
    assert 'id="error_1_id_uploads"' in body.content.decode()  # next to the file field
    with tenant_context(tenant_a.id):
        assert not Interaction.objects.exists() and not InteractionAttachment.objects.exists()


def test_quick_log_stores_its_files(sam_client: Any, tenant_a: Any) -> None:
    contact = ContactFactory(tenant=tenant_a)
    data = {"kind": "meeting", "direction": "outbound", "occurred_at": "2026-11-20T10:30", "subject": "Kick-off",
            "uploads": [SimpleUploadedFile("agenda.pdf", PDF, "application/pdf")]}  # fmt: skip
    sam_client.post(f"/interactions/log/?contact={contact.pk}&kind=meeting&place=contact", data, **HTMX)
    with tenant_context(tenant_a.id):
        stored = InteractionAttachment.objects.select_related("interaction").get()
    assert (stored.interaction.subject, stored.filename) == ("Kick-off", "agenda.pdf")
    timeline = sam_client.get(reverse("customers:contact-detail", args=[contact.pk])).content.decode()
    assert "1 attachment" in timeline


def test_upload_on_the_detail_page_and_download_through_the_scoped_view(
    alice_client: Any, bob_client: Any, charlie_client: Any, tenant_a: Any
) -> None:
    call = InteractionFactory(tenant=tenant_a)
    upload = SimpleUploadedFile("notes.txt", b"Call notes", "text/plain")
    response = alice_client.post(reverse("interactions:attachment-upload", args=[call.pk]), {"uploads": [upload]})
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        stored = InteractionAttachment.objects.get()
    detail = alice_client.get(reverse("interactions:detail", args=[call.pk])).content.decode()
    download_url = reverse("interactions:attachment-download", args=[stored.pk])
    assert f'href="{download_url}"' in detail and "/media/" not in detail
    download = bob_client.get(download_url)  # analysts read interactions, so their files too
    assert b"".join(download.streaming_content) == b"Call notes"
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert charlie_client.get(download_url).status_code == 404


def test_refused_upload_on_the_detail_page_says_why(alice_client: Any, tenant_a: Any) -> None:
    call = InteractionFactory(tenant=tenant_a)
    upload = SimpleUploadedFile("tool.exe", b"MZ", "application/x-msdownload")
    response = alice_client.post(reverse("interactions:attachment-upload", args=[call.pk]), {"uploads": [upload]})
    assert response.status_code == 400 and "files of type .exe cannot be attached" in response.content.decode()


def test_download_follows_the_contacts_visibility(sam_client: Any, alice: Any, tenant_a: Any) -> None:
    tenant_a.record_visibility = {"sales": "own"}
    tenant_a.save()
    call = InteractionFactory(tenant=tenant_a, contact=ContactFactory(tenant=tenant_a, owner=alice))
    stored = add(tenant_a, call, "notes.txt", "text/plain", b"secret")
    assert sam_client.get(reverse("interactions:attachment-download", args=[stored.pk])).status_code == 404


def test_removing_an_attachment_or_its_interaction_deletes_the_file(
    alice_client: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    call = InteractionFactory(tenant=tenant_a)
    first = add(tenant_a, call, "a.txt", "text/plain", b"a")
    second = add(tenant_a, call, "b.txt", "text/plain", b"b")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("interactions:attachment-delete", args=[first.pk]))
    assert not default_storage.exists(first.file.name) and default_storage.exists(second.file.name)
    confirm = alice_client.get(reverse("interactions:delete", args=[call.pk])).content.decode()
    assert "Its 1 attached file(s) are deleted with it." in confirm
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("interactions:delete", args=[call.pk]))
    assert not default_storage.exists(second.file.name)


def test_a_marketer_cannot_attach_or_remove(mia_client: Any, tenant_a: Any) -> None:
    call = InteractionFactory(tenant=tenant_a)
    stored = add(tenant_a, call, "a.txt", "text/plain", b"a")
    upload = SimpleUploadedFile("b.txt", b"b", "text/plain")
    assert (
        mia_client.post(reverse("interactions:attachment-upload", args=[call.pk]), {"uploads": [upload]}).status_code
        == 403
    )
    assert mia_client.post(reverse("interactions:attachment-delete", args=[stored.pk])).status_code == 403
    assert mia_client.get(reverse("interactions:attachment-download", args=[stored.pk])).status_code == 200
