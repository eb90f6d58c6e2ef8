"""The SMS pages: settings (admins only), "Send SMS" on the contact page, the message list and detail."""

from __future__ import annotations

import re
import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.tenancy.context import tenant_context
from sms.models import SmsMessage, SmsSettings
from sms.services import sms_settings_save
from tests.factories import ContactFactory
from tests.sms.conftest import GATEWAY_TOKEN
from tests.sms.factories import SmsMessageFactory

HTMX = {"HX-Request": "true"}


def http_settings(gateway, **overrides) -> dict[str, str]:
    return {"backend": "http", "gateway_url": gateway.url_for("/v1/messages"), "gateway_token": GATEWAY_TOKEN,
            "sender_id": "ACME", **overrides}  # fmt: skip


# --- Settings ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_sets_up_the_gateway_and_sees_the_secret_once(alice_client, tenant_a, gateway):
    page = alice_client.get("/sms/settings/").content.decode()
    assert "Save the settings to get the callback URLs" in page

    saved = alice_client.post("/sms/settings/", http_settings(gateway)).content.decode()

    with tenant_context(tenant_a.id):
        config = SmsSettings.objects.get()
    assert (config.backend, config.gateway_url, config.sender_id) == ("http", gateway.url_for("/v1/messages"), "ACME")
    [secret] = re.findall(r"whsec_[\w-]+", saved)
    assert "copy it now, it will not be shown again" in saved
    assert re.search(r"http://testserver/sms/callbacks/[\w-]+/status/", saved)
    assert re.search(r"http://testserver/sms/callbacks/[\w-]+/inbound/", saved)
    assert GATEWAY_TOKEN not in saved

    later = alice_client.get("/sms/settings/").content.decode()
    assert secret not in later and GATEWAY_TOKEN not in later
    assert "A token is saved (encrypted)" in later
    assert "/sms/callbacks/" in later


@pytest.mark.django_db
def test_saving_again_without_a_token_keeps_the_saved_one(alice_client, tenant_a, gateway):
    alice_client.post("/sms/settings/", http_settings(gateway))
    response = alice_client.post(
        "/sms/settings/", http_settings(gateway, gateway_token="", sender_id="+1 415 555 0100")
    )
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        config = SmsSettings.objects.get()
    assert config.has_gateway_token and config.sender_id == "+14155550100"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"gateway_url": ""}, "Enter the gateway&#x27;s URL to send through an HTTP gateway."),
        ({"gateway_token": ""}, "Enter the token your SMS provider gave you."),
        ({"sender_id": "ACME-SUPPORT-TEAM"}, "Use a phone number in international format"),
        ({"gateway_url": "ftp://sms.example.com/send"}, "Use an http:// or https:// address."),
    ],
)
def test_incomplete_gateway_settings_are_refused_next_to_the_field(alice_client, tenant_a, gateway, data, field_error):
    response = alice_client.post("/sms/settings/", http_settings(gateway, **data))
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert GATEWAY_TOKEN not in response.content.decode()  # a password field: never echoed back
    with tenant_context(tenant_a.id):
        assert not SmsSettings.objects.exists()


@pytest.mark.django_db
def test_a_test_sms_shows_the_gateways_answer(alice_client, tenant_a, gateway):
    alice_client.post("/sms/settings/", http_settings(gateway))
    gateway.expect_oneshot_request(
        "/v1/messages", headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    ).respond_with_json({"id": "gw-test-1", "status": "accepted"})
    page = alice_client.post("/sms/settings/test/", {"to": "+4915112345678"}).content.decode()
    assert "Test SMS handed to the gateway for +4915112345678." in page and "gw-test-1" in page
    assert gateway.log[0][0].json["body"] == "Test message from Acme Corporation: SMS sending works."


@pytest.mark.django_db
def test_a_test_sms_refused_by_the_gateway_says_the_token_was_refused(alice_client, tenant_a, gateway):
    alice_client.post("/sms/settings/", http_settings(gateway))
    gateway.expect_request("/v1/messages").respond_with_json({"error": "Unknown API key"}, status=401)
    page = alice_client.post("/sms/settings/test/", {"to": "+4915112345678"}).content.decode()
    assert "The test SMS was not sent" in page
    assert "The gateway refused the token (HTTP 401): Unknown API key" in page


@pytest.mark.django_db
def test_a_test_sms_to_an_unreachable_gateway_says_it_could_not_be_reached(alice_client, tenant_a):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    alice_client.post("/sms/settings/", {"backend": "http", "gateway_url": f"http://127.0.0.1:{port}/send",
                                         "gateway_token": "t", "sender_id": "ACME"})  # fmt: skip
    page = alice_client.post("/sms/settings/test/", {"to": "+4915112345678"}).content.decode()
    assert f"The gateway at 127.0.0.1:{port} could not be reached" in page


@pytest.mark.django_db
def test_a_test_sms_to_a_landline_is_refused_next_to_the_field(alice_client, tenant_a):
    alice_client.post("/sms/settings/", {"backend": "console", "gateway_url": "", "gateway_token": "", "sender_id": ""})
    page = alice_client.post("/sms/settings/test/", {"to": "+49 30 12345678"}).content.decode()
    assert "+493012345678 is a landline number, which cannot receive SMS." in page


@pytest.mark.django_db
def test_regenerating_shows_a_new_secret(alice_client, tenant_a):
    first = alice_client.post("/sms/settings/", {"backend": "console"}).content.decode()
    page = alice_client.post("/sms/settings/secret/").content.decode()
    assert re.findall(r"whsec_[\w-]+", page) and re.findall(r"whsec_[\w-]+", page) != re.findall(r"whsec_[\w-]+", first)
    assert "the old ones no longer work" in page


@pytest.mark.django_db
def test_only_admins_reach_the_settings(bob_client, tenant_a, charlie_client):
    for url in ("/sms/settings/", "/sms/settings/test/", "/sms/settings/secret/"):
        assert bob_client.post(url, {"backend": "console"}).status_code == 403
    assert bob_client.get("/sms/settings/").status_code == 403


# --- Contact page and compose --------------------------------------------------------------------------


@pytest.fixture
def console_sms(tenant_a, alice):
    with tenant_context(tenant_a.id):
        sms_settings_save(
            tenant=tenant_a, by=alice, backend="console", gateway_url="", gateway_token=None, sender_id=""
        )


@pytest.mark.django_db
def test_the_contact_page_offers_send_sms(alice_client, ann, console_sms):
    page = alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    assert 'data-testid="sms-send"' in page
    assert f'hx-get="/sms/compose/?contact={ann.pk}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("contact_data", "reason"),
    [
        ({"phone": "", "sms_consent": True}, "This contact has no mobile number."),
        ({"phone": "+493012345678", "sms_consent": True}, "+493012345678 is a landline number"),
        ({"phone": "+4915112345678", "sms_consent": False}, "This contact has not agreed to receive SMS."),
    ],
)
def test_the_button_is_disabled_with_the_reason(alice_client, tenant_a, console_sms, contact_data, reason):
    contact = ContactFactory(tenant=tenant_a, **contact_data)
    page = alice_client.get(f"/customers/contacts/{contact.pk}/").content.decode()
    assert 'data-testid="sms-unavailable"' in page and reason in page
    assert 'data-testid="sms-send"' not in page


@pytest.mark.django_db
def test_the_button_says_when_sms_is_not_set_up(alice_client, ann):
    page = alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    assert "SMS is not set up for this workspace yet." in page


@pytest.mark.django_db
def test_a_read_only_role_gets_no_button_and_a_403(bob_client, ann, console_sms):
    page = bob_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    assert "Send SMS" not in page
    assert bob_client.get(f"/sms/compose/?contact={ann.pk}").status_code == 403
    assert bob_client.post(f"/sms/compose/?contact={ann.pk}", {"body": "hi", "idempotency_key": "k"}).status_code == 403


@pytest.mark.django_db
def test_another_tenant_cannot_compose_to_this_tenants_contact(charlie_client, ann, console_sms):
    assert charlie_client.get(f"/sms/compose/?contact={ann.pk}").status_code == 404
    response = charlie_client.post(f"/sms/compose/?contact={ann.pk}", {"body": "hi", "idempotency_key": "k"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_composing_sends_once_and_returns_to_the_contact(
    alice_client, tenant_a, ann, console_sms, eager_tasks, django_capture_on_commit_callbacks, capsys
):
    form = alice_client.get(f"/sms/compose/?contact={ann.pk}", headers=HTMX).content.decode()
    assert "<html" not in form and 'data-testid="sms-compose-form"' in form and "+4915112345678" in form
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        sent = alice_client.post(f"/sms/compose/?contact={ann.pk}", {"body": "See you at 3!", "idempotency_key": key},
                                 headers=HTMX)  # fmt: skip
        again = alice_client.post(f"/sms/compose/?contact={ann.pk}", {"body": "See you at 3!", "idempotency_key": key},
                                  headers=HTMX)  # fmt: skip

    assert sent.status_code == again.status_code == 200
    assert sent.headers["HX-Redirect"] == f"/customers/contacts/{ann.pk}/"
    with tenant_context(tenant_a.id):
        [message] = SmsMessage.objects.all()
    assert (message.status, message.body, message.to_number) == ("sent", "See you at 3!", "+4915112345678")
    assert capsys.readouterr().out.count("See you at 3!") == 1  # the console backend printed it once
    page = alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    assert "SMS to Ann Lee queued (1 part); its delivery status shows on the timeline." in page
    assert "SMS: To +4915112345678" in page and "See you at 3!" in page  # on the timeline


@pytest.mark.django_db
def test_composing_without_consent_shows_the_reason_in_the_form(alice_client, tenant_a, ben, console_sms):
    form = alice_client.get(f"/sms/compose/?contact={ben.pk}", headers=HTMX).content.decode()
    assert "This contact has not agreed to receive SMS." in form
    response = alice_client.post(
        f"/sms/compose/?contact={ben.pk}", {"body": "hi", "idempotency_key": "k1"}, headers=HTMX
    )
    assert "Ben Ortiz has not agreed to receive SMS." in response.content.decode()
    with tenant_context(tenant_a.id):
        assert not SmsMessage.objects.exists()


@pytest.mark.django_db
def test_the_counter_shows_characters_and_parts(alice_client, console_sms):
    short = alice_client.post("/sms/compose/count/", {"body": "Hello"}, headers=HTMX).content.decode()
    long = alice_client.post("/sms/compose/count/", {"body": "x" * 200}, headers=HTMX).content.decode()
    unicode = alice_client.post("/sms/compose/count/", {"body": "你好"}, headers=HTMX).content.decode()
    assert "5 characters · 1 SMS · GSM-7 (160 per SMS) · 155 left in this part" in short
    assert "200 characters · 2 SMS parts · GSM-7 (153 per part) · 106 left in this part" in long
    assert "2 characters · 1 SMS · Unicode (70 per SMS) · 68 left in this part" in unicode


# --- List and detail -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_messages_with_their_status_and_filters(alice_client, tenant_a, ann):
    SmsMessageFactory(tenant=tenant_a, contact=ann, body="Delivered one", status="delivered")
    SmsMessageFactory(tenant=tenant_a, contact=ann, body="Failed one", status="failed",
                      failure_reason="Number unreachable")  # fmt: skip
    for n in range(5):
        SmsMessageFactory(tenant=tenant_a, body=f"Bulk {n}")

    with CaptureQueriesContext(connection) as queries:
        page = alice_client.get("/sms/").content.decode()
    assert len(queries) <= 12, [q["sql"] for q in queries]  # no query per row
    assert "Delivered one" in page and "Failed one" in page and "Number unreachable" in page
    failed_only = alice_client.get("/sms/?status=failed", headers=HTMX).content.decode()
    assert "Failed one" in failed_only and "Delivered one" not in failed_only
    assert "Bulk 3" in alice_client.get("/sms/?q=Bulk").content.decode()


@pytest.mark.django_db
def test_an_empty_list_says_so(alice_client, tenant_a):
    page = alice_client.get("/sms/").content.decode()
    assert "No SMS yet" in page and "SMS is not set up for this workspace yet." in page
    filtered = alice_client.get("/sms/?status=delivered").content.decode()
    assert "No messages match these filters" in filtered


@pytest.mark.django_db
def test_another_tenant_sees_none_of_the_messages(charlie_client, tenant_a, ann):
    message = SmsMessageFactory(tenant=tenant_a, contact=ann, body="Private note to Ann")
    assert "Private note to Ann" not in charlie_client.get("/sms/").content.decode()
    assert charlie_client.get(f"/sms/{message.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_detail_page_shows_the_delivery_status(alice_client, bob_client, tenant_a, ann):
    message = SmsMessageFactory(tenant=tenant_a, contact=ann, status="failed", failure_reason="Handset off",
                                provider_id="gw-77")  # fmt: skip
    page = alice_client.get(f"/sms/{message.pk}/").content.decode()
    assert "Handset off" in page and "gw-77" in page and "Ann Lee" in page
    assert bob_client.get(f"/sms/{message.pk}/").status_code == 200  # may view interactions, not send
    status = alice_client.get(f"/sms/{message.pk}/", headers=HTMX).content.decode()
    assert "<html" not in status and 'data-testid="sms-status"' in status


@pytest.mark.django_db
def test_the_compose_form_also_works_as_a_page_of_its_own(alice_client, tenant_a, ann, console_sms):
    page = alice_client.get(f"/sms/compose/?contact={ann.pk}").content.decode()
    assert "<html" in page and 'aria-current="page">Send SMS<' in page
    response = alice_client.post(f"/sms/compose/?contact={ann.pk}", {"body": "From the page", "idempotency_key": "p1"})
    assert response.status_code == 302 and response.url == f"/customers/contacts/{ann.pk}/"
    assert alice_client.get("/sms/compose/?contact=abc").status_code == 404
    assert alice_client.get("/sms/compose/").status_code == 404


@pytest.mark.django_db
def test_a_rep_limited_to_own_records_sees_only_their_contacts_messages(alice_client, tenant_a, console_sms):
    from crm.roles import Role
    from tests.conftest import client_for
    from tests.factories import MembershipFactory, UserFactory

    sam = UserFactory(email="sam@acme.example", full_name="Sam Sales")
    MembershipFactory(user=sam, tenant=tenant_a, role=Role.SALES)
    alice_client.post(
        "/workspace/visibility/", {"sales": "own", "service": "all", "marketing": "all", "analyst": "all"}
    )
    ours = ContactFactory(tenant=tenant_a, owner=sam, phone="+4915100000011", sms_consent=True)
    theirs = ContactFactory(tenant=tenant_a, phone="+4915100000022", sms_consent=True)
    mine = SmsMessageFactory(tenant=tenant_a, contact=ours, body="To Sam's contact")
    other = SmsMessageFactory(tenant=tenant_a, contact=theirs, body="To someone else's contact")

    sam_client = client_for(sam)
    listed = sam_client.get("/sms/").content.decode()
    assert "To Sam&#x27;s contact" in listed and "someone else" not in listed
    assert sam_client.get(f"/sms/{mine.pk}/").status_code == 200
    assert sam_client.get(f"/sms/{other.pk}/").status_code == 404
    assert sam_client.get(f"/sms/compose/?contact={theirs.pk}").status_code == 404
