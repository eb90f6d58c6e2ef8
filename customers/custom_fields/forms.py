"""Forms: the admin's definition of a custom field, and the fields a record form gains from them."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from customers.custom_fields.selectors import active_custom_fields, records_with_value
from customers.custom_fields.values import clean_custom_values
from customers.models import CustomField, CustomFieldType

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_CHOICES = 200


class CustomFieldDefinitionForm(forms.ModelForm):
    """Key and type are fixed once a field exists: stored values depend on both."""

    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, in the order people should see them. Needed for choice fields."),
    )

    class Meta:
        model = CustomField
        fields = ["entity", "label", "key", "field_type", "required", "help_text", "position"]
        help_texts = {
            "key": _("Used in imports, exports, the API and merge fields. Lower case letters, digits and "
                     "underscores; filled in from the label if left empty. It cannot change later."),
        }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        if self.instance.pk:
            for name in ("entity", "key", "field_type"):
                self.fields[name].disabled = True
            self.initial["choices_text"] = "\n".join(self.instance.choices)

    def clean_key(self) -> str:
        if self.instance.pk:
            return self.instance.key
        key = (self.cleaned_data.get("key") or "").strip()
        if not key:
            key = slugify(self.cleaned_data.get("label") or "").replace("-", "_")[:50]
            if key and not key[0].isalpha():
                key = f"f_{key}"[:50]
        if not KEY_PATTERN.match(key):
            raise ValidationError(
                _("Use lower case letters, digits and underscores, starting with a letter (e.g. tier or vat_number).")
            )
        return key

    def clean_choices_text(self) -> list[str]:
        lines = [line.strip() for line in (self.cleaned_data.get("choices_text") or "").splitlines()]
        choices: list[str] = []
        for line in lines:
            if not line:
                continue
            if len(line) > 100:
                raise ValidationError(_("“%(choice)s…” is longer than 100 characters.") % {"choice": line[:30]})
            if line.casefold() in (choice.casefold() for choice in choices):
                raise ValidationError(_("“%(choice)s” is listed twice.") % {"choice": line})
            choices.append(line)
        if len(choices) > MAX_CHOICES:
            raise ValidationError(_("Use at most %(max)d choices.") % {"max": MAX_CHOICES})
        return choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        field_type = self.instance.field_type if self.instance.pk else cleaned.get("field_type")
        choices = cleaned.get("choices_text") or []
        if field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE):
            if not choices:
                self.add_error("choices_text", _("List at least one choice."))
        elif choices:
            self.add_error("choices_text", _("Only choice fields have choices; clear this box or pick a choice type."))
        entity = self.instance.entity if self.instance.pk else cleaned.get("entity")
        key = cleaned.get("key")
        if key and entity and not self.instance.pk and CustomField.objects.filter(entity=entity, key=key).exists():
            self.add_error("key", _("Another field of this record type already uses this key."))
        if self.instance.pk and self.instance.has_choices:
            for removed in set(self.instance.choices) - set(choices):
                in_use = records_with_value(self.instance, removed)
                if in_use:
                    self.add_error(
                        "choices_text",
                        _("%(count)d records have “%(choice)s”: change them before removing the choice.")
                        % {"count": in_use, "choice": removed},
                    )
        return cleaned

    def definition_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        data["choices"] = self.cleaned_data.get("choices_text") or []
        return data

    def validate_unique(self) -> None:
        # Checked in clean() through the tenant-scoped manager; Django's check would query unscoped.
        pass


def form_field_for(field: CustomField) -> forms.Field:
    """The form field that edits one custom field's value; values.py has the final word on it."""
    common: dict[str, Any] = {"label": field.label, "required": field.required, "help_text": field.help_text}
    match field.field_type:
        case CustomFieldType.NUMBER:
            return forms.DecimalField(**common)
        case CustomFieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case CustomFieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in field.choices)], **common)
        case CustomFieldType.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=[(c, c) for c in field.choices], widget=forms.CheckboxSelectMultiple, **common
            )
        case CustomFieldType.BOOLEAN:  # yes / no / not known: an unticked box would claim "no"
            return forms.TypedChoiceField(
                choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
                coerce=lambda value: value == "true",
                empty_value=None,
                **common,
            )
        case CustomFieldType.URL:
            return forms.URLField(assume_scheme="https", **common)
        case _:
            return forms.CharField(max_length=1000, **common)


def _initial(field: CustomField, value: Any) -> Any:
    if field.field_type == CustomFieldType.BOOLEAN and isinstance(value, bool):
        return "true" if value else "false"
    return value


class CustomFieldsFormMixin:
    """Adds the tenant's active custom fields of ``custom_entity`` to a record form as ``cf_<key>``.

    ``changes()`` then carries the whole new ``custom_fields`` JSON (values of archived fields kept)."""

    custom_entity: str
    fields: dict[str, forms.Field]
    instance: Any
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_definitions = active_custom_fields(self.custom_entity)
        stored = self.instance.custom_fields or {}
        for definition in self.custom_definitions:
            self.fields[definition.form_field_name] = form_field_for(definition)
            if definition.key in stored:
                self.initial[definition.form_field_name] = _initial(definition, stored[definition.key])  # type: ignore[attr-defined]

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[definition.form_field_name] for definition in self.custom_definitions]  # type: ignore[index]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}  # type: ignore[misc]
        parsed = [d for d in self.custom_definitions if d.form_field_name not in self.errors]  # type: ignore[attr-defined]
        raw = {d.key: cleaned.get(d.form_field_name) for d in parsed}
        try:
            self.custom_values = clean_custom_values(parsed, raw, existing=self.instance.custom_fields or {})
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                self.add_error(f"cf_{key}", messages)  # type: ignore[attr-defined]
        return cleaned

    def changes(self) -> dict[str, Any]:
        changes = {name: value for name, value in super().changes().items() if not name.startswith("cf_")}  # type: ignore[misc]
        changes["custom_fields"] = self.custom_values
        return changes
