"""Create a tenant (workspace) and its first admin."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from crm.models import Tenant, User
from crm.roles import Role
from crm.services import membership_add, tenant_create, user_get_or_create


class Command(BaseCommand):
    help = "Create a tenant and make the given person its admin (creating the user if needed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Company name, e.g. 'Acme Corporation'.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="")
        parser.add_argument("--admin-password", help="Defaults to a random password, printed once.")
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--country", default="US", help="ISO country code, the default phone region.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            validate_email(options["admin_email"])
        except ValidationError:
            raise CommandError(f"--admin-email {options['admin_email']!r} is not a valid email address.") from None
        password = options["admin_password"] or secrets.token_urlsafe(12)
        existing_user = User.objects.filter(email__iexact=options["admin_email"]).exists()
        try:
            tenant, user = self._create(options, password)
        except ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            raise CommandError(problems) from None
        self.stdout.write(self.style.SUCCESS(f"Tenant {tenant.name!r} (id {tenant.pk}) created; admin {user.email}."))
        if existing_user:
            self.stdout.write(f"{user.email} already had an account and keeps its password.")
        elif not options["admin_password"]:
            self.stdout.write(f"Password: {password}")

    @transaction.atomic
    def _create(self, options: dict[str, Any], password: str) -> tuple[Tenant, User]:
        tenant = tenant_create(
            name=options["name"],
            default_currency=options["currency"].upper(),
            time_zone=options["time_zone"],
            country=options["country"].upper(),
        )
        user = user_get_or_create(email=options["admin_email"], password=password, full_name=options["admin_name"])
        membership_add(tenant=tenant, user=user, role=Role.ADMIN)
        return tenant, user
