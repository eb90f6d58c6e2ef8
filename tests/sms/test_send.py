"""sms_send and the sms.send_message task, with a real HTTP gateway: what is sent, retried, refused, logged."""

from __future__ import annotations

import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from werkzeug import Request, Response

from crm.secrets import decrypt_secret
from crm.tenancy.context import tenant_context
from interactions.models import Interaction
from sms.delivery import MAX_ATTEMPTS, sms_message_deliver
from sms.models import SmsMessage, SmsSettings
from sms.services import sms_send, sms_settings_save
from tests.factories import ContactFactory
from tests.sms.conftest import GATEWAY_TOKEN


def send(tenant, capture, **kwargs):
    with tenant_context(tenant.id), capture(execute=True):
        message = sms_send(tenant=tenant, **kwargs)
    with tenant_context(tenant.id):
        message.refresh_from_db()
    return message


def messages_and_sms_interactions(tenant):
    with tenant_context(tenant.id):
        return SmsMessage.objects.count(), Interaction.objects.filter(kind="sms").count()


@pytest.mark.django_db
def test_a_message_goes_to_the_gateway_and_onto_the_contacts_timeline(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_request(
        "/v1/messages", method="POST", headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"},
    ).respond_with_json({"id": "gw-1001", "status": "accepted"})  # fmt: skip
    tenant_a.country = "DE"  # a number without a country code is read as the workspace's country's
    tenant_a.save(update_fields=["country"])

    message = send(tenant_a, django_capture_on_commit_callbacks, to="0151 12345678", body="Hi Ann, your order shipped.",
                   contact=ann, by=alice)  # fmt: skip

    [(request, _response)] = gateway.log
    assert request.json == {"to": "+4915112345678", "from": "ACME", "body": "Hi Ann, your order shipped.",
                            "client_reference": str(message.reference)}  # fmt: skip
    assert (message.status, message.provider_id, message.attempts, message.to_number) == (
        "sent", "gw-1001", 1, "+4915112345678",
    )  # fmt: skip
    with tenant_context(tenant_a.id):
        interaction = Interaction.objects.get(pk=message.interaction_id)
    assert (interaction.kind, interaction.direction, interaction.contact_id, interaction.logged_by_id) == (
        "sms", "outbound", ann.pk, alice.pk,
    )  # fmt: skip
    assert (interaction.body, interaction.subject, interaction.outcome) == (
        "Hi Ann, your order shipped.", "To +4915112345678", "Sent",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_500_is_retried_and_the_message_is_sent_once(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_ordered_request("/v1/messages").respond_with_data("upstream down", status=500)
    gateway.expect_ordered_request("/v1/messages").respond_with_json({"id": "gw-2", "status": "queued"})

    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice)

    assert len(gateway.log) == 2
    assert [req.json["client_reference"] for req, _ in gateway.log] == [str(message.reference)] * 2
    assert (message.status, message.provider_id, message.attempts, message.failure_reason) == ("sent", "gw-2", 2, "")


@pytest.mark.django_db
def test_a_timeout_is_retried(tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks):
    def slow(request: Request) -> Response:
        time.sleep(1.5)  # the client gives up after SMS_HTTP_TIMEOUT = 0.5 s
        return Response(json.dumps({"id": "too-late"}), content_type="application/json")

    gateway.expect_ordered_request("/v1/messages").respond_with_handler(slow)
    gateway.expect_ordered_request("/v1/messages").respond_with_json({"id": "gw-3", "status": "accepted"})

    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice)

    assert (message.status, message.provider_id, message.attempts) == ("sent", "gw-3", 2)


@pytest.mark.django_db
def test_a_400_fails_the_message_with_the_gateways_reason_and_is_not_retried(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_request("/v1/messages").respond_with_json(
        {"error": "Number is on the carrier block list"}, status=400
    )

    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice)

    assert len(gateway.log) == 1
    assert message.status == "failed"
    assert message.failure_reason == "The gateway refused the message (HTTP 400): Number is on the carrier block list"
    with tenant_context(tenant_a.id):
        outcome = Interaction.objects.get(pk=message.interaction_id).outcome
    assert outcome.startswith("Failed: The gateway refused the message (HTTP 400)")


@pytest.mark.django_db
def test_a_gateway_that_keeps_failing_is_given_up_on_with_the_reason(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_request("/v1/messages").respond_with_data("", status=503)

    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice)

    assert len(gateway.log) == MAX_ATTEMPTS
    assert message.status == "failed"
    assert message.failure_reason == f"Gave up after {MAX_ATTEMPTS} attempts: The gateway had a problem (HTTP 503)."


@pytest.mark.django_db
def test_the_same_idempotency_key_sends_once(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_request("/v1/messages").respond_with_json({"id": "gw-once", "status": "accepted"})

    first = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice,
                 idempotency_key="order-77-shipped")  # fmt: skip
    again = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice,
                 idempotency_key="order-77-shipped")  # fmt: skip

    assert again.pk == first.pk
    assert len(gateway.log) == 1
    assert messages_and_sms_interactions(tenant_a) == (1, 1)


@pytest.mark.django_db
def test_a_second_run_of_the_task_finds_nothing_to_claim(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    gateway.expect_request("/v1/messages").respond_with_json({"id": "gw-9", "status": "accepted"})
    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, by=alice)

    with tenant_context(tenant_a.id):
        assert sms_message_deliver(tenant=tenant_a, message_id=message.pk) is None  # a redelivered task
    assert len(gateway.log) == 1


@pytest.mark.django_db
def test_a_contact_without_sms_consent_is_refused_and_nothing_is_written(
    tenant_a, alice, ben, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as refused:
        send(tenant_a, django_capture_on_commit_callbacks, to=ben.phone, body="Hello", contact=ben, by=alice)
    assert refused.value.message_dict == {
        "contact": [
            "Ben Ortiz has not agreed to receive SMS. Record their SMS consent on the contact before texting them."
        ]
    }
    assert messages_and_sms_interactions(tenant_a) == (0, 0)
    assert gateway.log == []


@pytest.mark.django_db
def test_a_bare_number_of_a_contact_without_consent_is_refused_too(
    tenant_a, alice, ben, sms_http, eager_tasks, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError, match="Ben Ortiz has not agreed to receive SMS"):
        send(tenant_a, django_capture_on_commit_callbacks, to="+49 151 87654321", body="Hello", by=alice)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("to", "says"),
    [
        ("", "Enter the mobile number to text."),
        ("12", "Enter a valid phone number, with the country code if it is not from US"),
        ("+49 30 12345678", "+493012345678 is a landline number, which cannot receive SMS. Use a mobile number."),
        ("+1 800 555 0199", "is a toll-free number, which cannot receive SMS"),
    ],
)
def test_invalid_and_landline_numbers_are_refused_with_the_reason(
    tenant_a, alice, sms_http, eager_tasks, django_capture_on_commit_callbacks, to, says
):
    with pytest.raises(ValidationError) as refused:
        send(tenant_a, django_capture_on_commit_callbacks, to=to, body="Hello", by=alice)
    assert says in refused.value.message_dict["to"][0]
    assert messages_and_sms_interactions(tenant_a) == (0, 0)


@pytest.mark.django_db
def test_an_empty_or_too_long_message_is_refused(tenant_a, alice, ann, sms_http, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as empty:
        send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="  \r\n ", contact=ann)
    assert empty.value.message_dict == {"body": ["Write the message."]}
    with pytest.raises(ValidationError) as long:
        send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Привет " * 100, contact=ann)
    assert long.value.message_dict["body"] == [
        "The message is 699 characters long; at most 670 fit in 10 parts. Characters such as Приве make it a "
        "Unicode message (70 per part)."
    ]


@pytest.mark.django_db
def test_nothing_is_sent_before_sms_is_set_up(tenant_a, ann, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError, match="SMS is not set up for this workspace"):
        send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann)


@pytest.mark.django_db
def test_line_breaks_count_once_and_the_parts_are_recorded(
    tenant_a, ann, settings, tmp_path, alice, eager_tasks, django_capture_on_commit_callbacks
):
    settings.SMS_FILE_DIR = str(tmp_path)
    with tenant_context(tenant_a.id):
        sms_settings_save(tenant=tenant_a, by=alice, backend="file", gateway_url="", gateway_token=None, sender_id="")
    message = send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="a" * 150 + "\r\n" + "b" * 10,
                   contact=ann)  # fmt: skip

    assert (message.body, message.encoding, message.segments, message.status) == (
        "a" * 150 + "\n" + "b" * 10, "gsm7", 2, "sent",
    )  # fmt: skip
    [line] = (tmp_path / "acme" / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["client_reference"] == str(message.reference)


@pytest.mark.django_db
def test_the_gateway_token_is_stored_encrypted(tenant_a, sms_http):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL app.tenant_id = %s", [str(tenant_a.id)])
        cursor.execute("SELECT * FROM sms_smssettings")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert GATEWAY_TOKEN not in row
    assert sms_http.callback_secret not in row
    with tenant_context(tenant_a.id):
        stored = SmsSettings.objects.get()
    assert decrypt_secret(stored.gateway_token_encrypted) == GATEWAY_TOKEN
    assert decrypt_secret(stored.callback_secret_encrypted) == sms_http.callback_secret


@pytest.mark.django_db
def test_another_tenants_contact_is_refused(tenant_a, tenant_b, alice, sms_http, django_capture_on_commit_callbacks):
    theirs = ContactFactory(tenant=tenant_b, phone="+4915100000001", sms_consent=True)
    with pytest.raises(ValidationError) as refused:
        send(tenant_a, django_capture_on_commit_callbacks, to=theirs.phone, body="Hi", contact=theirs, by=alice)
    assert refused.value.message_dict == {"contact": ["This contact is not in this workspace."]}


@pytest.mark.django_db
def test_the_sweeper_requeues_messages_whose_task_was_lost_and_leaves_pending_retries(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from sms.tasks import requeue_stuck

    gateway.expect_request("/v1/messages").respond_with_json({"id": "gw-swept", "status": "accepted"})
    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=False):  # the task is lost
        lost = sms_send(tenant=tenant_a, to=ann.phone, body="Lost in the broker", contact=ann, by=alice)
        waiting = sms_send(tenant=tenant_a, to=ann.phone, body="Waiting for its retry", contact=ann, by=alice)
    an_hour_ago, in_an_hour = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1)
    with tenant_context(tenant_a.id):
        SmsMessage.objects.filter(pk=lost.pk).update(next_attempt_at=an_hour_ago)
        SmsMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=in_an_hour, attempts=1)

    assert requeue_stuck.apply().get() == 1

    with tenant_context(tenant_a.id):
        statuses = dict(SmsMessage.objects.values_list("body", "status"))
    assert statuses == {"Lost in the broker": "sent", "Waiting for its retry": "queued"}
    assert [request.json["body"] for request, _ in gateway.log] == ["Lost in the broker"]


@pytest.mark.django_db
def test_an_idempotency_key_reused_for_another_message_is_refused(
    tenant_a, alice, ann, sms_http, gateway, django_capture_on_commit_callbacks
):
    send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Hello", contact=ann, idempotency_key="k-1")
    with pytest.raises(ValidationError) as refused:
        send(tenant_a, django_capture_on_commit_callbacks, to=ann.phone, body="Bye", contact=ann, idempotency_key="k-1")
    assert refused.value.message_dict == {
        "idempotency_key": ["This idempotency key was already used for a different message (to +4915112345678)."]
    }


@pytest.mark.django_db
def test_consent_withdrawn_while_queued_stops_the_send(
    tenant_a, alice, ann, sms_http, gateway, eager_tasks, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a.id), django_capture_on_commit_callbacks(execute=False) as queued:
        message = sms_send(tenant=tenant_a, to=ann.phone, body="Hello", contact=ann, by=alice)
    with tenant_context(tenant_a.id):
        ann.__class__.objects.filter(pk=ann.pk).update(sms_consent=False)
        for callback in queued:
            callback()
        message.refresh_from_db()
    assert (message.status, message.failure_reason) == (
        "failed", "Not sent: the contact withdrew SMS consent before it went out.",
    )  # fmt: skip
    assert gateway.log == []
