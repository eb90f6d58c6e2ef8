"""Composing, sending and retrying emails to contacts, through a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.tenancy.context import tenant_context
from interactions.models import Interaction
from mail.models import OutboundEmail, OutboundStatus
from mail.tasks import MAX_RETRIES
from tests.factories import AccountFactory, ContactFactory, InteractionFactory
from tests.mail.conftest import configure_mail, free_port
from tests.mail.factories import EmailTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(tenant_a):
    account = AccountFactory(tenant=tenant_a, name="Customer Co")
    return ContactFactory(
        tenant=tenant_a, first_name="Ann", last_name="Lee", email="ann@customer.example", account=account
    )


def compose(client, contact, *, query="", capture, **fields):
    data = {"to": contact.email, "cc": "", "subject": "Hello", "body": "Hi there", **fields}
    with capture(execute=True):
        return client.post(f"/mail/compose/?contact={contact.pk}{query}", data)


def emails(tenant, **filters):
    with tenant_context(tenant.id):
        return list(OutboundEmail.objects.filter(**filters).order_by("pk"))


def email_interactions(tenant, contact):
    with tenant_context(tenant.id):
        return list(Interaction.objects.filter(contact=contact, kind="email").order_by("pk"))


def test_an_email_reaches_the_server_with_merge_fields_filled_and_is_logged_once(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    response = compose(
        alice_client,
        ann,
        capture=django_capture_on_commit_callbacks,
        cc="boss@customer.example",
        subject="Proposal for {{ account.name }}",
        body="Hi {{ contact.first_name }},\n\nAs discussed.\n{{ user.full_name }}",
    )

    [email] = emails(tenant_a)
    assert response.status_code == 302 and response.url == f"/mail/{email.pk}/"
    assert email.status == OutboundStatus.SENT and email.attempts == 1
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == email.message_id and email.message_id.endswith("@acme.example>")
    assert message["From"] == "Acme Sales <sales@acme.example>"
    assert message["To"] == "ann@customer.example"
    assert message["Cc"] == "boss@customer.example"
    assert message["Subject"] == "Proposal for Customer Co"
    assert (
        message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n").strip()
        == "Hi Ann,\n\nAs discussed.\nAlice Admin"
    )
    assert sorted(smtp_server.handler.envelopes[0].rcpt_tos) == ["ann@customer.example", "boss@customer.example"]
    [logged] = email_interactions(tenant_a, ann)
    assert (logged.direction, logged.subject, email.interaction_id) == (
        "outbound",
        "Proposal for Customer Co",
        logged.pk,
    )

    page = alice_client.get(f"/mail/{email.pk}/").content.decode()
    assert email.message_id.replace("<", "&lt;").replace(">", "&gt;") in page and "Sent" in page


def test_attachments_and_a_meeting_invite_go_out_as_parts(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    meeting = InteractionFactory(
        tenant=tenant_a, contact=ann, kind="meeting", subject="Kick-off", occurred_at=timezone.now(),
        duration_seconds=3600,
    )  # fmt: skip
    pdf = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    compose(
        alice_client, ann, capture=django_capture_on_commit_callbacks, query=f"&meeting={meeting.pk}",
        subject="Kick-off", attachments=[pdf], meeting=meeting.pk,
    )  # fmt: skip
    form = alice_client.get(f"/mail/compose/?contact={ann.pk}&meeting={meeting.pk}").context["form"]
    assert form.initial["meeting"] == meeting.pk  # the link from a meeting preselects it

    [message] = smtp_server.handler.messages
    parts = {part.get_content_type(): part for part in message.iter_attachments()}
    assert parts["application/pdf"].get_filename() == "quote.pdf"
    assert parts["application/pdf"].get_content() == b"%PDF-1.4 quote"
    invite = parts["text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    ics = invite.get_content()
    assert "METHOD:REQUEST" in ics and "SUMMARY:Kick-off" in ics and "ann@customer.example" in ics


def test_a_reply_threads_under_the_email_it_answers(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks, subject="Pricing", body="Our prices")
    [first] = emails(tenant_a)
    form = alice_client.get(f"/mail/compose/?contact={ann.pk}&reply_to={first.interaction_id}").context["form"]
    assert form.initial["subject"] == "Re: Pricing" and "> Our prices" in form.initial["body"]

    compose(
        alice_client, ann, capture=django_capture_on_commit_callbacks, query=f"&reply_to={first.interaction_id}",
        subject="Re: Pricing", body="Following up",
    )  # fmt: skip
    compose(
        alice_client, ann, capture=django_capture_on_commit_callbacks,
        query=f"&reply_to={emails(tenant_a)[1].interaction_id}", subject="Re: Pricing", body="Again",
    )  # fmt: skip

    _, reply, second_reply = smtp_server.handler.messages
    assert reply["In-Reply-To"] == first.message_id
    assert reply["References"] == first.message_id
    assert second_reply["In-Reply-To"] == reply["Message-ID"]
    assert second_reply["References"] == f"{first.message_id} {reply['Message-ID']}"


def test_a_template_fills_subject_and_body_for_the_contact(alice_client, tenant_a, ann, smtp_server):
    configure_mail(tenant_a, smtp_server)
    template = EmailTemplateFactory(
        tenant=tenant_a, subject="Hi {{ contact.first_name }}", body="Dear {{ contact.full_name }}"
    )
    response = alice_client.get(f"/mail/compose/template/?contact={ann.pk}&template={template.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Hi Ann"' in html and "Dear Ann Lee" in html


def test_a_server_that_is_down_is_retried_then_fails_with_the_reason_on_the_timeline(
    alice_client, tenant_a, ann, eager_tasks, django_capture_on_commit_callbacks
):
    port = free_port()
    configure_mail(tenant_a, port=port)
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks, subject="Are you there?")

    [email] = emails(tenant_a)
    assert email.status == OutboundStatus.FAILED
    assert email.attempts == MAX_RETRIES + 1
    reason = f"Could not connect to 127.0.0.1:{port}: Connection refused"
    assert email.last_error == f"Gave up after {MAX_RETRIES + 1} attempts. Last error: {reason}"
    assert len(email_interactions(tenant_a, ann)) == 1  # retries log nothing more
    contact_page = alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    assert "Email not sent: Are you there?" in contact_page and reason in contact_page
    assert contact_page.count(reason) == 1
    detail = alice_client.get(f"/mail/{email.pk}/").content.decode()
    assert "Not sent." in detail and reason in detail and "Retry" in detail


def test_a_temporary_refusal_is_retried_and_the_email_sent_once(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    smtp_server.handler.refuse = ["451 4.3.0 Try again later", "421 4.7.0 Too busy"]
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks)

    [email] = emails(tenant_a)
    assert (email.status, email.attempts, email.last_error) == (OutboundStatus.SENT, 3, "")
    assert len(smtp_server.handler.messages) == 1


def test_a_permanent_refusal_fails_at_once_and_retry_sends_it(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    smtp_server.handler.refuse = ["550 5.1.1 No such mailbox"]
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks)

    [email] = emails(tenant_a)
    assert (email.status, email.attempts) == (OutboundStatus.FAILED, 1)
    assert email.last_error == "The server refused the recipients (ann@customer.example: 550 5.1.1 No such mailbox)."
    assert smtp_server.handler.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/mail/{email.pk}/retry/")
    assert response.status_code == 302
    [email] = emails(tenant_a)
    assert (email.status, email.attempts, email.last_error) == (OutboundStatus.SENT, 2, "")
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == email.message_id  # the same email, not a new one
    assert len(email_interactions(tenant_a, ann)) == 1
    assert "Email not sent" not in alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()


def test_sending_twice_sends_once(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    from mail.tasks import send_outbound

    configure_mail(tenant_a, smtp_server)
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks)
    [email] = emails(tenant_a)
    assert send_outbound.delay(tenant_a.id, email.pk).get() is False
    assert len(smtp_server.handler.messages) == 1


def test_a_refused_attachment_is_a_form_error_and_nothing_is_written(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    script = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/octet-stream")
    response = compose(alice_client, ann, capture=django_capture_on_commit_callbacks, attachments=[script])

    assert response.status_code == 200
    assert "run.exe" in response.context["form"].errors["attachments"][0]
    assert emails(tenant_a) == [] and email_interactions(tenant_a, ann) == []
    assert smtp_server.handler.messages == []


def test_bad_addresses_and_unknown_merge_fields_are_named(alice_client, tenant_a, ann, smtp_server):
    configure_mail(tenant_a, smtp_server)
    response = alice_client.post(
        f"/mail/compose/?contact={ann.pk}",
        {"to": "ann@customer.example, not-an-address", "subject": "Hi", "body": "{{ contact.salary }}"},
    )
    errors = response.context["form"].errors
    assert errors["to"] == ["To: “not-an-address” is not a valid email address."]
    assert "Unknown merge field {{ contact.salary }}" in errors["body"][0]
    assert emails(tenant_a) == []


def test_the_page_explains_what_stops_sending_and_warns_about_consent(alice_client, tenant_a, smtp_server):
    no_email = ContactFactory(tenant=tenant_a, first_name="Noah", last_name="Mail", email="")
    opted_out = ContactFactory(tenant=tenant_a, first_name="Olga", email="olga@x.example", email_consent=False)
    consented = ContactFactory(tenant=tenant_a, first_name="Cora", email="cora@x.example", email_consent=True)

    page = alice_client.get(f"/mail/compose/?contact={opted_out.pk}").content.decode()
    assert "Outgoing mail is not set up for this workspace yet." in page
    configure_mail(tenant_a, smtp_server)
    assert (
        "Noah Mail has no email address." in alice_client.get(f"/mail/compose/?contact={no_email.pk}").content.decode()
    )
    assert "has not opted in to email" in alice_client.get(f"/mail/compose/?contact={opted_out.pk}").content.decode()
    assert (
        "has not opted in to email" not in alice_client.get(f"/mail/compose/?contact={consented.pk}").content.decode()
    )
    response = alice_client.post(
        f"/mail/compose/?contact={no_email.pk}", {"to": "x@y.example", "subject": "s", "body": "b"}
    )
    assert response.status_code == 200 and emails(tenant_a) == []


def test_the_contact_page_has_an_email_button(alice_client, bob_client, ann):
    assert (
        f'href="/mail/compose/?contact={ann.pk}"' in alice_client.get(f"/customers/contacts/{ann.pk}/").content.decode()
    )
    assert "/mail/compose/" not in bob_client.get(f"/customers/contacts/{ann.pk}/").content.decode()


def test_another_workspace_gets_404_and_a_read_only_role_403(
    alice_client,
    bob_client,
    charlie_client,
    tenant_a,
    ann,
    smtp_server,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    configure_mail(tenant_a, smtp_server)
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks)
    [email] = emails(tenant_a)

    assert charlie_client.get(f"/mail/compose/?contact={ann.pk}").status_code == 404
    assert charlie_client.get(f"/mail/{email.pk}/").status_code == 404
    assert charlie_client.post(f"/mail/{email.pk}/retry/").status_code == 404
    assert charlie_client.get(f"/mail/compose/template/?contact={ann.pk}").status_code == 404
    assert email.subject not in charlie_client.get("/mail/").content.decode()

    assert bob_client.get(f"/mail/compose/?contact={ann.pk}").status_code == 403
    assert (
        bob_client.post(f"/mail/compose/?contact={ann.pk}", {"to": ann.email, "subject": "x", "body": "y"}).status_code
        == 403
    )
    assert bob_client.post(f"/mail/{email.pk}/retry/").status_code == 403
    assert bob_client.get(f"/mail/{email.pk}/").status_code == 200  # analysts read, and do not write
    assert len(emails(tenant_a)) == 1


def test_a_reply_to_an_email_logged_by_hand_quotes_it_without_threading_headers(
    alice_client, tenant_a, ann, smtp_server
):
    configure_mail(tenant_a, smtp_server)
    logged = InteractionFactory(
        tenant=tenant_a, contact=ann, kind="email", direction="inbound", subject="Question", body="How much?"
    )
    form = alice_client.get(f"/mail/compose/?contact={ann.pk}&reply_to={logged.pk}").context["form"]
    assert form.initial["subject"] == "Re: Question"
    assert "Ann Lee wrote:\n> How much?" in form.initial["body"]
    call = InteractionFactory(tenant=tenant_a, contact=ann, kind="call")
    assert alice_client.get(f"/mail/compose/?contact={ann.pk}&reply_to={call.pk}").status_code == 404


def test_the_sent_list_reads_a_fixed_number_of_queries(
    alice_client, tenant_a, smtp_server, django_assert_max_num_queries
):
    from tests.mail.factories import OutboundEmailFactory

    for _ in range(12):
        OutboundEmailFactory(tenant=tenant_a)
    alice_client.get("/mail/")  # warm the session and per-process caches
    with django_assert_max_num_queries(12):
        response = alice_client.get("/mail/")
    assert response.content.decode().count('href="/mail/') >= 12


def test_an_email_abandoned_by_a_dead_worker_is_sent_when_redelivered(tenant_a, smtp_server, eager_tasks):
    from datetime import timedelta

    from mail.tasks import send_outbound
    from tests.mail.factories import OutboundEmailFactory

    configure_mail(tenant_a, smtp_server)
    now = timezone.now()
    fresh = OutboundEmailFactory(tenant=tenant_a, status=OutboundStatus.SENDING, claimed_at=now, attempts=1)
    stale = OutboundEmailFactory(
        tenant=tenant_a, status=OutboundStatus.SENDING, claimed_at=now - timedelta(minutes=10), attempts=1
    )

    assert send_outbound.delay(tenant_a.id, fresh.pk).get() is False  # another worker is on it
    assert send_outbound.delay(tenant_a.id, stale.pk).get() is True
    [message] = smtp_server.handler.messages
    assert message["Message-ID"] == stale.message_id


def test_an_unedited_html_template_goes_out_with_its_html_part(
    alice_client, tenant_a, ann, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    configure_mail(tenant_a, smtp_server)
    ann.first_name = "Ann <b>"
    with tenant_context(tenant_a.id):
        ann.save()
    template = EmailTemplateFactory(
        tenant=tenant_a,
        subject="Hi",
        body="Hello {{ contact.first_name }}",
        html_body="<p>Hello {{ contact.first_name }}</p>",
    )
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks, template=template.pk, body="Hello Ann <b>")
    compose(alice_client, ann, capture=django_capture_on_commit_callbacks, template=template.pk, body="Edited")

    unedited, edited = smtp_server.handler.messages
    assert unedited.get_body(preferencelist=("html",)).get_content().strip() == "<p>Hello Ann &lt;b&gt;</p>"
    assert edited.get_body(preferencelist=("html",)) is None  # the HTML would no longer say the same
