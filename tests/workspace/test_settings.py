"""Workspace settings: company profile, region and language, branding (colour, logo), the admin index."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Tenant
from crm.tenancy.context import tenant_context
from workspace.forms import LOGO_MAX_BYTES
from workspace.models import TenantProfile

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

VALID = {
    "name": "  Acme   Holdings ",
    "legal_name": "Acme Holdings Ltd.",
    "address": "1 Main Street\nSpringfield",
    "website": "acme.example",
    "support_email": "Help@Acme.Example",
    "default_currency": "EUR",
    "time_zone": "Europe/Berlin",
    "country": "DE",
    "language": "zh-hans",
    "brand_color": "0F766E",
}


def profile(tenant: Any) -> TenantProfile:
    with tenant_context(tenant.id):
        return TenantProfile.objects.get()


def test_saving_settings_normalises_and_stores_them(alice_client, alice, tenant_a):
    response = alice_client.post(reverse("workspace:settings"), VALID)
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert (tenant.name, tenant.default_currency, tenant.time_zone, tenant.country, tenant.language) == (
        "Acme Holdings", "EUR", "Europe/Berlin", "DE", "zh-hans",
    )  # fmt: skip
    saved = profile(tenant_a)
    assert saved.legal_name == "Acme Holdings Ltd." and saved.website == "https://acme.example"
    assert saved.support_email == "help@acme.example" and saved.brand_color == "#0f766e"


@pytest.mark.parametrize(
    ("field", "value"),
    [("default_currency", "XYZ"), ("time_zone", "Mars/Olympus"), ("country", "ZZ"), ("language", "fr"),
     ("brand_color", "red;}body{x"), ("name", "   "), ("support_email", "not-an-address")],
)  # fmt: skip
def test_bad_settings_are_refused_next_to_the_field(alice_client, tenant_a, field, value):
    response = alice_client.post(reverse("workspace:settings"), {**VALID, field: value})
    assert response.status_code == 422
    assert f'id="error_1_id_{field}"' in response.content.decode()
    tenant = Tenant.objects.get(pk=tenant_a.pk)
    assert tenant.name == "Acme Corporation" and tenant.default_currency == "USD"
    with tenant_context(tenant_a.id):
        assert not TenantProfile.objects.exists()


def test_the_workspace_language_applies_to_people_without_their_own(alice_client, alice, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(language="zh-hans")
    assert '<html lang="zh-hans">' in alice_client.get(reverse("workspace:index")).content.decode()
    alice.language = "en"
    alice.save(update_fields=["language"])
    assert '<html lang="en">' in alice_client.get(reverse("workspace:index")).content.decode()


def test_the_brand_colour_is_served_as_a_stylesheet_linked_from_every_page(alice_client, tenant_a):
    alice_client.post(reverse("workspace:settings"), VALID)
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert reverse("workspace:brand-css") in page
    css = alice_client.get(reverse("workspace:brand-css"))
    assert css["Content-Type"].startswith("text/css")
    assert "--crm-accent: #0f766e" in css.content.decode()
    again = alice_client.get(reverse("workspace:brand-css"), HTTP_IF_NONE_MATCH=css["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("content", "name", "kind"), [(PNG, "logo.png", "image/png"), (JPEG, "logo.jpg", "image/jpeg")]
)
def test_a_png_or_jpeg_logo_is_stored_and_served(alice_client, bob_client, tenant_a, content, name, kind):
    response = alice_client.post(
        reverse("workspace:logo-upload"), {"logo": SimpleUploadedFile(name, content, content_type=kind)}
    )
    assert response.status_code == 302
    served = bob_client.get(reverse("workspace:logo"))  # every member sees the logo
    assert served.status_code == 200 and served["Content-Type"] == kind and served.content == content
    assert "crm-brand-logo" in alice_client.get(reverse("workspace:brand-css")).content.decode()


@pytest.mark.parametrize(
    ("content", "name", "kind", "message"),
    [
        (SVG, "logo.svg", "image/svg+xml", "SVG logos are not accepted"),
        (SVG, "logo.png", "image/png", "not a PNG or JPEG"),  # an SVG in disguise
        (PNG + b"\x00" * LOGO_MAX_BYTES, "big.png", "image/png", "larger than 256 KB"),
        (b"GIF89a" + b"\x00" * 20, "logo.gif", "image/gif", "not a PNG or JPEG"),
    ],
)
def test_svg_oversize_and_other_files_are_refused(alice_client, tenant_a, content, name, kind, message):
    response = alice_client.post(
        reverse("workspace:logo-upload"), {"logo": SimpleUploadedFile(name, content, content_type=kind)}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert alice_client.get(reverse("workspace:logo")).status_code == 404


def test_another_tenant_never_gets_the_logo(alice_client, charlie_client, tenant_a):
    alice_client.post(reverse("workspace:logo-upload"), {"logo": SimpleUploadedFile("l.png", PNG, "image/png")})
    assert charlie_client.get(reverse("workspace:logo")).status_code == 404


def test_removing_the_logo(alice_client, tenant_a):
    alice_client.post(reverse("workspace:logo-upload"), {"logo": SimpleUploadedFile("l.png", PNG, "image/png")})
    assert alice_client.post(reverse("workspace:logo-remove")).status_code == 302
    assert alice_client.get(reverse("workspace:logo")).status_code == 404


def test_non_admins_get_403_and_change_nothing(bob_client, tenant_a):
    assert bob_client.get(reverse("workspace:settings")).status_code == 403
    assert bob_client.get(reverse("workspace:index")).status_code == 403
    assert bob_client.post(reverse("workspace:settings"), VALID).status_code == 403
    logo = SimpleUploadedFile("l.png", PNG, "image/png")
    assert bob_client.post(reverse("workspace:logo-upload"), {"logo": logo}).status_code == 403
    assert Tenant.objects.get(pk=tenant_a.pk).name == "Acme Corporation"


def test_the_index_links_every_configuration_page_that_exists(alice_client):
    page = alice_client.get(reverse("workspace:index")).content.decode()
    for name in ("workspace:settings", "workspace:users", "workspace:permissions", "teams:list",
                 "record-visibility", "custom-fields:list", "deals:pipeline-list", "mail:settings"):  # fmt: skip
        assert f'href="{reverse(name)}"' in page
