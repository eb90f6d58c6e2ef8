"""Forms for accounts and contacts: they parse and normalise, services save."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant, User
from crm.tenancy.models import TenantModel
from customers.custom_fields.forms import CustomFieldsFormMixin
from customers.models import Account, Contact, CustomFieldEntity, Order
from customers.normalize import normalize_email, normalize_phone, normalize_tags


class LookupSelect(forms.Select):
    """A select that renders only the chosen option; the rest are searched on demand (htmx),
    so a tenant with 100,000 accounts does not ship them all in every form."""

    template_name = "customers/widgets/lookup_select.html"

    def __init__(self, *, lookup_url: str | Promise, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lookup_url = lookup_url

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        selected = [v for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")]
        queryset = self.choices.queryset  # type: ignore[attr-defined]
        self.choices = [("", "—"), *((obj.pk, str(obj)) for obj in queryset.filter(pk__in=selected))]
        context = super().get_context(name, value, attrs)
        context["widget"]["lookup_url"] = self.lookup_url
        return context


def tenant_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Form fields for relations to tenant models start empty: the form class is built at import,
    with no tenant, and each form instance sets the scoped queryset in ``__init__``."""
    related = db_field.related_model if db_field.is_relation else None
    if isinstance(related, type) and issubclass(related, TenantModel):
        # Not db_field.formfield(): it reads the scoped default manager right away.
        return forms.ModelChoiceField(
            queryset=related.unscoped_objects.none(),  # type: ignore[attr-defined]
            required=not db_field.blank,
            label=capfirst(str(db_field.verbose_name)),
            help_text=db_field.help_text,
            **kwargs,
        )
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # "acme.example" means https://acme.example
    return db_field.formfield(**kwargs)


def tenant_members(tenant: Tenant) -> QuerySet[User]:
    return User.objects.filter(memberships__tenant=tenant, memberships__is_active=True, is_active=True).order_by(
        "full_name", "email"
    )


class VersionedForm(forms.ModelForm):
    """Carries the version the user started from, for the optimistic concurrency check."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["version"].initial = self.instance.version if self.instance.pk else 1
        if "owner" in self.fields:
            self.fields["owner"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}

    def expected_version(self) -> int:
        """The version the user started editing from (0 if the form lost it: always a conflict)."""
        return self.cleaned_data.get("version") or 0


class ContactForm(CustomFieldsFormMixin, VersionedForm):
    custom_entity = CustomFieldEntity.CONTACT
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas, e.g. vip, trade show 2026.")
    )

    class Meta:
        model = Contact
        fields = [
            "first_name", "last_name", "email", "phone", "title", "account", "owner", "lifecycle_stage",
            "source", "preferred_channel", "tags", "street", "postal_code", "city", "region", "country",
            "birthday", "email_consent", "email_consent_source", "sms_consent", "sms_consent_source",
        ]  # fmt: skip
        formfield_callback = tenant_formfield
        widgets = {
            "account": LookupSelect(lookup_url=reverse_lazy("customers:account-options")),
            "birthday": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["account"].queryset = Account.objects.all()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"], region=self.tenant.country)

    def clean_tags(self) -> list[str]:
        return normalize_tags(self.cleaned_data["tags"])

    def clean_country(self) -> str:
        return self.cleaned_data["country"].strip().upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("first_name") or cleaned.get("last_name") or cleaned.get("email")):
            raise forms.ValidationError(_("Give the contact a name or an email address."))
        for channel in ("email", "sms"):
            newly_given = cleaned.get(f"{channel}_consent") and not getattr(self.instance, f"{channel}_consent")
            if newly_given and not cleaned.get(f"{channel}_consent_source"):
                self.add_error(f"{channel}_consent_source", _("Say how the contact gave consent."))
        return cleaned


class AccountForm(CustomFieldsFormMixin, VersionedForm):
    custom_entity = CustomFieldEntity.ACCOUNT

    class Meta:
        model = Account
        fields = [
            "name", "industry", "employees", "website", "phone", "owner", "parent",
            "street", "postal_code", "city", "region", "country",
        ]  # fmt: skip
        formfield_callback = tenant_formfield
        widgets = {"parent": LookupSelect(lookup_url=reverse_lazy("customers:account-options"))}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        parents = Account.objects.all()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"], region=self.tenant.country)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].strip().upper()


class OrderForm(forms.ModelForm):
    """An order entered by hand on a contact; amounts are positive, currencies ISO codes."""

    class Meta:
        model = Order
        fields = ["ordered_at", "amount", "currency", "status", "external_id", "source_system"]
        widgets = {"ordered_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}
        help_texts = {
            "external_id": _("The order number in your shop or ERP, if any; it must be unique per source system."),
        }

    def __init__(self, *args: Any, tenant: Tenant, contact: Contact | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant, self.contact = tenant, contact
        if not self.instance.pk:
            self.initial.setdefault("currency", tenant.default_currency)
            self.initial.setdefault("ordered_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero; record refunds with the status Refunded."))
        return amount

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Use a three-letter ISO currency code, e.g. USD, EUR or CNY."))
        return currency

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        external_id = cleaned.get("external_id", "").strip()
        if external_id:
            taken = Order.objects.filter(source_system=cleaned.get("source_system", ""), external_id=external_id)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("external_id", _("Another order already has this external id from this source."))
        return cleaned

    def validate_unique(self) -> None:
        # The (tenant, source, external id) constraint is checked in clean() through the scoped
        # manager; Django's own check would query without the tenant filter.
        pass
