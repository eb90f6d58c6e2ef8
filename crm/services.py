"""Writes to the tenancy core: tenants, users, memberships."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from crm.models import Membership, Tenant, User
from crm.roles import Role


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, counter = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        counter += 1
        slug = f"{base}-{counter}"
    return slug


@transaction.atomic
def tenant_create(
    *,
    name: str,
    slug: str | None = None,
    default_currency: str = "USD",
    time_zone: str = "UTC",
    country: str = "US",
    language: str = "en",
) -> Tenant:
    tenant = Tenant(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        default_currency=default_currency,
        time_zone=time_zone,
        country=country,
        language=language,
    )
    tenant.full_clean()  # unknown time zone, language or a taken slug: ValidationError naming the field
    tenant.save()
    return tenant


def user_get_or_create(*, email: str, password: str | None, full_name: str = "") -> User:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name)
    return user


@transaction.atomic
def membership_add(*, tenant: Tenant, user: User, role: str) -> Membership:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role, "is_active": True}
    )
    return membership


@transaction.atomic
def tenant_signup(*, company_name: str, full_name: str, email: str, password: str) -> Membership:
    """Self-service signup: a new tenant with the signing-up person as its admin."""
    tenant = tenant_create(name=company_name)
    user = User.objects.create_user(email, password, full_name=full_name)
    return membership_add(tenant=tenant, user=user, role=Role.ADMIN)


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, language: str, time_zone: str) -> User:
    user.full_name, user.language, user.time_zone = full_name.strip(), language, time_zone
    user.save(update_fields=["full_name", "language", "time_zone"])
    return user


@transaction.atomic
def tenant_set_record_visibility(*, tenant: Tenant, scopes: dict[str, str], by: User) -> Tenant:
    tenant.record_visibility = {role: scope for role, scope in scopes.items() if role in Role.values}
    tenant.save(update_fields=["record_visibility"])
    return tenant
