"""Accounts (companies), contacts (people) and their orders."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Collate, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel
from customers.sort_keys import close_date_or_never, employees_or_none, lifecycle_rank


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    CHURNED = "churned", _("Churned")


LIFECYCLE_LABELS = dict(LifecycleStage.choices)


class PreferredChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WECHAT = "wechat", _("WeChat")


class RiskBand(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


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
    VISIBILITY_OWNER_FIELD = "owner"  # record visibility "own" filters on it (crm/tenancy/models.py)

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
    name_key = models.GeneratedField(  # lower-case, byte order: prefix search (customers/selectors.py)
        expression=Lower("name"), output_field=models.CharField(max_length=200, db_collation="C"), db_persist=True
    )

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "name", "id"], name="account_tenant_name_idx"),  # sorted list
            models.Index(fields=["tenant", "name_key"], name="account_name_prefix_idx"),  # search by prefix
            models.Index(fields=["tenant", "owner"], name="account_tenant_owner_idx"),  # my accounts
            # List sorts (customers/sorts.py): each read forwards or backwards from the cursor.
            models.Index(fields=["tenant", "created_at", "id"], name="account_created_sort_idx"),  # newest
            models.Index(F("tenant"), employees_or_none(), F("id"), name="account_employees_sort_idx"),  # most staff
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
    VISIBILITY_OWNER_FIELD = "owner"  # record visibility "own" filters on it (crm/tenancy/models.py)

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
    # Lower-case, byte-order copies of the names for prefix search (customers/selectors.py).
    first_name_key = models.GeneratedField(
        expression=Lower("first_name"), output_field=models.CharField(max_length=100, db_collation="C"), db_persist=True
    )
    last_name_key = models.GeneratedField(
        expression=Lower("last_name"), output_field=models.CharField(max_length=100, db_collation="C"), db_persist=True
    )

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "last_name", "first_name", "id"], name="contact_tenant_name_idx"),
            models.Index(fields=["tenant", "email"], name="contact_tenant_email_idx"),  # matching by email
            # Search by prefix as byte-order ranges (x >= 'ann' AND x < 'ano'): under row-level security
            # only LEAKPROOF operators use an index, and lower(), LIKE and full-text @@ are not.
            # In result order too, so a search reads ten index entries, not every "Smith".
            models.Index(fields=["tenant", "last_name_key", "first_name_key", "id"], name="contact_last_name_key_idx"),
            models.Index(fields=["tenant", "first_name_key", "last_name_key", "id"], name="contact_first_name_key_idx"),
            models.Index(F("tenant"), Collate("email", "C"), name="contact_email_prefix_idx"),
            models.Index(F("tenant"), Collate("phone", "C"), name="contact_phone_prefix_idx"),
            models.Index(fields=["account"], name="contact_account_fk_idx"),  # account page, key checks
            models.Index(fields=["tenant", "owner"], name="contact_tenant_owner_idx"),  # my contacts
            models.Index(fields=["tenant", "lifecycle_stage"], name="contact_tenant_stage_idx"),
            # List sorts (customers/sorts.py; name A to Z and Z to A use contact_tenant_name_idx): each read
            # forwards or backwards from the cursor, so no sort sees more than a page of rows.
            models.Index(fields=["tenant", "created_at", "id"], name="contact_created_sort_idx"),  # newest, oldest
            models.Index(fields=["tenant", "updated_at", "id"], name="contact_updated_sort_idx"),  # recently updated
            models.Index(
                F("tenant"), lifecycle_rank(), F("last_name"), F("first_name"), F("id"), name="contact_stage_sort_idx"
            ),  # lifecycle stage in funnel order, then name
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
    def lifecycle_label(self) -> str:
        """The stage's label; Django's get_lifecycle_stage_display rebuilds a dict of choices per call,
        which cost a list of 50 contacts 6 ms."""
        return str(LIFECYCLE_LABELS.get(self.lifecycle_stage, self.lifecycle_stage))

    @property
    def full_name(self) -> str:
        if _is_cjk(self.last_name) or _is_cjk(self.first_name):
            return f"{self.last_name}{self.first_name}"  # 王伟: family name first, no space
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"#{self.pk}"


_CJK = re.compile("[\u4e00-\u9fff]")


def _is_cjk(text: str) -> bool:
    return _CJK.search(text) is not None  # a regex: lists call this twice per row


class OrderStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    PENDING = "pending", _("Pending")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class Order(TenantModel):
    """A purchase: the history that customer value and churn are learned from."""

    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the record it belongs to

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


class Pipeline(TenantModel):
    """A sales process: an ordered list of stages that deals move through."""

    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "position", "id"], name="pipeline_tenant_pos_idx"),  # switcher order
        ]
        constraints = [
            # pipeline_ensure_default relies on this: two first visits at once create one pipeline.
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="pipeline_tenant_one_default_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(TenantModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, db_index=False, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    win_probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        indexes = [
            models.Index(fields=["pipeline", "position"], name="stage_pipeline_fk_idx"),  # board columns, key checks
            models.Index(fields=["tenant", "kind"], name="stage_tenant_kind_idx"),  # open stages for the forecast
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(win_probability__gte=0, win_probability__lte=100), name="stage_probability_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Deal(TenantModel, EditTracked):
    """An opportunity. Its stage always belongs to its pipeline (customers/deals/services.py)."""

    VISIBILITY_OWNER_FIELD = "owner"  # record visibility "own" filters on it (crm/tenancy/models.py)

    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, db_index=False, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, db_index=False, related_name="deals")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="deals"
    )
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="deals"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    lost_reason = models.CharField(_("reason lost"), max_length=300, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    name_key = models.GeneratedField(  # lower-case, byte order: prefix search (customers/selectors.py)
        expression=Lower("name"), output_field=models.CharField(max_length=200, db_collation="C"), db_persist=True
    )

    class Meta:
        indexes = [
            # Each leads with a foreign key: board columns, contact and account pages, and
            # PostgreSQL's key checks on delete (which query by the key alone).
            models.Index(fields=["pipeline", "stage"], name="deal_pipeline_fk_idx"),
            models.Index(fields=["stage"], name="deal_stage_fk_idx"),
            models.Index(fields=["contact"], name="deal_contact_fk_idx"),
            models.Index(fields=["account"], name="deal_account_fk_idx"),
            models.Index(fields=["tenant", "expected_close_date"], name="deal_tenant_close_idx"),  # forecast
            models.Index(fields=["tenant", "owner"], name="deal_tenant_owner_idx"),  # my deals
            models.Index(fields=["tenant", "name_key", "id"], name="deal_name_prefix_idx"),  # search by prefix
            # Deal list sorts (customers/sorts.py).
            models.Index(F("tenant"), close_date_or_never(), F("id"), name="deal_close_sort_idx"),  # closing soonest
            models.Index(fields=["tenant", "amount", "id"], name="deal_amount_sort_idx"),  # largest amount
            models.Index(fields=["tenant", "created_at", "id"], name="deal_created_sort_idx"),  # newest
            models.Index(fields=["tenant", "name", "id"], name="deal_name_sort_idx"),  # name A to Z
        ]

    def __str__(self) -> str:
        return self.name


class DealStageChange(TenantModel):
    """One move of a deal between stages; ``from_stage`` is empty when the deal was created."""

    VISIBILITY_OWNER_FIELD = "deal__owner"  # seen with the record it belongs to

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, db_index=False, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, db_index=False, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="dealstagechange_deal_fk_idx"),  # deal history
            models.Index(fields=["from_stage"], name="dealstagechange_from_fk_idx"),  # key checks
            models.Index(fields=["to_stage"], name="dealstagechange_to_fk_idx"),  # key checks
            models.Index(fields=["tenant", "changed_at"], name="dealstagechange_tenant_idx"),  # timeline
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


class CustomFieldEntity(models.TextChoices):
    CONTACT = "contact", _("Contacts")
    ACCOUNT = "account", _("Accounts")
    DEAL = "deal", _("Deals")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes / no")
    URL = "url", _("Web address")


class CustomField(TenantModel):
    """A field a tenant admin adds to contacts, accounts or deals. Values live in the record's
    ``custom_fields`` JSON under ``key`` and are validated by customers/custom_fields.py on every write."""

    entity = models.CharField(_("record type"), max_length=20, choices=CustomFieldEntity.choices)
    key = models.SlugField(_("key"), max_length=50, db_index=False)  # the unique constraint indexes it
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    choices = ArrayField(models.CharField(max_length=100), default=list, blank=True, verbose_name=_("choices"))
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Archived fields disappear from forms, pages and filters but keep their values (and their key),
    # so archiving never rewrites a million rows and can be undone.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "entity", "position", "id"], name="customfield_tenant_entity_idx"),  # forms
        ]
        constraints = [
            # The key names the value inside every record's JSON: one meaning per record type.
            models.UniqueConstraint(fields=["tenant", "entity", "key"], name="customfield_tenant_key_uniq"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def form_field_name(self) -> str:
        """The name of this field in forms and list filters (``cf_<key>``), apart from the standard fields."""
        return f"cf_{self.key}"

    @property
    def has_choices(self) -> bool:
        return self.field_type in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE)

    def record_model(self) -> type[Contact] | type[Account] | type[Deal]:
        models_by_entity: dict[str, type[Contact] | type[Account] | type[Deal]] = {
            CustomFieldEntity.CONTACT: Contact,
            CustomFieldEntity.ACCOUNT: Account,
            CustomFieldEntity.DEAL: Deal,
        }
        return models_by_entity[self.entity]


# Duplicate review and merges live in their own package; importing them here registers them.
from customers.duplicates.models import (  # noqa: E402, F401
    ContactMerge,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateRun,
    DuplicateRunStatus,
    DuplicateStatus,
)


class ExchangeRate(TenantModel):
    """How many units of the tenant's default currency one unit of ``currency`` is worth, as set by
    an admin. Forecasts and totals convert with it; amounts in a currency without a rate are shown
    apart rather than added up as if they were the same money."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(
        _("rate"), max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        constraints = [
            # One rate per currency; also serves the forecast's lookup of every rate of the tenant.
            models.UniqueConstraint(fields=["tenant", "currency"], name="exchangerate_tenant_currency_uniq"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate}"
