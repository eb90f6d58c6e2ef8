"""Campaign pages: build, review, test-send and send a campaign as a marketer; results; suppression
list and quiet hours; another tenant's campaign is a 404 and a read-only role gets 403."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, DeliveryEvent, EventKind, Suppression
from campaigns.sending import campaign_prepare, campaign_send_run
from crm.roles import Role
from crm.tenancy.context import tenant_context
from tests.campaigns.conftest import make_audience, new_campaign
from tests.campaigns.factories import CampaignFactory, SuppressionFactory
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def mia(tenant_a):
    user = UserFactory(email="mia@acme.example", full_name="Mia Marketing")
    MembershipFactory(user=user, tenant=tenant_a, role=Role.MARKETING)
    return user


@pytest.fixture
def mia_client(mia):
    return client_for(mia)


FORM = {
    "name": "Spring sale",
    "channel": "email",
    "subject": 'Hi {{ first_name|default:"there" }}',
    "html_body": '<p>Hello {{ first_name }}</p><p><a href="https://shop.example.com/">Shop</a></p><script>x()</script>',
    "throttle_per_minute": "0",
    "ab_sample_percent": "20",
    "ab_metric": "open",
    "ab_wait_hours": "4",
}


@pytest.mark.django_db
def test_a_marketer_builds_reviews_tests_and_sends_a_campaign(
    tenant_a, mia_client, mail_to_peer, django_capture_on_commit_callbacks, eager_tasks
):
    static_list, contacts = make_audience(tenant_a, 3)

    response = mia_client.post("/campaigns/new/", {**FORM, "list_ids": [str(static_list.pk)]})
    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        campaign = Campaign.objects.get()
    assert campaign.list_ids == [static_list.pk] and "<script>" not in campaign.html_body
    count = mia_client.get("/campaigns/audience-count/", {"channel": "email", "list_ids": [static_list.pk]})
    assert '<span class="fs-4 fw-semibold" data-testid="reachable">3</span>' in count.content.decode()

    review = mia_client.get(f"/campaigns/{campaign.pk}/review/?contact={contacts[1].pk}").content.decode()
    assert "Hello P1" in review and "Send now to 3 recipients" in review

    mia_client.post(f"/campaigns/{campaign.pk}/test/", {"to": "mia@acme.example"})
    assert [m["To"] for m in mail_to_peer.handler.messages] == ["mia@acme.example"]
    assert mail_to_peer.handler.messages[0]["Subject"].startswith("[Test] Hi ")
    mail_to_peer.handler.envelopes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = mia_client.post(f"/campaigns/{campaign.pk}/send/")
    assert sent.status_code == 302
    # Eager tasks: preparing ran, then the senders; the second sender found nothing left.
    assert sorted(m["To"] for m in mail_to_peer.handler.messages) == sorted(c.email for c in contacts)
    results = mia_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="stat-sent">3<' in results and "Sent" in results
    assert mia_client.post(f"/campaigns/{campaign.pk}/send/").status_code == 302
    assert len(mail_to_peer.handler.messages) == 3  # sending again is refused


@pytest.mark.django_db
def test_bad_merge_fields_are_shown_with_their_line(tenant_a, mia_client):
    static_list, _contacts = make_audience(tenant_a, 1)
    body = "<p>Hello</p>\n<p>{{ favourite_colour }}</p>\n<p>{% if x %}</p>"
    page = mia_client.post("/campaigns/new/", {**FORM, "html_body": body, "list_ids": [static_list.pk]})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Line 2: unknown merge field {{ favourite_colour }}" in html
    assert "Line 3: template tags such as {% if x %} are not supported" in html
    with tenant_context(tenant_a.id):
        assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_pause_resume_and_cancel(tenant_a, mia_client, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("campaigns.tasks.send_campaign.delay", lambda *args: None)
    static_list, _contacts = make_audience(tenant_a, 2)
    campaign = new_campaign(tenant_a, static_list, status=CampaignStatus.SENDING, started_at=timezone.now())
    with tenant_context(tenant_a.id):
        campaign_prepare(tenant=tenant_a, campaign_id=campaign.pk)

    mia_client.post(f"/campaigns/{campaign.pk}/pause/")
    with tenant_context(tenant_a.id):
        assert campaign_send_run(tenant=tenant_a, campaign_id=campaign.pk).sent == 0  # paused: nothing goes
    with django_capture_on_commit_callbacks(execute=True):
        mia_client.post(f"/campaigns/{campaign.pk}/resume/")
    mia_client.post(f"/campaigns/{campaign.pk}/cancel/")
    with tenant_context(tenant_a.id):
        campaign.refresh_from_db()
        reasons = set(campaign.deliveries.values_list("status", "reason"))
    assert campaign.status == CampaignStatus.CANCELLED and reasons == {("skipped", "cancelled")}


@pytest.mark.django_db
def test_the_campaign_list_reads_a_fixed_number_of_queries(tenant_a, alice_client):
    static_list, _contacts = make_audience(tenant_a, 1)
    for n in range(3):
        campaign = new_campaign(tenant_a, static_list, name=f"C{n}")
    alice_client.get("/campaigns/")
    with CaptureQueriesContext(connection) as few:
        alice_client.get("/campaigns/")
    for n in range(10):
        new_campaign(tenant_a, static_list, name=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        page = alice_client.get("/campaigns/")
    assert len(many) == len(few)
    assert "More 9" in page.content.decode() and campaign.name in page.content.decode()


@pytest.mark.django_db
def test_another_tenants_campaign_is_a_404_and_an_analyst_cannot_change_anything(
    tenant_a, charlie_client, bob_client, alice_client
):
    campaign = CampaignFactory(tenant=tenant_a, name="Secret launch")
    for url in (f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/review/", f"/campaigns/{campaign.pk}/edit/"):
        response = charlie_client.get(url)
        assert response.status_code == 404 and "Secret launch" not in response.content.decode()
    assert charlie_client.post(f"/campaigns/{campaign.pk}/send/").status_code == 404

    assert bob_client.get(f"/campaigns/{campaign.pk}/").status_code == 200  # analysts read results
    assert bob_client.get("/campaigns/new/").status_code == 403
    assert bob_client.post(f"/campaigns/{campaign.pk}/send/").status_code == 403
    assert (
        bob_client.post("/campaigns/suppressions/", {"channel": "email", "address": "x@example.org"}).status_code == 403
    )
    with tenant_context(tenant_a.id):
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT and not Suppression.objects.exists()


@pytest.mark.django_db
def test_the_suppression_list_adds_searches_and_removes(tenant_a, alice_client):
    SuppressionFactory(tenant=tenant_a, address="old@example.org", reason="bounced")
    added = alice_client.post(
        "/campaigns/suppressions/", {"channel": "email", "address": " Bad@Example.ORG ", "note": "asked by phone"}
    )
    assert added.status_code == 302
    invalid = alice_client.post("/campaigns/suppressions/", {"channel": "email", "address": "not-an-address"})
    assert "Enter a valid email address." in invalid.content.decode()

    found = alice_client.get("/campaigns/suppressions/?q=bad").content.decode()
    assert "bad@example.org" in found and "old@example.org" not in found
    with tenant_context(tenant_a.id):
        row = Suppression.objects.get(address="bad@example.org")
    assert alice_client.post(f"/campaigns/suppressions/{row.pk}/delete/").status_code == 302
    with tenant_context(tenant_a.id):
        assert list(Suppression.objects.values_list("address", flat=True)) == ["old@example.org"]


@pytest.mark.django_db
def test_results_show_rates_links_and_variants(tenant_a, alice_client, mail_to_peer):
    static_list, _contacts = make_audience(tenant_a, 4)
    campaign = new_campaign(tenant_a, static_list, status=CampaignStatus.SENDING, started_at=timezone.now())
    with tenant_context(tenant_a.id):
        campaign_prepare(tenant=tenant_a, campaign_id=campaign.pk)
        campaign_send_run(tenant=tenant_a, campaign_id=campaign.pk, budget_seconds=30)
        delivery = campaign.deliveries.first()
        DeliveryEvent.objects.create(
            tenant=tenant_a, delivery=delivery, campaign=campaign, kind=EventKind.OPEN, first=True
        )
        DeliveryEvent.objects.create(tenant=tenant_a, delivery=delivery, campaign=campaign, kind=EventKind.CLICK,
                                     url="https://shop.example.com/sale", first=True)  # fmt: skip
    page = alice_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="stat-sent">4<' in page and 'data-testid="stat-opens">1<' in page
    assert "25%" in page and "https://shop.example.com/sale" in page


@pytest.mark.django_db
def test_quiet_hours_are_saved(tenant_a, alice_client):
    response = alice_client.post("/campaigns/settings/", {"sms_quiet_start": "22:00", "sms_quiet_end": "07:30"})
    assert response.status_code == 302
    from campaigns.models import CampaignSettings

    with tenant_context(tenant_a.id):
        config = CampaignSettings.objects.get()
    assert (str(config.sms_quiet_start), str(config.sms_quiet_end)) == ("22:00:00", "07:30:00")


@pytest.mark.django_db
def test_a_campaign_is_scheduled_in_the_workspace_time_zone(tenant_a, alice_client):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tenant_a.time_zone = "Asia/Tokyo"
    tenant_a.save()
    static_list, _contacts = make_audience(tenant_a, 1)
    campaign = new_campaign(tenant_a, static_list)
    from tests.mail.conftest import configure_mail

    configure_mail(tenant_a)
    tomorrow = (timezone.now() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo")).date()

    response = alice_client.post(f"/campaigns/{campaign.pk}/schedule/", {"send_at": f"{tomorrow}T09:30"})

    assert response.status_code == 302
    with tenant_context(tenant_a.id):
        campaign.refresh_from_db()
    expected = datetime.combine(tomorrow, datetime.min.time(), tzinfo=ZoneInfo("Asia/Tokyo")).replace(hour=9, minute=30)
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at == expected
    past = alice_client.post(f"/campaigns/{campaign.pk}/schedule/", {"send_at": "2020-01-01T09:00"}, follow=True)
    assert "Pick a time in the future" in past.content.decode()
