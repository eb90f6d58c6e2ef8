"""Deal forms: they parse; the services decide what a stage move may do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant
from customers.custom_fields.forms import CustomFieldsFormMixin
from customers.forms import LookupSelect, VersionedForm, tenant_formfield
from customers.models import Account, Contact, CustomFieldEntity, Deal, Pipeline, Stage


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline.name} · {obj.name} ({obj.win_probability}%)"


class DealForm(CustomFieldsFormMixin, VersionedForm):
    custom_entity = CustomFieldEntity.DEAL

    class Meta:
        model = Deal
        fields = [
            "name", "pipeline", "stage", "amount", "currency", "expected_close_date", "owner",
            "account", "contact", "lost_reason",
        ]  # fmt: skip
        formfield_callback = tenant_formfield
        widgets = {
            "account": LookupSelect(lookup_url=reverse_lazy("customers:account-options")),
            "contact": LookupSelect(lookup_url=reverse_lazy("deals:contact-options")),
            "expected_close_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.order_by("position", "id")  # type: ignore[attr-defined]
        self.fields["stage"] = StageChoiceField(
            queryset=Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position"),
            label=_("Stage"),
        )
        self.fields["account"].queryset = Account.objects.all()  # type: ignore[attr-defined]
        self.fields["contact"].queryset = Contact.objects.all()  # type: ignore[attr-defined]
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Three letters, e.g. USD. Empty means %(currency)s.") % {
            "currency": tenant.default_currency
        }
        self.fields["lost_reason"].help_text = _("Required when the stage is a lost stage.")

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            raise forms.ValidationError(_("Use a three-letter currency code, e.g. USD."))
        return currency

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return amount


class MoveForm(forms.Form):
    """A board move: any of the tenant's stages parses; the service refuses another pipeline's."""

    stage = forms.ModelChoiceField(queryset=Stage.unscoped_objects.none(), label=_("Stage"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lost_reason = forms.CharField(label=_("Why was it lost?"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline")  # type: ignore[attr-defined]
