"""Contact writes through the API: JSON is read into the same ContactForm the pages use, so an email,
phone, owner, account or custom-field value is checked by one set of rules on every write path."""

from __future__ import annotations

from typing import Any

from django.forms.models import model_to_dict
from rest_framework import serializers

from crm.models import Tenant
from customers.forms import ContactForm
from customers.models import Contact

FORM_FIELDS = [*ContactForm.Meta.fields, "version"]
WRITABLE = [name for name in FORM_FIELDS if name != "tags"] + ["tags", "custom_fields"]


def _as_form_data(payload: Any, *, base: dict[str, Any]) -> dict[str, Any]:
    """The form's data: ``base`` (the stored record, for a partial update) overlaid with the payload."""
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object of contact fields."]})
    unknown = sorted(set(payload) - set(WRITABLE))
    if unknown:
        raise serializers.ValidationError({name: ["This field is not writable or does not exist."] for name in unknown})
    data = {**base}
    for name, value in payload.items():
        if name == "tags":
            if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
                raise serializers.ValidationError({"tags": ["Send a list of tag names."]})
            data["tags"] = ", ".join(value)
        elif name == "custom_fields":
            if not isinstance(value, dict):
                raise serializers.ValidationError({"custom_fields": ["Send an object of custom field values by key."]})
            data.update({f"cf_{key}": item for key, item in value.items()})
        else:
            data[name] = "" if value is None else value
    return data


def _stored(contact: Contact) -> dict[str, Any]:
    data = {name: value for name, value in model_to_dict(contact, fields=ContactForm.Meta.fields).items()}
    data = {name: ("" if value is None else value) for name, value in data.items()}
    data["tags"] = ", ".join(contact.tags)
    data["version"] = contact.version
    data.update({f"cf_{key}": value for key, value in (contact.custom_fields or {}).items()})
    return data


def _errors(form: ContactForm) -> dict[str, list[str]]:
    """Form errors keyed as the API names the fields: ``custom_fields.<key>`` for custom fields."""
    return {
        (f"custom_fields.{name[3:]}" if name.startswith("cf_") else name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def contact_form_for_create(*, tenant: Tenant, payload: Any) -> ContactForm:
    form = ContactForm(data=_as_form_data(payload, base={"lifecycle_stage": "lead"}), tenant=tenant)
    if not form.is_valid():
        raise serializers.ValidationError(_errors(form))
    return form


def contact_form_for_update(*, tenant: Tenant, contact: Contact, payload: Any) -> ContactForm:
    """A partial update: fields left out keep their stored values; ``version`` (if sent) guards the edit."""
    form = ContactForm(data=_as_form_data(payload, base=_stored(contact)), instance=contact, tenant=tenant)
    if not form.is_valid():
        raise serializers.ValidationError(_errors(form))
    return form
