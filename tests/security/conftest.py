from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD


def sign_in(
    email: str,
    *,
    ip: str = "10.0.0.1",
    password: str = PASSWORD,
    agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
) -> tuple[Client, Any]:
    """Sign in through the login page, as a browser would (so throttling and session tracking apply)."""
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    response = client.post("/auth/login/", {"username": email, "password": password})
    return client, response


@pytest.fixture
def signed_in() -> Any:
    return sign_in
