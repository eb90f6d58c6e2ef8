"""The interface in Simplified Chinese: the workspace's language, or a user's own choice."""

from __future__ import annotations

import pytest

from tests.conftest import client_for


@pytest.mark.django_db
def test_a_workspace_in_chinese_shows_its_pages_in_chinese(tenant_a, alice):
    tenant_a.language = "zh-hans"
    tenant_a.save()
    page = client_for(alice).get("/").content.decode()
    assert "仪表盘" in page and "联系人" in page and "工单" in page
    assert 'lang="zh-hans"' in page


@pytest.mark.django_db
def test_a_users_own_language_wins_over_the_workspaces(tenant_a, alice):
    tenant_a.language = "zh-hans"
    tenant_a.save()
    alice.language = "en"
    alice.save()
    page = client_for(alice).get("/customers/contacts/").content.decode()
    assert "Contacts" in page and "联系人" not in page


@pytest.mark.django_db
def test_every_page_of_the_sidebar_renders_in_chinese(tenant_a, alice):
    """Each sidebar link answers 200 in Chinese: a broken placeholder in a translation would fail here."""
    import re

    tenant_a.language = "zh-hans"
    tenant_a.save()
    client = client_for(alice)
    home = client.get("/").content.decode()
    links = sorted(set(re.findall(r'class="nav-link[^"]*" href="(/[^"]*)"', home)))
    assert len(links) > 15
    for link in links:
        assert client.get(link).status_code == 200, link
