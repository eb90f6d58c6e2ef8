"""What a recipient does with a campaign email, followed through the app as a mail client would:
one-click unsubscribe (RFC 8058), the unsubscribe page, the preference page, the open pixel and
click redirects; forged tokens and links that were not in the email are refused."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import tokens
from campaigns.models import CampaignDelivery, ConsentChange, DeliveryEvent, DeliveryStatus, EventKind, Suppression
from campaigns.sending import campaign_prepare, campaign_send_run
from crm.tenancy.context import tenant_context
from customers.models import Contact
from tests.campaigns.conftest import make_audience, new_campaign


def send(tenant, static_list, **fields):
    campaign = new_campaign(tenant, static_list, status="sending", started_at=timezone.now(), **fields)
    with tenant_context(tenant.id):
        campaign_prepare(tenant=tenant, campaign_id=campaign.pk)
        campaign_send_run(tenant=tenant, campaign_id=campaign.pk, budget_seconds=30)
    return campaign


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.django_db
def test_one_click_unsubscribe_from_the_header_stops_every_later_campaign(tenant_a, mail_to_peer):
    static_list, contacts = make_audience(tenant_a, 2)
    send(tenant_a, static_list)
    message = next(m for m in mail_to_peer.handler.messages if m["To"] == contacts[0].email)
    url = message["List-Unsubscribe"].strip().strip("<>")

    mail_client = Client(enforce_csrf_checks=True)  # no session, no CSRF token: as a mail provider posts
    first = mail_client.post(path_of(url), {"List-Unsubscribe": "One-Click"})
    again = mail_client.post(path_of(url), {"List-Unsubscribe": "One-Click"})

    assert first.status_code == again.status_code == 200
    with tenant_context(tenant_a.id):
        contact = Contact.objects.get(pk=contacts[0].pk)
        changes = list(ConsentChange.objects.filter(contact=contact))
        assert not contact.email_consent and contact.email_consent_at is None
        assert [(c.channel, c.granted, c.source) for c in changes] == [("email", False, "one_click")]
        assert Suppression.objects.get(address=contacts[0].email).reason == "unsubscribed"
        assert DeliveryEvent.objects.filter(kind=EventKind.UNSUBSCRIBE).count() == 1

    mail_to_peer.handler.envelopes.clear()
    later = send(tenant_a, static_list, name="Later")
    assert [m["To"] for m in mail_to_peer.handler.messages] == [contacts[1].email]
    with tenant_context(tenant_a.id):
        skipped = CampaignDelivery.objects.get(campaign=later, contact=contacts[0])
    assert (skipped.status, skipped.reason) == (DeliveryStatus.SKIPPED, "no_consent")


@pytest.mark.django_db
def test_the_unsubscribe_link_asks_first_and_a_get_changes_nothing(tenant_a, mail_to_peer):
    static_list, contacts = make_audience(tenant_a, 1)
    send(tenant_a, static_list)
    text = mail_to_peer.handler.messages[0].get_body(("plain",)).get_content()
    url = re.search(r"Unsubscribe: (\S+)", text).group(1)
    visitor = Client()

    page = visitor.get(path_of(url))
    assert page.status_code == 200 and "Unsubscribe?" in page.content.decode()
    with tenant_context(tenant_a.id):
        assert Contact.objects.get(pk=contacts[0].pk).email_consent  # link scanners unsubscribe nobody

    done = visitor.post(path_of(url))
    assert "You are unsubscribed" in done.content.decode()
    with tenant_context(tenant_a.id):
        assert not Contact.objects.get(pk=contacts[0].pk).email_consent
        assert ConsentChange.objects.get().source == "unsubscribe_link"


@pytest.mark.django_db
def test_the_preference_page_records_each_change_with_its_source(tenant_a, mail_to_peer):
    static_list, contacts = make_audience(tenant_a, 1)
    send(tenant_a, static_list)
    text = mail_to_peer.handler.messages[0].get_body(("plain",)).get_content()
    url = path_of(re.search(r"Preferences: (\S+)", text).group(1))
    visitor = Client()

    assert visitor.get(url).status_code == 200
    visitor.post(url, {"sms": "on"})  # email off, SMS on

    with tenant_context(tenant_a.id):
        contact = Contact.objects.get(pk=contacts[0].pk)
        changes = sorted((c.channel, c.granted, c.source) for c in ConsentChange.objects.all())
    assert (contact.email_consent, contact.sms_consent) == (False, True)
    assert contact.sms_consent_at is not None and contact.sms_consent_source == "form"
    assert changes == [("email", False, "preference_page"), ("sms", True, "preference_page")]


@pytest.mark.django_db
def test_opens_and_clicks_count_once_per_recipient_and_every_click_is_kept(tenant_a, mail_to_peer):
    static_list, _contacts = make_audience(tenant_a, 1)
    send(tenant_a, static_list)
    html = mail_to_peer.handler.messages[0].get_body(("html",)).get_content()
    click = path_of(re.search(r'href="([^"]*/campaigns/t/c/[^"]*)"', html).group(1))
    pixel = path_of(re.search(r'src="([^"]*/campaigns/t/o/[^"]*)"', html).group(1))
    visitor = Client()

    assert visitor.get(pixel)["Content-Type"] == "image/gif"
    visitor.get(pixel)
    first, second = visitor.get(click), visitor.get(click)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == "https://shop.example.com/sale"
    with tenant_context(tenant_a.id):
        kinds = sorted(DeliveryEvent.objects.values_list("kind", "first"))
    assert kinds == [(EventKind.CLICK, False), (EventKind.CLICK, True), (EventKind.OPEN, True)]


@pytest.mark.django_db
def test_forged_tokens_and_foreign_links_are_refused(tenant_a, tenant_b, mail_to_peer):
    static_list, _contacts = make_audience(tenant_a, 1)
    campaign = send(tenant_a, static_list)
    with tenant_context(tenant_a.id):
        delivery = CampaignDelivery.objects.get(campaign=campaign)
    visitor = Client()
    # Signed by us, but to a link that was never in the email: no open redirect.
    evil = path_of(tokens.click_url(tenant_a.pk, delivery.pk, "https://evil.example.net/"))
    assert visitor.get(evil).status_code == 404
    # A token altered by hand, one for another purpose, and one naming the other tenant.
    good = path_of(tokens.unsubscribe_url(tenant_a.pk, delivery.pk))
    assert visitor.post(good[:-3] + "xx/").status_code == 404
    assert (
        visitor.post(path_of(tokens.preferences_url(tenant_a.pk, delivery.pk)).replace("/p/", "/u/")).status_code == 404
    )
    assert visitor.post(path_of(tokens.unsubscribe_url(tenant_b.pk, delivery.pk))).status_code == 404
    # A forged open pixel still answers with the pixel (nothing to learn) and records nothing.
    assert visitor.get("/campaigns/t/o/forged/").status_code == 200
    with tenant_context(tenant_a.id):
        assert not DeliveryEvent.objects.exists() and not ConsentChange.objects.exists()


@pytest.mark.django_db
def test_the_campaign_and_what_the_contact_did_appear_on_their_timeline(tenant_a, mail_to_peer):
    from crm.timeline import timeline_page

    static_list, contacts = make_audience(tenant_a, 1)
    campaign = send(tenant_a, static_list, name="Autumn news")
    html = mail_to_peer.handler.messages[0].get_body(("html",)).get_content()
    Client().get(path_of(re.search(r'href="([^"]*/campaigns/t/c/[^"]*)"', html).group(1)))

    with tenant_context(tenant_a.id):
        titles = [entry.title for entry in timeline_page(contact=contacts[0]).entries]
    assert "Campaign sent: Autumn news" in titles
    assert "Clicked: Autumn news" in titles and "Opened: Autumn news" in titles
    assert campaign.name == "Autumn news"


@pytest.mark.django_db
def test_a_bounce_in_the_inbox_suppresses_the_address_once(tenant_a, mail_to_peer):
    from campaigns.compliance import bounces_from_inbox
    from inbox.models import InboundMessage, InboundStatus

    static_list, contacts = make_audience(tenant_a, 2)
    send(tenant_a, static_list)
    message_id = next(m["Message-ID"] for m in mail_to_peer.handler.messages if m["To"] == contacts[0].email)
    with tenant_context(tenant_a.id):
        InboundMessage.objects.create(
            tenant=tenant_a, source="imap", message_id="<dsn-1@mx.example.org>", status=InboundStatus.IGNORED_BOUNCE,
            subject="Undelivered Mail Returned to Sender",
            body_text=f"550 5.1.1 user unknown\n\n--- original message ---\nMessage-ID: {message_id}\n",
        )  # fmt: skip
        assert bounces_from_inbox(tenant=tenant_a) == 1
        assert bounces_from_inbox(tenant=tenant_a) == 0  # the next tick changes nothing
        assert list(Suppression.objects.values_list("address", "reason")) == [(contacts[0].email, "bounced")]
        assert DeliveryEvent.objects.filter(kind=EventKind.BOUNCE).count() == 1
