"""Fixtures for the communication log: a sales rep and a marketer in tenant A, attachments on disk in a temp folder."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from crm.roles import Role
from tests.conftest import _persona, client_for


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sam(tenant_a: Any) -> Any:
    return _persona("sam@acme.example", "Sam Sales", tenant_a, Role.SALES)


@pytest.fixture
def sam_client(sam: Any) -> Client:
    return client_for(sam)


@pytest.fixture
def mia(tenant_a: Any) -> Any:
    return _persona("mia@acme.example", "Mia Marketing", tenant_a, Role.MARKETING)


@pytest.fixture
def mia_client(mia: Any) -> Client:
    return client_for(mia)
