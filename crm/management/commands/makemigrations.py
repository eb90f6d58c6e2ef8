"""makemigrations that adds row-level security to every new tenant table."""

from django.core.management.commands import makemigrations

from crm.db.autodetector import TenantAwareAutodetector


class Command(makemigrations.Command):
    autodetector = TenantAwareAutodetector
