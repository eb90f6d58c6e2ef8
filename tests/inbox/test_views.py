"""Inbox pages: settings (with the IMAP test), the list, one message; tenancy and roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_context
from inbox.models import InboxSettings
from inbox.services import inbound_message_ingest, inbox_route_for
from tests.factories import ContactFactory
from tests.inbox.conftest import IMAP_PASSWORD, configure_imap, mail

pytestmark = pytest.mark.django_db


def ingest(tenant, raw):
    with tenant_context(tenant.id):
        return inbound_message_ingest(tenant=tenant, raw=raw, source="dropbox").message


def imap_form(server, **overrides):
    data = {
        "imap_enabled": "on",
        "imap_host": server["host"],
        "imap_port": server["port"],
        "imap_security": "none",
        "imap_username": server["user"],
        "imap_folder": "INBOX",
        "password": server["password"],
    }
    return {**data, **overrides}


def test_settings_show_the_dropbox_address_and_endpoint(alice_client, tenant_a):
    response = alice_client.get(reverse("inbox:settings"))
    assert response.status_code == 200
    token = inbox_route_for(tenant_a).token
    page = response.content.decode()
    assert f"dropbox+{token}@inbound.localhost" in page
    assert f"/inbox/inbound/{token}/" in page
    assert "No signing secret yet" in page


def test_test_connection_with_a_wrong_password_says_so_on_the_page(alice_client, imap_server):
    response = alice_client.post(reverse("inbox:settings"), imap_form(imap_server, password="wrong", action="test"))
    assert response.status_code == 200
    assert "The IMAP server refused the username or password" in response.content.decode()


def test_test_connection_to_an_unreachable_host_says_so(alice_client):
    form = {
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "imap_security": "none",
        "imap_username": "u",
        "imap_folder": "INBOX",
        "password": "p",
        "action": "test",
    }
    page = alice_client.post(reverse("inbox:settings"), form).content.decode()
    assert "is unreachable" in page


def test_test_connection_that_works(alice_client, imap_server):
    page = alice_client.post(reverse("inbox:settings"), imap_form(imap_server, action="test")).content.decode()
    assert "Connection works." in page


def test_saving_imap_settings_encrypts_the_password(alice_client, imap_server, tenant_a):
    response = alice_client.post(reverse("inbox:settings"), imap_form(imap_server, action="save"))
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        config = InboxSettings.objects.get()
    assert config.imap_enabled and config.imap_host == "127.0.0.1"
    assert config.imap_password_encrypted and IMAP_PASSWORD not in config.imap_password_encrypted
    page = alice_client.get(reverse("inbox:settings")).content.decode()
    assert IMAP_PASSWORD not in page
    assert "A password is saved." in page


def test_enabling_polling_without_a_server_shows_field_errors(alice_client):
    response = alice_client.post(
        reverse("inbox:settings"),
        {"imap_enabled": "on", "imap_port": 993, "imap_security": "ssl", "imap_folder": "INBOX", "action": "save"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["imap_host"] == ["Needed to poll the mailbox."]


def test_a_refused_poll_shows_on_the_settings_page(alice_client, imap_server, tenant_a):
    from inbox.imap import ImapError, imap_poll

    configure_imap(tenant_a, imap_server, password="wrong")
    with tenant_context(tenant_a.id), pytest.raises(ImapError):
        imap_poll(tenant=tenant_a)
    page = alice_client.get(reverse("inbox:settings")).content.decode()
    assert "The IMAP server refused the username or password." in page


def test_the_secret_is_shown_once(alice_client, tenant_a):
    response = alice_client.post(reverse("inbox:secret-regenerate"), follow=True)
    secret = response.context["new_secret"]
    assert secret and secret in response.content.decode()
    again = alice_client.get(reverse("inbox:settings")).content.decode()
    assert secret not in again
    assert "it is not shown again." in again


def test_regenerating_the_dropbox_changes_the_token(alice_client, tenant_a):
    before = inbox_route_for(tenant_a).token
    alice_client.post(reverse("inbox:dropbox-regenerate"))
    assert inbox_route_for(tenant_a).token != before


def test_list_shows_messages_and_filters_by_status(alice_client, tenant_a, django_assert_max_num_queries):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    ingest(tenant_a, mail())
    for n in range(5):
        ingest(tenant_a, mail(sender=f"stranger{n}@nowhere.example", message_id=f"<s{n}@x>", subject=f"Hello {n}"))
    with django_assert_max_num_queries(12):
        page = alice_client.get(reverse("inbox:list")).content.decode()
    assert "Quote please" in page and "Hello 4" in page
    unmatched = alice_client.get(reverse("inbox:list"), {"status": "unmatched"}).content.decode()
    assert "Hello 4" in unmatched and "Quote please" not in unmatched


def test_empty_list_explains_how_to_get_mail(alice_client):
    page = alice_client.get(reverse("inbox:list")).content.decode()
    assert "No email received yet" in page


def test_message_page_shows_sanitised_html_contacts_and_attachments(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example", first_name="Jane", last_name="Buyer")
    raw = (
        b"From: jane@customer.example\r\nSubject: Rich\r\nMessage-ID: <rich@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>team</b></p><script>alert('x')</script>\r\n"
        b'--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\nnotes\r\n'
        b"--m--\r\n"
    )
    message = ingest(tenant_a, raw)
    page = alice_client.get(reverse("inbox:detail", args=[message.pk])).content.decode()
    assert "<b>team</b>" in page
    assert "alert('x')" not in page
    assert "notes.txt" in page
    assert reverse("customers:contact-detail", args=[contact.pk]) in page
    raw_download = alice_client.get(reverse("inbox:detail", args=[message.pk]), {"download": "eml"})
    assert b"".join(raw_download.streaming_content) == raw


def test_reply_button_goes_to_compose_when_mail_is_installed(alice_client, tenant_a):
    contact = ContactFactory(tenant=tenant_a, email="jane@customer.example")
    message = ingest(tenant_a, mail())
    page = alice_client.get(reverse("inbox:detail", args=[message.pk])).content.decode()
    compose = reverse("mail:compose")
    assert f"{compose}?contact={contact.pk}&amp;reply_to={message.interaction_id}" in page


def test_another_tenants_message_is_a_404(charlie_client, tenant_a):
    message = ingest(tenant_a, mail())
    assert charlie_client.get(reverse("inbox:detail", args=[message.pk])).status_code == 404
    assert charlie_client.get(reverse("inbox:detail", args=[message.pk]), {"download": "eml"}).status_code == 404
    assert "Quote please" not in charlie_client.get(reverse("inbox:list")).content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("inbox:list", "get"),
        ("inbox:settings", "get"),
        ("inbox:settings", "post"),
        ("inbox:poll-now", "post"),
        ("inbox:dropbox-regenerate", "post"),
        ("inbox:secret-regenerate", "post"),
    ],
)
def test_a_role_without_workspace_configuration_gets_403(bob_client, name, method):
    assert getattr(bob_client, method)(reverse(name)).status_code == 403


def test_a_role_without_workspace_configuration_cannot_read_a_message(bob_client, tenant_a):
    message = ingest(tenant_a, mail())
    assert bob_client.get(reverse("inbox:detail", args=[message.pk])).status_code == 403
    assert bob_client.get(reverse("inbox:detail", args=[message.pk]), {"download": "eml"}).status_code == 403


def test_poll_now_queues_a_poll(alice_client, imap_server, tenant_a, eager_tasks, django_capture_on_commit_callbacks):
    ContactFactory(tenant=tenant_a, email="jane@customer.example")
    configure_imap(tenant_a, imap_server)
    imap_server["append"](mail())
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("inbox:poll-now"))
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        assert InboxSettings.objects.get().last_poll_count == 1
