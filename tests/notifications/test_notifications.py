"""In-app notifications: notify(), the bell, the list, marking read; personal and tenant-scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_context
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def send(tenant, user, title="Ada replied", **kwargs):
    with tenant_context(tenant.id):
        return notify(tenant=tenant, user=user, title=title, **kwargs)


def unread(tenant, user):
    with tenant_context(tenant.id):
        return list(Notification.objects.filter(user=user, read_at__isnull=True).values_list("title", flat=True))


def test_notify_validates_what_it_is_given(tenant_a, alice, charlie):
    with pytest.raises(ValueError, match="needs a title"):
        send(tenant_a, alice, title="   ")
    with pytest.raises(ValueError, match="not a local path"):
        send(tenant_a, alice, url="javascript:alert(1)")
    with pytest.raises(ValueError, match="not a local path"):
        send(tenant_a, alice, url="//evil.example/")
    with pytest.raises(ValueError, match="not a member of this workspace"):
        send(tenant_a, charlie)
    note = send(
        tenant_a, alice, title="  Ada   replied ", body="Re: quote", url="/customers/contacts/1/", kind="inbound_reply"
    )
    assert (note.title, note.kind, note.read_at) == ("Ada replied", "inbound_reply", None)


def test_the_bell_shows_the_unread_count_and_the_dropdown_lists_them(alice_client, tenant_a, alice, bob):
    send(tenant_a, alice, title="First")
    send(tenant_a, alice, title="Second")
    send(tenant_a, bob, title="For Bob")
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="notification-bell"' in page
    assert 'data-testid="unread-count">2<' in page
    dropdown = alice_client.get(reverse("notifications:dropdown")).content.decode()
    assert "First" in dropdown and "Second" in dropdown and "For Bob" not in dropdown
    assert dropdown.index("Second") < dropdown.index("First")  # newest first


def test_mark_read_opens_the_link_and_mark_all_read(alice_client, tenant_a, alice):
    first = send(tenant_a, alice, title="First", url="/tasks/")
    send(tenant_a, alice, title="Second")
    response = alice_client.post(reverse("notifications:mark-read"), {"notification": first.pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    assert unread(tenant_a, alice) == ["Second"]
    row = alice_client.post(
        reverse("notifications:mark-read"), {"notification": first.pk}, headers={"HX-Request": "true"}
    )
    assert (
        row.status_code == 200 and "<html" not in row.content.decode() and row["HX-Trigger"] == "notifications-changed"
    )
    all_read = alice_client.post(reverse("notifications:mark-all-read"), headers={"HX-Request": "true"})
    assert all_read.status_code == 204
    assert unread(tenant_a, alice) == []
    page = alice_client.get(reverse("notifications:list")).content.decode()
    assert "First" in page and "0 unread" in page and 'data-testid="unread-count"' not in page


def test_the_list_has_an_empty_state(alice_client):
    page = alice_client.get(reverse("notifications:list")).content.decode()
    assert "No notifications yet" in page


def test_nobody_reads_or_marks_someone_elses_notification(alice_client, bob_client, charlie_client, tenant_a, alice):
    note = send(tenant_a, alice, title="Alice only")
    assert bob_client.post(reverse("notifications:mark-read"), {"notification": note.pk}).status_code == 404
    assert charlie_client.post(reverse("notifications:mark-read"), {"notification": note.pk}).status_code == 404
    charlie_client.post(reverse("notifications:mark-all-read"))
    bob_client.post(reverse("notifications:mark-all-read"))
    assert unread(tenant_a, alice) == ["Alice only"]
    assert "Alice only" not in charlie_client.get(reverse("notifications:list")).content.decode()
    assert "Alice only" not in bob_client.get(reverse("notifications:dropdown")).content.decode()
    assert alice_client.post(reverse("notifications:mark-read"), {"notification": "x"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("notifications:list")).status_code == 302
    assert client.post(reverse("notifications:mark-all-read")).status_code == 302
