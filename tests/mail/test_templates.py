"""Email templates: only whitelisted merge fields, previewed against a real contact."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_context
from mail import merge
from mail.models import EmailTemplate
from tests.factories import ContactFactory, CustomFieldFactory
from tests.mail.factories import EmailTemplateFactory

pytestmark = pytest.mark.django_db


def templates(tenant):
    with tenant_context(tenant.id):
        return list(EmailTemplate.objects.order_by("pk").values_list("name", "subject", "body", "html_body"))


def test_a_template_with_merge_fields_is_saved(alice_client, tenant_a):
    response = alice_client.post(
        "/mail/templates/new/",
        {
            "name": "Intro",
            "subject": "Hello {{ contact.first_name }}",
            "body": "Hi {{contact.full_name}} at {{ account.name }},\n{{ user.full_name }} ({{ user.email }})",
            "html_body": "<p>Hi {{ contact.first_name }}</p><script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    [(name, subject, body, html)] = templates(tenant_a)
    assert body.startswith("Hi {{contact.full_name}} at {{ account.name }}")
    assert (name, subject) == ("Intro", "Hello {{ contact.first_name }}")
    assert html == "<p>Hi {{ contact.first_name }}</p>"  # scripts are removed
    assert "Intro" in alice_client.get("/mail/templates/").content.decode()


def test_an_unknown_merge_field_is_refused_naming_it(alice_client, tenant_a):
    response = alice_client.post(
        "/mail/templates/new/",
        {"name": "Bad", "subject": "Hi {{ contact.password }}", "body": "{{ user.__class__ }} {% load os %}"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["subject"] == [
        "Unknown merge field {{ contact.password }}. Use one of the fields listed next to the form."
    ]
    assert "Unknown merge field {{ user.__class__ }}" in errors["body"][0]
    assert "Template tags such as {% load os %} are not supported; only {{ fields }}." in errors["body"]
    assert templates(tenant_a) == []


def test_the_renderer_reaches_nothing_but_the_values_it_is_given():
    values = {"contact.first_name": "<Ann>"}
    text = "{{ contact.first_name }} {{ contact.__init__ }} {% for x in y %}"
    assert merge.render(text, values) == "<Ann> {{ contact.__init__ }} {% for x in y %}"
    assert merge.render("{{ contact.first_name }}", values, html=True) == "&lt;Ann&gt;"


def test_custom_fields_are_merge_fields(alice_client, tenant_a):
    CustomFieldFactory(tenant=tenant_a, entity="contact", key="shoe_size", label="Shoe size", field_type="text")
    ann = ContactFactory(tenant=tenant_a, first_name="Ann", custom_fields={"shoe_size": "38"})
    response = alice_client.post(
        "/mail/templates/preview/",
        {
            "subject": "Size {{ contact.custom.shoe_size }}",
            "body": "Dear {{ contact.first_name }}",
            "preview_contact": ann.pk,
        },
    )
    html = response.content.decode()
    assert "Size 38" in html and "Dear Ann" in html


def test_preview_shows_problems_and_the_filled_text(alice_client, tenant_a):
    ann = ContactFactory(tenant=tenant_a, first_name="Ann", last_name="Lee")
    response = alice_client.post(
        "/mail/templates/preview/",
        {
            "subject": "Hi {{ contact.full_name }}",
            "body": "{{ contact.nope }}",
            "html_body": "<p>Hi {{ contact.first_name }}</p><script>alert(1)</script>",
            "preview_contact": ann.pk,
        },
    )
    html = response.content.decode()
    assert "Hi Ann Lee" in html and "Unknown merge field {{ contact.nope }}" in html
    assert "<p>Hi Ann</p>" in html and "<script>" not in html


def test_duplicate_names_are_refused(alice_client, tenant_a):
    EmailTemplateFactory(tenant=tenant_a, name="Intro")
    response = alice_client.post("/mail/templates/new/", {"name": "Intro", "subject": "s", "body": "b"})
    assert response.context["form"].errors["name"] == ["A template named “Intro” already exists."]


def test_edit_and_delete(alice_client, tenant_a):
    template = EmailTemplateFactory(tenant=tenant_a, name="Old")
    alice_client.post(f"/mail/templates/{template.pk}/edit/", {"name": "New", "subject": "s", "body": "b"})
    assert templates(tenant_a)[0][0] == "New"
    assert "Delete New?" in alice_client.get(f"/mail/templates/{template.pk}/delete/").content.decode()
    alice_client.post(f"/mail/templates/{template.pk}/delete/")
    assert templates(tenant_a) == []


def test_another_workspace_gets_404_and_a_read_only_role_403(alice_client, bob_client, charlie_client, tenant_a):
    template = EmailTemplateFactory(tenant=tenant_a, name="Secret pitch")
    ann = ContactFactory(tenant=tenant_a)
    for method, url in [
        ("get", f"/mail/templates/{template.pk}/edit/"),
        ("post", f"/mail/templates/{template.pk}/edit/"),
        ("post", f"/mail/templates/{template.pk}/delete/"),
        ("get", f"/mail/compose/template/?contact={ann.pk}&template={template.pk}"),
    ]:
        assert getattr(charlie_client, method)(url).status_code == 404, url
    assert "Secret pitch" not in charlie_client.get("/mail/templates/").content.decode()
    assert charlie_client.post("/mail/templates/preview/", {"preview_contact": ann.pk}).status_code == 404

    assert "Secret pitch" in bob_client.get("/mail/templates/").content.decode()
    assert bob_client.get("/mail/templates/new/").status_code == 403
    assert (
        bob_client.post(f"/mail/templates/{template.pk}/edit/", {"name": "x", "subject": "s", "body": "b"}).status_code
        == 403
    )
    assert bob_client.post(f"/mail/templates/{template.pk}/delete/").status_code == 403
    assert templates(tenant_a)[0][0] == "Secret pitch"
