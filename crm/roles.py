"""Roles and the one capability map used by views, the API and tasks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    ANALYST = "analyst", _("Analyst")


class Capability(models.TextChoices):
    CUSTOMERS_VIEW = "customers.view", _("View customers")
    CUSTOMERS_EDIT = "customers.edit", _("Create and edit customers")
    CUSTOMERS_DELETE = "customers.delete", _("Delete customers")
    CUSTOMERS_EXPORT = "customers.export", _("Export customers")
    INTERACTIONS_VIEW = "interactions.view", _("View interactions")
    INTERACTIONS_EDIT = "interactions.edit", _("Log interactions")
    DEALS_EDIT = "deals.edit", _("Create and edit deals")
    TICKETS_VIEW = "tickets.view", _("View tickets")
    TICKETS_EDIT = "tickets.edit", _("Work tickets")
    CAMPAIGNS_VIEW = "campaigns.view", _("View campaigns")
    CAMPAIGNS_EDIT = "campaigns.edit", _("Build and send campaigns")
    ANALYTICS_VIEW = "analytics.view", _("View analytics")
    ANALYTICS_RUN = "analytics.run", _("Run analytics jobs")
    TENANT_CONFIGURE = "tenant.configure", _("Configure the workspace")
    USERS_MANAGE = "users.manage", _("Manage users and roles")


_READ = {
    Capability.CUSTOMERS_VIEW,
    Capability.INTERACTIONS_VIEW,
    Capability.TICKETS_VIEW,
    Capability.CAMPAIGNS_VIEW,
    Capability.ANALYTICS_VIEW,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Capability.values),
    Role.SALES: frozenset(
        _READ
        | {
            Capability.CUSTOMERS_EDIT,
            Capability.CUSTOMERS_EXPORT,
            Capability.INTERACTIONS_EDIT,
            Capability.DEALS_EDIT,
        }
    ),
    Role.SERVICE: frozenset(_READ | {Capability.TICKETS_EDIT, Capability.INTERACTIONS_EDIT, Capability.CUSTOMERS_EDIT}),
    Role.MARKETING: frozenset(_READ | {Capability.CAMPAIGNS_EDIT, Capability.CUSTOMERS_EXPORT}),
    Role.ANALYST: frozenset(_READ | {Capability.CUSTOMERS_EXPORT, Capability.ANALYTICS_RUN}),
}


def role_can(role: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())


class Visibility(models.TextChoices):
    ALL = "all", _("All records")
    TEAM = "team", _("Records owned by their teams")
    OWN = "own", _("Only records they own")


def visibility_for(role: str, settings: dict[str, str]) -> str:
    """A role's record visibility in a tenant; admins always see everything."""
    if role == Role.ADMIN:
        return Visibility.ALL
    value = settings.get(role, Visibility.ALL)
    return value if value in Visibility.values else Visibility.ALL
