"""factory_boy factories. Tenant-owned rows are created inside their tenant's context,
because row-level security refuses an INSERT for any other tenant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from analytics.models import DataQualityRun, ModelRun
from crm.models import BulkJob, Membership, SavedView, Team, Tenant, User
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import (
    Account,
    Contact,
    CustomField,
    CustomFieldEntity,
    CustomFieldType,
    Deal,
    DealStageChange,
    DuplicateCandidate,
    DuplicateRun,
    ExchangeRate,
    Order,
    Pipeline,
    Stage,
    StageKind,
)
from interactions.models import Interaction, InteractionKind


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def _save_password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.SALES


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row as its tenant (pass tenant=...)."""

    class Meta:
        abstract = True

    tenant = factory.SubFactory(TenantFactory)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with tenant_context(kwargs["tenant"].id):
            return super()._create(model_class, *args, **kwargs)


class AccountFactory(TenantOwnedFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    industry = "Manufacturing"


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class OrderFactory(TenantOwnedFactory):
    class Meta:
        model = Order

    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    ordered_at = factory.LazyFunction(timezone.now)
    amount = Decimal("100.00")


class InteractionFactory(TenantOwnedFactory):
    class Meta:
        model = Interaction

    kind = InteractionKind.CALL
    subject = "Intro call"
    contact = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))


class PipelineFactory(TenantOwnedFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(TenantOwnedFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory, tenant=factory.SelfAttribute("..tenant"))
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)
    win_probability = 50
    kind = StageKind.OPEN


class DealFactory(TenantOwnedFactory):
    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    pipeline = factory.SubFactory(PipelineFactory, tenant=factory.SelfAttribute("..tenant"))
    stage = factory.SubFactory(
        StageFactory, tenant=factory.SelfAttribute("..tenant"), pipeline=factory.SelfAttribute("..pipeline")
    )
    amount = Decimal("1000.00")
    currency = "USD"


class DealStageChangeFactory(TenantOwnedFactory):
    class Meta:
        model = DealStageChange

    deal = factory.SubFactory(DealFactory, tenant=factory.SelfAttribute("..tenant"))
    to_stage = factory.SelfAttribute("deal.stage")


class CustomFieldFactory(TenantOwnedFactory):
    class Meta:
        model = CustomField

    entity = CustomFieldEntity.CONTACT
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    field_type = CustomFieldType.TEXT


class DuplicateCandidateFactory(TenantOwnedFactory):
    """A suggested pair; contact_a gets the lower id (the model's check constraint)."""

    class Meta:
        model = DuplicateCandidate

    contact_a = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    contact_b = factory.SubFactory(ContactFactory, tenant=factory.SelfAttribute("..tenant"))
    reasons = factory.LazyFunction(lambda: ["email"])
    score = 100


class DuplicateRunFactory(TenantOwnedFactory):
    class Meta:
        model = DuplicateRun


class SavedViewFactory(TenantOwnedFactory):
    class Meta:
        model = SavedView

    list_key = "contacts"
    name = factory.Sequence(lambda n: f"View {n}")
    query = "stage=lead"
    owner = factory.SubFactory(UserFactory)
    shared = True


class BulkJobFactory(TenantOwnedFactory):
    class Meta:
        model = BulkJob

    list_key = "contacts"
    action = "assign_owner"
    params = factory.LazyFunction(lambda: {"values": {"owner": "none"}, "ids": [], "query": ""})
    total = 0


class ExchangeRateFactory(TenantOwnedFactory):
    class Meta:
        model = ExchangeRate

    currency = "EUR"
    rate = Decimal("1.10")


class ModelRunFactory(TenantOwnedFactory):
    class Meta:
        model = ModelRun

    status = "succeeded"


class DataQualityRunFactory(TenantOwnedFactory):
    """A finished cleaning run with no figures (pass status=, completeness=, invalid=... as needed)."""

    class Meta:
        model = DataQualityRun

    status = "done"
    finished_at = factory.LazyFunction(timezone.now)


class TeamFactory(TenantOwnedFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class StaticListFactory(TenantOwnedFactory):
    class Meta:
        model = "campaigns.StaticList"

    name = factory.Sequence(lambda n: f"List {n}")
