"""Migrations are complete, and new tenant tables get row-level security automatically."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.state import ProjectState

from crm.db.autodetector import TenantAwareAutodetector
from crm.db.rls import EnableTenantRowLevelSecurity


@pytest.mark.django_db
def test_models_and_committed_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_makemigrations_adds_row_level_security_after_each_new_tenant_model():
    detector = TenantAwareAutodetector(ProjectState(), ProjectState.from_apps(apps))
    changes = detector._detect_changes(convert_apps={"customers", "crm"}, graph=MigrationGraph())
    operations = [op for migration in changes["customers"] for op in migration.operations]
    secured = [op.model_name for op in operations if isinstance(op, EnableTenantRowLevelSecurity)]
    assert sorted(secured) == [
        "Account",
        "Contact",
        "ContactMerge",
        "CustomField",
        "Deal",
        "DealStageChange",
        "DuplicateCandidate",
        "DuplicateRun",
        "ExchangeRate",
        "Order",
        "Pipeline",
        "Stage",
    ]
    crm_operations = [op for migration in changes["crm"] for op in migration.operations]
    # Tenants, users and memberships are the global tenancy core, not tenant tables; saved views,
    # bulk jobs and teams are.
    crm_secured = [op.model_name for op in crm_operations if isinstance(op, EnableTenantRowLevelSecurity)]
    assert sorted(crm_secured) == ["BulkJob", "IdempotencyKey", "SavedView", "Team", "TeamMember"]
