"""Sessions: listed per user, ended one by one or all at once, signed out when idle."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session

from security.middleware import SEEN_SESSION_KEY
from security.models import UserSession
from tests.security.conftest import sign_in

pytestmark = pytest.mark.django_db

CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def test_each_sign_in_is_listed_with_its_device_and_ip(alice):
    laptop, _ = sign_in(alice.email, ip="10.0.0.1")
    sign_in(alice.email, ip="198.51.100.4", agent=CHROME_MAC)
    page = laptop.get("/security/").content.decode()
    assert page.count('data-testid="session-row"') == 2
    assert "Firefox on Linux" in page and "Chrome on macOS" in page
    assert "198.51.100.4" in page
    assert "This session" in page


def test_ending_another_session_signs_that_browser_out(alice):
    laptop, _ = sign_in(alice.email)
    phone, _ = sign_in(alice.email, agent=CHROME_MAC)
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)

    response = laptop.post(f"/security/sessions/{phone_session.public_id}/end/")
    assert response.status_code == 302
    assert phone.get("/").status_code == 302  # back to the login page
    assert laptop.get("/").status_code == 200
    assert not Session.objects.filter(session_key=phone_session.session_key).exists()


def test_log_out_everywhere_ends_every_other_session_but_this_one(alice):
    clients = [sign_in(alice.email, ip=f"10.0.0.{n}")[0] for n in range(1, 4)]
    response = clients[0].post("/security/sessions/end-others/")
    assert response.status_code == 302
    assert clients[0].get("/").status_code == 200
    assert [c.get("/").status_code for c in clients[1:]] == [302, 302]
    assert UserSession.objects.filter(user=alice).count() == 1


def test_nobody_ends_someone_elses_session(alice, bob):
    alices, _ = sign_in(alice.email)
    bobs, _ = sign_in(bob.email)
    session = UserSession.objects.get(session_key=alices.session.session_key)
    for method in ("post", "get"):
        response = getattr(bobs, method)(f"/security/sessions/{session.public_id}/end/")
        assert response.status_code in (404, 405)
    assert bobs.post(f"/security/sessions/{session.public_id}/end/").status_code == 404
    assert alices.get("/").status_code == 200


def test_signing_out_forgets_the_session(alice):
    client, _ = sign_in(alice.email)
    client.post("/auth/logout/")
    assert not UserSession.objects.filter(user=alice).exists()


def test_an_idle_session_is_signed_out(alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client, _ = sign_in(alice.email)
    assert client.get("/").status_code == 200
    session = client.session
    session[SEEN_SESSION_KEY] = int(time.time()) - 601
    session.save()
    response = client.get("/customers/contacts/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")
    assert client.get("/").status_code == 302


def test_a_recently_used_session_stays_signed_in(alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client, _ = sign_in(alice.email)
    session = client.session
    session[SEEN_SESSION_KEY] = int(time.time()) - 500
    session.save()
    assert client.get("/customers/contacts/").status_code == 200


def test_an_ordinary_page_costs_no_extra_query(alice_client, django_assert_max_num_queries):
    """The two-factor and idle checks read the session only; the security page itself stays small."""
    alice_client.get("/security/")
    with django_assert_max_num_queries(14):
        assert alice_client.get("/security/").status_code == 200
