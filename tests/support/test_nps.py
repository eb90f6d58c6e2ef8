"""NPS to a segment: one email per member (suppressed addresses skipped), answered once, scored."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Suppression
from crm.tenancy.context import tenant_context
from support.models import NpsResponse, NpsStatus, NpsSurvey
from support.nps import nps_answer, nps_result
from support.tokens import nps_token, survey_token
from tests.factories import ContactFactory
from tests.segments.factories import SegmentFactory
from tests.support.factories import NpsSurveyFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("support:nps-list")


@pytest.fixture
def audience(tenant_a):
    """A segment of consenting contacts: three with an address (one suppressed), one without."""
    segment = SegmentFactory(tenant=tenant_a, name="Consenting")
    for n in range(3):
        ContactFactory(tenant=tenant_a, email=f"fan{n}@customer.example", email_consent=True)
    ContactFactory(tenant=tenant_a, email="", email_consent=True)
    ContactFactory(tenant=tenant_a, email="quiet@customer.example", email_consent=False)  # not in the segment
    with tenant_context(tenant_a.id):
        Suppression.objects.create(tenant=tenant_a, channel="email", address="fan2@customer.example", reason="manual")
    return segment


def send(client, segment, capture):
    with capture(execute=True):
        return client.post(LIST_URL, {"name": "Q4 NPS", "segment": segment.pk, "question": "Would you recommend us?"})


def test_a_survey_goes_once_to_each_reachable_member(
    alice_client, tenant_a, audience, outbox, django_capture_on_commit_callbacks
):
    response = send(alice_client, audience, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a.id):
        survey = NpsSurvey.objects.get()
        addresses = sorted(NpsResponse.objects.values_list("address", flat=True))
    assert response["Location"] == reverse("support:nps-detail", args=[survey.pk])
    assert (survey.status, survey.recipients, survey.processed) == (NpsStatus.SENT, 2, 2)
    assert addresses == ["fan0@customer.example", "fan1@customer.example"]
    assert sorted(m["To"] for m in outbox.handler.messages) == addresses
    assert all(m["Subject"] == "Would you recommend us?" for m in outbox.handler.messages)
    from support.nps import nps_survey_send

    with tenant_context(tenant_a.id):
        NpsSurvey.objects.filter(pk=survey.pk).update(status=NpsStatus.QUEUED)
        nps_survey_send(survey_id=survey.pk)  # a second delivery of the task
    assert len(outbox.handler.messages) == 2


def test_an_answer_counts_once_and_the_score_is_promoters_minus_detractors(tenant_a, audience):
    survey = NpsSurveyFactory(tenant=tenant_a, segment=audience)
    contacts = [ContactFactory(tenant=tenant_a) for _ in range(4)]
    with tenant_context(tenant_a.id):
        rows = [
            NpsResponse.objects.create(tenant=tenant_a, survey=survey, contact=c, address=c.email, emailed=True)
            for c in contacts
        ]
    url = reverse("support:nps-answer", args=[nps_token(tenant_id=tenant_a.id, response_id=rows[0].pk)])
    assert Client().get(url + "?score=10").status_code == 200
    assert "Thank you for your feedback" in Client().post(url, {"score": "10", "comment": "Great"}).content.decode()
    assert "already answered" in Client().post(url, {"score": "0"}).content.decode()
    with tenant_context(tenant_a.id):
        nps_answer(response=rows[1], score=9, comment="")
        nps_answer(response=rows[2], score=3, comment="Too slow")
        result = nps_result(survey)
        rows[0].refresh_from_db()
    assert rows[0].score == 10
    assert (result.answers, result.promoters, result.detractors) == (3, 2, 1)
    assert result.score == 33


def test_forged_or_wrong_purpose_nps_tokens_are_404(tenant_a, tenant_b, audience):
    survey = NpsSurveyFactory(tenant=tenant_a, segment=audience)
    contact = ContactFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        row = NpsResponse.objects.create(tenant=tenant_a, survey=survey, contact=contact, address=contact.email)
    for token in (
        nps_token(tenant_id=tenant_b.id, response_id=row.pk),
        survey_token(tenant_id=tenant_a.id, survey_id=row.pk),
        nps_token(tenant_id=tenant_a.id, response_id=row.pk)[:-3] + "xyz",
    ):
        assert Client().post(reverse("support:nps-answer", args=[token]), {"score": "1"}).status_code == 404
    with tenant_context(tenant_a.id):
        row.refresh_from_db()
    assert row.score is None


def test_a_role_without_marketing_rights_sees_results_but_cannot_send(bob_client, tenant_a, audience):
    page = bob_client.get(LIST_URL)
    assert page.status_code == 200
    assert "Send a survey" not in page.content.decode()
    assert bob_client.post(LIST_URL, {"name": "x", "segment": audience.pk, "question": "q"}).status_code == 403
    with tenant_context(tenant_a.id):
        assert not NpsSurvey.objects.exists()


def test_the_list_has_an_empty_state_and_another_workspaces_survey_is_404(alice_client, charlie_client, tenant_a):
    assert "No NPS survey yet" in alice_client.get(LIST_URL).content.decode()
    survey = NpsSurveyFactory(tenant=tenant_a)
    assert alice_client.get(reverse("support:nps-detail", args=[survey.pk])).status_code == 200
    assert charlie_client.get(reverse("support:nps-detail", args=[survey.pk])).status_code == 404
    assert survey.name not in charlie_client.get(LIST_URL).content.decode()
