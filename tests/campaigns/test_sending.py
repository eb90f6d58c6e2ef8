"""Preparing and sending campaigns in-process against a real SMTP server: who is skipped and why,
one message per recipient with the compliance headers, retries, bounces, the sweeper, quiet hours,
A/B winners and scheduled starts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignSettings,
    CampaignStatus,
    DeliveryEvent,
    DeliveryStatus,
    EventKind,
    Suppression,
)
from campaigns.sending import (
    STALE_CLAIM,
    UNCERTAIN,
    campaign_prepare,
    campaign_send_run,
    claim_batch,
    deliveries_sweep,
    quiet_until,
)
from crm.tenancy.context import tenant_context
from tests.campaigns.conftest import add_to_list, make_audience, new_campaign
from tests.factories import ContactFactory
from tests.mail.conftest import configure_mail
from tests.peers import free_port


def start(tenant, campaign):
    with tenant_context(tenant.id):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, started_at=timezone.now())
        campaign_prepare(tenant=tenant, campaign_id=campaign.pk)
        campaign.refresh_from_db()
    return campaign


def run(tenant, campaign):
    with tenant_context(tenant.id):
        return campaign_send_run(tenant=tenant, campaign_id=campaign.pk, budget_seconds=30)


def deliveries(tenant, campaign):
    """(status, reason) by contact id."""
    with tenant_context(tenant.id):
        return {d.contact_id: (d.status, d.reason) for d in CampaignDelivery.objects.filter(campaign=campaign)}


def refresh(tenant, obj):
    with tenant_context(tenant.id):
        obj.refresh_from_db()
    return obj


@pytest.mark.django_db
def test_the_audience_is_created_once_with_a_reason_for_everyone_skipped(tenant_a, tenant_b):
    static_list, reachable = make_audience(tenant_a, 3)
    no_consent = ContactFactory(tenant=tenant_a, email="noconsent@example.org", email_consent=False)
    no_email = ContactFactory(tenant=tenant_a, email="", email_consent=True)
    suppressed = ContactFactory(tenant=tenant_a, email="Gone@Example.org", email_consent=True)
    twin = ContactFactory(tenant=tenant_a, email="PERSON0@example.org", email_consent=True)
    left_out = ContactFactory(tenant=tenant_a, email="leftout@example.org", email_consent=True)
    add_to_list(tenant_a, static_list, [no_consent, no_email, suppressed, twin, left_out])
    exclusions, _contacts = make_audience(tenant_a, 0)
    add_to_list(tenant_a, exclusions, [left_out])
    with tenant_context(tenant_a.id):
        Suppression.objects.create(tenant=tenant_a, channel="email", address="gone@example.org", reason="manual")
    campaign = new_campaign(tenant_a, static_list, exclude_list_ids=[exclusions.pk])

    start(tenant_a, campaign)
    with tenant_context(tenant_a.id):
        assert campaign_prepare(tenant=tenant_a, campaign_id=campaign.pk) is False  # a second run adds nobody
        assert CampaignDelivery.objects.filter(campaign=campaign).count() == 7

    rows = deliveries(tenant_a, campaign)
    assert {rows[c.pk] for c in reachable} == {(DeliveryStatus.QUEUED, "")}
    assert rows[no_consent.pk] == (DeliveryStatus.SKIPPED, "no_consent")
    assert rows[no_email.pk] == (DeliveryStatus.SKIPPED, "no_address")
    assert rows[suppressed.pk] == (DeliveryStatus.SKIPPED, "suppressed")
    assert left_out.pk not in rows
    # PERSON0@ and person0@ are one address: the second contact is skipped, not mailed twice.
    assert rows[twin.pk] == (DeliveryStatus.SKIPPED, "duplicate")
    refresh(tenant_a, campaign)
    assert campaign.audience_count == 7
    assert campaign.skipped_counts == {"no_consent": 1, "no_address": 1, "suppressed": 1, "duplicate": 1}
    with tenant_context(tenant_b.id):
        assert not CampaignDelivery.objects.exists()


@pytest.mark.django_db
def test_each_recipient_gets_one_personal_email_with_unsubscribe_headers(tenant_a, mail_to_peer):
    static_list, contacts = make_audience(tenant_a, 3)
    campaign = start(tenant_a, new_campaign(tenant_a, static_list))

    result = run(tenant_a, campaign)
    again = run(tenant_a, campaign)  # a duplicate task: nothing left to claim

    assert (result.sent, again.sent) == (3, 0)
    messages = mail_to_peer.handler.messages
    assert sorted(m["To"] for m in messages) == sorted(c.email for c in contacts)
    for message in messages:
        unsubscribe = message["List-Unsubscribe"].strip()
        assert unsubscribe.startswith("<http") and "/campaigns/u/" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        first_name = next(c.first_name for c in contacts if c.email == message["To"])
        assert f"Hi {first_name}," in html and f"Hi {first_name}," in text
        assert "/campaigns/t/c/" in html and "https://shop.example.com/sale" not in html  # the link is tracked
        assert "/campaigns/t/o/" in html  # the open pixel
        assert "/campaigns/u/" in text  # the unsubscribe link in the plain-text part too
    with tenant_context(tenant_a.id):
        sent = list(CampaignDelivery.objects.filter(campaign=campaign))
    refresh(tenant_a, campaign)
    assert {d.status for d in sent} == {DeliveryStatus.SENT}
    assert sorted(m["Message-ID"] for m in messages) == sorted(d.message_id for d in sent)
    assert all(d.message_id == f"<campaign-{campaign.pk}-{d.pk}.{tenant_a.pk}@acme.example>" for d in sent)
    assert campaign.status == CampaignStatus.SENT and campaign.finished_at is not None


@pytest.mark.django_db
def test_a_contact_who_withdraws_consent_after_the_start_is_skipped(tenant_a, mail_to_peer):
    static_list, contacts = make_audience(tenant_a, 2)
    campaign = start(tenant_a, new_campaign(tenant_a, static_list))
    with tenant_context(tenant_a.id):
        type(contacts[0]).objects.filter(pk=contacts[0].pk).update(email_consent=False)

    run(tenant_a, campaign)

    assert [m["To"] for m in mail_to_peer.handler.messages] == [contacts[1].email]
    assert deliveries(tenant_a, campaign)[contacts[0].pk] == (DeliveryStatus.SKIPPED, "no_consent")


@pytest.mark.django_db
def test_a_refused_recipient_fails_with_the_reason_and_is_suppressed(tenant_a, mail_to_peer):
    static_list, _contacts = make_audience(tenant_a, 2)
    campaign = start(tenant_a, new_campaign(tenant_a, static_list))
    mail_to_peer.handler.refuse = ["550 5.1.1 No such user"]

    run(tenant_a, campaign)

    with tenant_context(tenant_a.id):
        failed = CampaignDelivery.objects.get(campaign=campaign, status=DeliveryStatus.FAILED)
        assert "550" in failed.reason
        assert Suppression.objects.get(address=failed.address).reason == "bounced"
    assert len(mail_to_peer.handler.messages) == 1  # the other one went out on the same connection


@pytest.mark.django_db
def test_an_unreachable_server_puts_the_batch_back_with_backoff(tenant_a):
    configure_mail(tenant_a, port=free_port())  # nobody listens there
    static_list, _contacts = make_audience(tenant_a, 2)
    campaign = start(tenant_a, new_campaign(tenant_a, static_list))

    result = run(tenant_a, campaign)

    with tenant_context(tenant_a.id):
        rows = list(CampaignDelivery.objects.filter(campaign=campaign))
    assert result.sent == 0 and result.next_run_in and result.next_run_in > 30
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.QUEUED, 1)}
    assert all(r.next_attempt_at > timezone.now() and "Could not connect" in r.reason for r in rows)


@pytest.mark.django_db
def test_the_sweeper_requeues_untouched_claims_and_never_resends_a_handed_over_one(tenant_a):
    static_list, _contacts = make_audience(tenant_a, 3)
    campaign = start(tenant_a, new_campaign(tenant_a, static_list))
    with tenant_context(tenant_a.id):
        token = claim_batch(tenant_id=tenant_a.pk, campaign=campaign, limit=3)
        rows = list(CampaignDelivery.objects.filter(claim_token=token).order_by("id"))
        # The worker died while handing the first group (here: the first message) to the server.
        CampaignDelivery.objects.filter(pk=rows[0].pk).update(handing_at=timezone.now())
        assert claim_batch(tenant_id=tenant_a.pk, campaign=campaign, limit=3) is None  # nothing for a 2nd worker
        assert deliveries_sweep() == (0, 0)  # claims are fresh: nobody is touched yet
        assert deliveries_sweep(now=timezone.now() + STALE_CLAIM + timedelta(seconds=1)) == (2, 1)
        statuses = dict(CampaignDelivery.objects.values_list("id", "status"))
        uncertain = CampaignDelivery.objects.get(pk=rows[0].pk)
    assert statuses[rows[1].pk] == statuses[rows[2].pk] == DeliveryStatus.QUEUED
    assert (uncertain.status, uncertain.reason) == (DeliveryStatus.FAILED, UNCERTAIN)


@pytest.mark.django_db
def test_sms_quiet_hours_follow_the_workspace_time_zone(tenant_a):
    tenant_a.time_zone = "Asia/Tokyo"
    tenant_a.save()
    tokyo = ZoneInfo("Asia/Tokyo")
    with tenant_context(tenant_a.id):
        CampaignSettings.objects.create(tenant=tenant_a, sms_quiet_start=time(21, 0), sms_quiet_end=time(8, 0))
        late = datetime(2026, 3, 2, 22, 30, tzinfo=tokyo)
        early = datetime(2026, 3, 3, 7, 0, tzinfo=tokyo)
        noon = datetime(2026, 3, 3, 12, 0, tzinfo=tokyo)
        assert quiet_until(tenant_a, late) == datetime(2026, 3, 3, 8, 0, tzinfo=tokyo)
        assert quiet_until(tenant_a, early) == datetime(2026, 3, 3, 8, 0, tzinfo=tokyo)
        assert quiet_until(tenant_a, noon) is None


@pytest.mark.django_db
def test_an_sms_campaign_waits_during_quiet_hours(tenant_a, settings, tmp_path):
    from sms.models import SmsSettings

    settings.SMS_FILE_DIR = str(tmp_path)
    static_list, _contacts = make_audience(tenant_a, 1, phone="+14155550101", sms_consent=True)
    with tenant_context(tenant_a.id):
        SmsSettings.objects.create(tenant=tenant_a, backend="file")
        # Quiet all day except the minute that has just passed: now is inside.
        now = timezone.localtime(timezone.now(), ZoneInfo(tenant_a.time_zone or "UTC"))
        CampaignSettings.objects.create(
            tenant=tenant_a,
            sms_quiet_start=(now - timedelta(seconds=5)).time(),
            sms_quiet_end=(now - timedelta(minutes=1)).time(),
        )
    campaign = start(tenant_a, new_campaign(tenant_a, static_list, channel="sms", sms_body="Hi {{ first_name }}"))

    waiting = run(tenant_a, campaign)
    assert waiting.sent == 0 and waiting.next_run_in > 3600
    with tenant_context(tenant_a.id):
        CampaignSettings.objects.update(sms_quiet_start=time(0, 0), sms_quiet_end=time(0, 0))  # no quiet hours
    sent = run(tenant_a, campaign)
    assert sent.sent == 1
    written = "".join(path.read_text() for path in tmp_path.rglob("*") if path.is_file())
    assert "Hi P0" in written and "+14155550101" in written


@pytest.mark.django_db
def test_the_ab_winner_by_opens_goes_to_the_rest_exactly_once(tenant_a, mail_to_peer):
    static_list, _contacts = make_audience(tenant_a, 20)
    campaign = start(
        tenant_a,
        new_campaign(tenant_a, static_list, ab_enabled=True, ab_subject_b="Subject B", ab_sample_percent=20,
                     ab_wait_hours=2),
    )  # fmt: skip
    run(tenant_a, campaign)
    with tenant_context(tenant_a.id):
        sample = list(CampaignDelivery.objects.filter(campaign=campaign, in_ab_sample=True))
        assert sorted(d.variant for d in sample) == ["a", "a", "b", "b"]
        assert CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.HELD).count() == 16
        for delivery in sample:
            if delivery.variant == "b":
                DeliveryEvent.objects.create(
                    tenant=tenant_a, delivery=delivery, campaign=campaign, kind=EventKind.OPEN, first=True
                )
        assert services.campaigns_decide_ab(tenant=tenant_a) == 0  # too early
        Campaign.objects.filter(pk=campaign.pk).update(started_at=timezone.now() - timedelta(hours=3))
        assert services.campaigns_decide_ab(tenant=tenant_a) == 1
        assert services.campaigns_decide_ab(tenant=tenant_a) == 0  # decided once
    run(tenant_a, campaign)
    subjects = [m["Subject"] for m in mail_to_peer.handler.messages]
    assert len(subjects) == 20 and subjects.count("Subject B") == 18
    refresh(tenant_a, campaign)
    assert campaign.ab_winner == "b" and campaign.status == CampaignStatus.SENT


@pytest.mark.django_db
def test_a_scheduled_campaign_starts_once_when_due(tenant_a, django_capture_on_commit_callbacks, monkeypatch):
    static_list, _contacts = make_audience(tenant_a, 1)
    campaign = new_campaign(tenant_a, static_list)
    queued = []
    monkeypatch.setattr("campaigns.tasks.prepare_campaign.delay", lambda *args: queued.append(args))
    with tenant_context(tenant_a.id):
        services.campaign_schedule(tenant=tenant_a, campaign=campaign, at=timezone.now() + timedelta(hours=1), by=None)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.campaigns_start_due(tenant=tenant_a) == 0
        Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.campaigns_start_due(tenant=tenant_a) == 1
            assert services.campaigns_start_due(tenant=tenant_a) == 0
    refresh(tenant_a, campaign)
    assert campaign.status == CampaignStatus.SENDING and queued == [(tenant_a.id, campaign.pk)]
