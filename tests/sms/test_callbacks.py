"""The gateway's callbacks: signed (HMAC-SHA256 over timestamp and body), fresh, idempotent, and each
tenant's URL reaching only that tenant's messages."""

from __future__ import annotations

import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from crm.tenancy.context import tenant_context
from customers.models import Contact
from interactions.models import Interaction
from notifications.models import Notification
from sms.callbacks import signature_for
from sms.models import SmsCallbackRoute, SmsMessage
from sms.services import sms_callback_secret_regenerate, sms_send, sms_settings_save
from tests.factories import ContactFactory


def token_of(tenant) -> str:
    return SmsCallbackRoute.objects.get(tenant=tenant).token


def post(url: str, payload: dict, *, secret: str, timestamp: int | None = None, signature: str | None = None):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"X-Sms-Timestamp": stamp, "X-Sms-Signature": signature or signature_for(secret, stamp, body)}
    return Client().post(url, data=body, content_type="application/json", headers=headers)


def status_url(tenant) -> str:
    return f"/sms/callbacks/{token_of(tenant)}/status/"


def inbound_url(tenant) -> str:
    return f"/sms/callbacks/{token_of(tenant)}/inbound/"


@pytest.fixture
def sent(tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks):
    """A message the gateway accepted as gw-500."""
    gateway.expect_request("/v1/messages").respond_with_json({"id": "gw-500", "status": "accepted"})
    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=True):
        message = sms_send(tenant=tenant_a, to=ann.phone, body="Your table is ready.", contact=ann, by=alice)
    return message


def reload(tenant, message) -> SmsMessage:
    with tenant_context(tenant.id):
        return SmsMessage.objects.select_related("interaction").get(pk=message.pk)


@pytest.mark.django_db
def test_a_signed_delivery_report_marks_the_message_delivered_once(tenant_a, sms_http, sent):
    secret = sms_http.callback_secret
    first = post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=secret)
    assert first.status_code == 200 and first.json() == {"ok": True, "status": "delivered", "changed": True}
    message = reload(tenant_a, sent)
    assert message.status == "delivered"
    assert message.interaction.outcome == "Delivered"

    replay = post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=secret)
    late_failure = post(status_url(tenant_a), {"id": "gw-500", "status": "failed", "error": "late"}, secret=secret)
    assert replay.json()["changed"] is False and late_failure.json() == {"ok": True, "status": "delivered",
                                                                          "changed": False}  # fmt: skip
    assert reload(tenant_a, sent).status == "delivered"


@pytest.mark.django_db
def test_a_failure_report_by_client_reference_records_the_reason(tenant_a, sms_http, sent):
    report = {"client_reference": str(sent.reference), "status": "failed", "error": "Handset unreachable for 48 h"}
    response = post(status_url(tenant_a), report, secret=sms_http.callback_secret)
    assert response.status_code == 200
    message = reload(tenant_a, sent)
    assert (message.status, message.failure_reason) == ("failed", "Handset unreachable for 48 h")
    assert message.interaction.outcome == "Failed: Handset unreachable for 48 h"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        ({"signature": "sha256=" + "0" * 64}, "The signature does not match."),
        ({"timestamp": int(time.time()) - 3600}, "more than 300 seconds from our clock"),
        ({"secret": "whsec_not-the-right-one"}, "The signature does not match."),
    ],
)
def test_a_report_with_a_bad_signature_or_an_old_timestamp_changes_nothing(tenant_a, sms_http, sent, tamper, says):
    secret = tamper.pop("secret", sms_http.callback_secret)
    response = post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=secret, **tamper)
    assert response.status_code == 401
    assert says in response.json()["error"]
    assert reload(tenant_a, sent).status == "sent"


@pytest.mark.django_db
def test_a_report_without_signature_headers_is_refused(tenant_a, sms_http, sent):
    response = Client().post(status_url(tenant_a), data={"id": "gw-500", "status": "delivered"},
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 401
    assert response.json() == {"error": "Missing X-Sms-Timestamp or X-Sms-Signature header."}


@pytest.mark.django_db
def test_an_unknown_callback_url_is_a_404(tenant_a, sms_http, sent):
    response = post("/sms/callbacks/not-a-token/status/", {"id": "gw-500", "status": "delivered"}, secret="x")
    assert response.status_code == 404
    assert Client().get(status_url(tenant_a)).status_code == 405  # POST only


@pytest.mark.django_db
def test_another_tenants_url_and_secret_cannot_touch_this_tenants_messages(tenant_a, tenant_b, charlie, sms_http, sent):
    with tenant_context(tenant_b.id):
        _config, secret_b = sms_settings_save(tenant=tenant_b, by=charlie, backend="console", gateway_url="",
                                              gateway_token=None, sender_id="")  # fmt: skip
    by_id = post(status_url(tenant_b), {"id": "gw-500", "status": "delivered"}, secret=secret_b)
    by_reference = post(status_url(tenant_b), {"client_reference": str(sent.reference), "status": "failed"},
                        secret=secret_b)  # fmt: skip
    assert by_id.status_code == by_reference.status_code == 404
    # Tenant B's secret on tenant A's URL is a bad signature.
    assert post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=secret_b).status_code == 401
    assert reload(tenant_a, sent).status == "sent"


@pytest.mark.django_db
def test_regenerating_the_secret_retires_the_old_url_and_secret(tenant_a, alice, sms_http, sent):
    old_url = status_url(tenant_a)
    with tenant_context(tenant_a.id):
        new_secret = sms_callback_secret_regenerate(tenant=tenant_a, by=alice)
    assert post(old_url, {"id": "gw-500", "status": "delivered"}, secret=new_secret).status_code == 404
    assert (
        post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=sms_http.callback_secret).status_code
        == 401
    )
    assert post(status_url(tenant_a), {"id": "gw-500", "status": "delivered"}, secret=new_secret).status_code == 200


@pytest.mark.django_db
def test_malformed_reports_say_what_is_wrong(tenant_a, sms_http, sent):
    secret = sms_http.callback_secret
    cases = [
        ({"status": "delivered"}, 400, "Name the message by “id”"),
        ({"id": "gw-500", "status": "teleported"}, 400, "Unknown status “teleported”"),
        ({"id": "gw-unknown", "status": "delivered"}, 404, "No message with this id"),
        ({"client_reference": "not-a-uuid", "status": "delivered"}, 404, "No message with this id"),
    ]
    for payload, status, says in cases:
        response = post(status_url(tenant_a), payload, secret=secret)
        assert (response.status_code, says in response.json()["error"]) == (status, True), payload


@pytest.mark.django_db
def test_an_inbound_sms_is_logged_on_the_contact_with_that_number_once(tenant_a, alice, ann, sms_http):
    payload = {"id": "in-1", "from": "+49 151 12345678", "to": "ACME", "body": "Can we move to 3pm?",
               "received_at": "2026-11-25T09:30:00+00:00"}  # fmt: skip
    first = post(inbound_url(tenant_a), payload, secret=sms_http.callback_secret)
    replay = post(inbound_url(tenant_a), payload, secret=sms_http.callback_secret)

    assert first.json() == {"ok": True, "created": True, "matched_contact": True, "opted_out": False}
    assert replay.json() == {"ok": True, "created": False, "matched_contact": True, "opted_out": False}
    with tenant_context(tenant_a.id):
        [message] = SmsMessage.objects.all()
        [interaction] = Interaction.objects.filter(kind="sms")
        [notice] = Notification.objects.filter(user=alice)
    assert (message.direction, message.status, message.from_number, message.contact_id) == (
        "inbound", "received", "+4915112345678", ann.pk,
    )  # fmt: skip
    assert (interaction.direction, interaction.contact_id, interaction.body, interaction.subject) == (
        "inbound", ann.pk, "Can we move to 3pm?", "From +4915112345678",
    )  # fmt: skip
    assert interaction.occurred_at.isoformat() == "2026-11-25T09:30:00+00:00"
    assert (notice.title, notice.url) == ("SMS from Ann Lee", f"/customers/contacts/{ann.pk}/")


@pytest.mark.django_db
def test_an_inbound_sms_from_an_unknown_number_is_kept_without_a_contact(tenant_a, sms_http):
    payload = {"id": "in-2", "from": "+447911123456", "to": "ACME", "body": "Who is this?"}
    response = post(inbound_url(tenant_a), payload, secret=sms_http.callback_secret)
    assert response.json() == {"ok": True, "created": True, "matched_contact": False, "opted_out": False}
    with tenant_context(tenant_a.id):
        assert list(SmsMessage.objects.values_list("from_number", "contact_id")) == [("+447911123456", None)]
        assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_an_inbound_sms_with_a_bad_signature_or_bad_fields_stores_nothing(tenant_a, sms_http):
    good = {"id": "in-3", "from": "+4915112345678", "body": "hi"}
    assert post(inbound_url(tenant_a), good, secret="whsec_wrong").status_code == 401
    bad_number = post(inbound_url(tenant_a), {**good, "from": "abc"}, secret=sms_http.callback_secret)
    assert bad_number.status_code == 400 and "“from” is not a valid phone number" in bad_number.json()["error"]
    no_body = post(inbound_url(tenant_a), {"id": "in-3", "from": "+4915112345678"}, secret=sms_http.callback_secret)
    assert no_body.json() == {"error": "“body” must be a string."}
    with tenant_context(tenant_a.id):
        assert not SmsMessage.objects.exists()


@pytest.mark.django_db
def test_a_reply_from_a_shared_number_goes_to_the_contact_texted_last(tenant_a, alice, ann, sms_http, sent):
    ContactFactory(tenant=tenant_a, first_name="Zed", last_name="Lee", phone=ann.phone)  # same household number
    payload = {"id": "in-9", "from": ann.phone, "body": "Yes, thanks"}
    assert post(inbound_url(tenant_a), payload, secret=sms_http.callback_secret).status_code == 200
    with tenant_context(tenant_a.id):
        assert SmsMessage.objects.get(direction="inbound").contact_id == ann.pk


@pytest.mark.django_db
def test_a_stop_reply_withdraws_sms_consent_for_everyone_at_that_number(tenant_a, alice, ann, sms_http):
    partner = ContactFactory(
        tenant=tenant_a, first_name="Zed", last_name="Lee", phone=ann.phone, sms_consent=True, owner=alice
    )  # fmt: skip  (the latest updated of the two: the reply is logged on Zed)
    response = post(inbound_url(tenant_a), {"id": "in-stop", "from": ann.phone, "body": " Stop. "},
                    secret=sms_http.callback_secret)  # fmt: skip
    assert response.json()["opted_out"] is True
    with tenant_context(tenant_a.id):
        consents = dict(Contact.objects.filter(pk__in=[ann.pk, partner.pk]).values_list("pk", "sms_consent"))
        interaction = Interaction.objects.get(kind="sms")
        [notice] = Notification.objects.filter(user=alice)
        with pytest.raises(ValidationError, match="has not agreed to receive SMS"):
            sms_send(tenant=tenant_a, to=ann.phone, body="One more thing", contact=Contact.objects.get(pk=ann.pk))
    assert consents == {ann.pk: False, partner.pk: False}
    assert interaction.outcome == "Received: opted out of SMS"
    assert (interaction.contact_id, notice.title) == (partner.pk, "Zed Lee opted out of SMS")
