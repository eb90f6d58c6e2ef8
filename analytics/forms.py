from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.models import AnalyticsConfig, ChurnLabel
from customers.models import CustomField, CustomFieldEntity, CustomFieldType


class AnalyticsConfigForm(forms.ModelForm):
    feature_fields = forms.MultipleChoiceField(
        label=_("Custom fields used as features"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Numbers are used as they are, choices one column per choice, yes/no as 0 or 1."),
    )  # fmt: skip
    churn_label_field = forms.ChoiceField(label=_("Yes/no field that marks a churned customer"), required=False)

    class Meta:
        model = AnalyticsConfig
        fields = ["value_horizon_days", "churn_window_days", "churn_label", "churn_label_field", "feature_fields",
                  "nightly", "tolerance"]  # fmt: skip
        help_texts = {
            "value_horizon_days": _("The predicted value is the spend expected over this many days."),
            "churn_window_days": _("With the inactivity label, a customer without an order for this long has churned."),
            "tolerance": _("A new run replaces the current scores only if its models are not worse than this share."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = CustomField.objects.filter(entity=CustomFieldEntity.CONTACT, archived_at__isnull=True)
        self.fields["feature_fields"].choices = [  # type: ignore[attr-defined]
            (field.key, field.label) for field in fields
            if field.field_type in (CustomFieldType.NUMBER, CustomFieldType.CHOICE, CustomFieldType.BOOLEAN)
        ]  # fmt: skip
        self.fields["churn_label_field"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (field.key, field.label) for field in fields if field.field_type == CustomFieldType.BOOLEAN
        ]

    def clean_value_horizon_days(self) -> int:
        days = self.cleaned_data["value_horizon_days"]
        if not 30 <= days <= 730:
            raise forms.ValidationError(_("Choose between 30 and 730 days."))
        return days

    def clean_churn_window_days(self) -> int:
        days = self.cleaned_data["churn_window_days"]
        if not 30 <= days <= 730:
            raise forms.ValidationError(_("Choose between 30 and 730 days."))
        return days

    def clean_tolerance(self) -> float:
        tolerance = self.cleaned_data["tolerance"]
        if not 0 <= tolerance <= 0.5:
            raise forms.ValidationError(_("Use a share between 0 and 0.5 (e.g. 0.02 for 2%)."))
        return tolerance

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("churn_label") == ChurnLabel.CUSTOM and not cleaned.get("churn_label_field"):
            self.add_error("churn_label_field", _("Pick the yes/no field that marks churned customers."))
        return cleaned
