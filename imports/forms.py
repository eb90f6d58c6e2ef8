"""The upload form and the column-mapping form of the import wizard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.mapping import Target, mapping_errors
from imports.models import ImportMode

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def too_large_message(size: int | None) -> str:
    limit = filesizeformat(max_upload_bytes())
    if size:
        return _("The file is %(size)s; files up to %(max)s can be imported. Split it and import the parts.") % {
            "size": filesizeformat(size),
            "max": limit,
        }
    return _("The upload is larger than %(max)s, the most that can be imported. Split it and import the parts.") % {
        "max": limit
    }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (any common encoding and delimiter) or Excel .xlsx with the column names in the first row, "
            "vCard .vcf (3.0 or 4.0; many cards in one file), or JSON lines .jsonl (one object per line)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.vcf,.vcard,.jsonl,.ndjson"}),
        error_messages={
            "empty": gettext_lazy("The file is empty."),
            "required": gettext_lazy("Choose a file to import."),
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(too_large_message(upload.size), code="too_large")
        return upload


class MappingForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("What to do with the rows"), choices=ImportMode.choices, widget=forms.RadioSelect
    )
    source_system = forms.CharField(
        label=gettext_lazy("Source system"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Where the external ids come from (e.g. salesforce), unless a column says so."),
    )

    def __init__(self, *args: Any, headers: list[str], targets: list[Target], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.valid_targets = {target.value for target in targets}
        choices = [(target.value, target.label) for target in targets]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"col_{index}") or "" for index in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for message in mapping_errors(
                self.mapping(), self.headers, mode=cleaned["mode"], valid_targets=self.valid_targets
            ):
                self.add_error(None, message)
        return cleaned
