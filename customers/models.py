"""Accounts (companies), contacts (people) and their orders."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    CHURNED = "churned", _("Churned")


class PreferredChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WECHAT = "wechat", _("WeChat")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Web form")
    IMPORT = "import", _("Import")
    VERBAL = "verbal", _("Told a team member")
    WRITTEN = "written", _("In writing")
    API = "api", _("API")


class EditTracked(models.Model):
    """Optimistic concurrency: every save bumps ``version``; a save based on an older
    version is refused with who changed the record (customers/services.py)."""

    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        db_index=False, related_name="+",
    )  # fmt: skip

    class Meta:
        abstract = True


class Account(TenantModel, EditTracked):
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="children"
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    source_system = models.CharField(_("source system"), max_length=50, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    search_document = models.GeneratedField(
        expression=SearchVector("name", "website", "city", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            # Global search. GIN cannot lead with tenant_id without btree_gin (absent from
            # the embedded server); the tenant filter and RLS apply on top of the match.
            GinIndex(fields=["search_document"], name="account_search_gin"),
            models.Index(fields=["tenant", "name", "id"], name="account_tenant_name_idx"),  # sorted list
            models.Index(fields=["tenant", "owner"], name="account_tenant_owner_idx"),  # my accounts
            # Leads with the foreign key: PostgreSQL's key checks on delete query by parent_id alone.
            models.Index(fields=["parent"], name="account_parent_fk_idx"),  # hierarchy
        ]
        constraints = [
            # Sync and import match accounts by (source system, external id).
            models.UniqueConstraint(
                fields=["tenant", "source_system", "external_id"],
                condition=~Q(external_id=""),
                name="account_tenant_external_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TenantModel, EditTracked):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    title = models.CharField(_("job title"), max_length=150, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="contacts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.LEAD
    )
    source = models.CharField(_("source channel"), max_length=50, blank=True)
    # db_default: bulk loaders (seed, imports) may leave these columns out of their INSERTs.
    street = models.CharField(_("street"), max_length=200, blank=True, default="", db_default="")
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, default="", db_default="")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, default="", db_default="")
    country = models.CharField(_("country"), max_length=2, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, db_default=[], blank=True, verbose_name=_("tags"))
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=20, choices=PreferredChannel.choices, blank=True, default="", db_default=""
    )
    email_consent = models.BooleanField(_("consents to email"), default=False)
    email_consent_at = models.DateTimeField(_("email consent given at"), null=True, blank=True)
    email_consent_source = models.CharField(
        _("email consent given by"), max_length=20, choices=ConsentSource.choices, blank=True, default="", db_default=""
    )
    sms_consent = models.BooleanField(_("consents to SMS"), default=False)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    sms_consent_source = models.CharField(
        _("SMS consent given by"), max_length=20, choices=ConsentSource.choices, blank=True, default="", db_default=""
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    source_system = models.CharField(_("source system"), max_length=50, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    search_document = models.GeneratedField(
        expression=SearchVector("first_name", "last_name", "email", "phone", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            GinIndex(fields=["search_document"], name="contact_search_gin"),  # global search
            models.Index(fields=["tenant", "last_name", "first_name", "id"], name="contact_tenant_name_idx"),
            models.Index(fields=["tenant", "email"], name="contact_tenant_email_idx"),  # matching by email
            models.Index(fields=["account"], name="contact_account_fk_idx"),  # account page, key checks
            models.Index(fields=["tenant", "owner"], name="contact_tenant_owner_idx"),  # my contacts
            models.Index(fields=["tenant", "lifecycle_stage"], name="contact_tenant_stage_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_system", "external_id"],
                condition=~Q(external_id=""),
                name="contact_tenant_external_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        if _is_cjk(self.last_name) or _is_cjk(self.first_name):
            return f"{self.last_name}{self.first_name}"  # 王伟: family name first, no space
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"#{self.pk}"


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


class OrderStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    PENDING = "pending", _("Pending")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class Order(TenantModel):
    """A purchase: the history that customer value and churn are learned from."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="orders"
    )
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="orders"
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PAID)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    source_system = models.CharField(_("source system"), max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # Contact and account pages; they also serve PostgreSQL's key checks when a
            # contact or account is deleted, which query by the key alone (no tenant).
            models.Index(fields=["contact", "ordered_at"], name="order_contact_fk_idx"),
            models.Index(fields=["account", "ordered_at"], name="order_account_fk_idx"),
            models.Index(fields=["tenant", "ordered_at"], name="order_tenant_date_idx"),  # revenue by month
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_system", "external_id"],
                condition=~Q(external_id=""),
                name="order_tenant_external_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.ordered_at:%Y-%m-%d}"
