"""Outgoing mail settings: stored safely, tested against a real SMTP server, admins only."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.secrets import decrypt_secret
from crm.tenancy.context import tenant_context
from mail.models import CheckStatus, MailSettings
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory
from tests.mail.conftest import SMTP_PASSWORD, SMTP_USER, configure_mail, free_port

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


def settings_form(**overrides):
    data = {
        "host": "127.0.0.1",
        "port": "587",
        "security": "starttls",
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "from_name": "Acme Sales",
        "from_email": "sales@acme.example",
        "reply_to": "",
        "timeout": "5",
    }
    return {**data, **overrides}


def stored(tenant):
    with tenant_context(tenant.id):
        return MailSettings.objects.get()


def test_the_password_is_stored_encrypted_and_never_shown_again(alice_client, tenant_a):
    response = alice_client.post("/mail/settings/", settings_form())
    assert response.status_code == 302

    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM mail_mailsettings WHERE tenant_id = %s", [tenant_a.id])
        (raw,) = cursor.fetchone()
    assert SMTP_PASSWORD not in raw and raw
    assert decrypt_secret(raw) == SMTP_PASSWORD
    page = alice_client.get("/mail/settings/").content.decode()
    assert SMTP_PASSWORD not in page and raw not in page
    assert "A password is stored (encrypted). Leave blank to keep it." in page


def test_a_blank_password_keeps_the_stored_one_and_remove_clears_it(alice_client, tenant_a):
    alice_client.post("/mail/settings/", settings_form())
    alice_client.post("/mail/settings/", settings_form(password="", host="smtp.example.com"))
    assert stored(tenant_a).host == "smtp.example.com"
    assert decrypt_secret(stored(tenant_a).password_encrypted) == SMTP_PASSWORD

    alice_client.post("/mail/settings/", settings_form(password="", clear_password="on"))
    assert stored(tenant_a).password_encrypted == ""


def test_bad_settings_are_refused_next_to_the_field(alice_client, tenant_a):
    response = alice_client.post("/mail/settings/", settings_form(host="smtp://mail.example.com:587", port="99999"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["host"] == ["Enter only the server name, e.g. smtp.example.com."]
    assert "port" in form.errors
    with tenant_context(tenant_a.id):
        assert not MailSettings.objects.exists()


def test_the_test_email_reaches_a_server_that_requires_sign_in(
    alice_client, tenant_a, auth_smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    alice_client.post(
        "/mail/settings/", settings_form(port=str(auth_smtp_server.port), security="none", password=SMTP_PASSWORD)
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/mail/settings/check/")

    config = stored(tenant_a)
    assert (config.check_status, config.last_error) == (CheckStatus.OK, "")
    assert config.last_checked_at is not None
    [message] = auth_smtp_server.handler.messages
    assert message["To"] == "alice@acme.example"
    assert message["From"] == "Acme Sales <sales@acme.example>"
    assert "Working." in alice_client.get("/mail/settings/").content.decode()


def test_a_refused_password_is_shown_clearly_on_the_settings_page(
    alice_client, tenant_a, auth_smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    alice_client.post(
        "/mail/settings/", settings_form(port=str(auth_smtp_server.port), security="none", password="wrong-password")
    )
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/mail/settings/check/")

    config = stored(tenant_a)
    assert config.check_status == CheckStatus.FAILED
    assert config.last_error.startswith("The server refused the username or password (535")
    assert auth_smtp_server.handler.messages == []
    page = alice_client.get("/mail/settings/").content.decode()
    assert "The test failed" in page and "The server refused the username or password" in page


def test_a_server_that_is_down_is_named_with_its_port(
    alice_client, tenant_a, eager_tasks, django_capture_on_commit_callbacks
):
    port = free_port()  # nothing listens there
    alice_client.post("/mail/settings/", settings_form(port=str(port), security="none", password=""))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/mail/settings/check/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert stored(tenant_a).last_error == f"Could not connect to 127.0.0.1:{port}: Connection refused"
    assert (
        f"Could not connect to 127.0.0.1:{port}: Connection refused"
        in alice_client.get("/mail/settings/status/").content.decode()
    )


def test_changing_the_server_clears_an_earlier_verdict(alice_client, tenant_a, smtp_server):
    configure_mail(tenant_a, smtp_server, check_status=CheckStatus.OK)
    alice_client.post("/mail/settings/", settings_form(host="other.example.com", password=""))
    assert stored(tenant_a).check_status == CheckStatus.NEVER


def test_only_admins_configure_mail(bob_client, tenant_a, charlie_client, alice_client):
    sales = UserFactory(email="sam@acme.example")
    MembershipFactory(user=sales, tenant=tenant_a, role="sales")
    for client in (bob_client, client_for(sales)):
        assert client.get("/mail/settings/").status_code == 403
        assert client.post("/mail/settings/", settings_form()).status_code == 403
        assert client.post("/mail/settings/check/").status_code == 403
    with tenant_context(tenant_a.id):
        assert not MailSettings.objects.exists()
    alice_client.post("/mail/settings/", settings_form())
    # Another workspace's admin sees their own (empty) settings, never A's.
    page = charlie_client.get("/mail/settings/").content.decode()
    assert "sales@acme.example" not in page and "Not set up yet" in page


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"username": SMTP_USER, "security": "none"}, "does not offer signing in on this connection"),
        ({"username": "", "password": "", "security": "starttls"}, "does not offer STARTTLS"),
    ],
)
def test_settings_the_server_does_not_support_are_explained(
    alice_client, tenant_a, smtp_server, eager_tasks, django_capture_on_commit_callbacks, changes, expected
):
    alice_client.post("/mail/settings/", settings_form(port=str(smtp_server.port), **changes))
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/mail/settings/check/")
    config = stored(tenant_a)
    assert config.check_status == CheckStatus.FAILED
    assert config.last_error.startswith(f"127.0.0.1:{smtp_server.port} {expected}")


def test_starttls_with_sign_in_works_and_an_untrusted_certificate_is_explained(
    alice_client, tenant_a, starttls_smtp_server, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    alice_client.post("/mail/settings/", settings_form(port=str(starttls_smtp_server.port), security="starttls"))
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/mail/settings/check/")
    assert (stored(tenant_a).check_status, stored(tenant_a).last_error) == (CheckStatus.OK, "")
    assert len(starttls_smtp_server.handler.messages) == 1

    monkeypatch.delenv("SSL_CERT_FILE")  # the self-signed certificate is no longer trusted
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/mail/settings/check/")
    config = stored(tenant_a)
    assert config.check_status == CheckStatus.FAILED
    assert config.last_error.startswith(f"Could not start a secure connection to 127.0.0.1:{starttls_smtp_server.port}")
    assert "CERTIFICATE_VERIFY_FAILED" in config.last_error
