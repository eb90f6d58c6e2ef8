"""Reads of workspace administration, always scoped to the current tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.models import Membership, TeamMember, Tenant
from crm.roles import CAPABILITIES, Capability, Role, Visibility, visibility_for
from workspace.models import Invitation, TenantProfile

MEMBERS_PAGE_SIZE = 50


def profile_of(tenant: Tenant) -> TenantProfile | None:
    return TenantProfile.objects.defer("logo").filter(tenant=tenant).first()


def members_page(tenant: Tenant, *, after_email: str | None) -> tuple[list[Membership], str | None]:
    """One page of the tenant's members by email (keyset), and the email to continue after."""
    queryset = Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")
    if after_email:
        queryset = queryset.filter(user__email__gt=after_email)
    rows = list(queryset[: MEMBERS_PAGE_SIZE + 1])
    more = len(rows) > MEMBERS_PAGE_SIZE
    rows = rows[:MEMBERS_PAGE_SIZE]
    return rows, (rows[-1].user.email if more and rows else None)


def teams_by_user(user_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for user_id, team in TeamMember.objects.filter(user_id__in=user_ids).values_list("user_id", "team__name"):
        names.setdefault(user_id, []).append(team)
    return {user_id: sorted(teams) for user_id, teams in names.items()}


def member_for_admin(tenant: Tenant) -> QuerySet[Membership]:
    """Memberships an admin of ``tenant`` may act on: only this tenant's (another's id is a 404)."""
    return Membership.objects.filter(tenant=tenant).select_related("user")


def open_invitations() -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def admin_count(tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True, user__is_active=True).count()


# --- The permission matrix -------------------------------------------------------------------------

MODULES: list[tuple[str, Promise]] = [
    ("customers", _("Customers")),
    ("deals", _("Deals")),
    ("interactions", _("Interactions")),
    ("tickets", _("Tickets")),
    ("campaigns", _("Campaigns")),
    ("analytics", _("Analytics")),
    ("settings", _("Settings")),
    ("users", _("Users")),
]
ACTIONS: list[tuple[str, Promise]] = [
    ("view", _("View")),
    ("create", _("Create")),
    ("edit", _("Edit")),
    ("delete", _("Delete")),
    ("export", _("Export")),
    ("configure", _("Configure")),
]
# Which capability of crm/roles.py guards each (module, action): the views check these capabilities, and
# the matrix reads CAPABILITIES for them, so it can only show what the code enforces. No entry: the module
# has no such action.
GUARDS: dict[tuple[str, str], str] = {
    ("customers", "view"): Capability.CUSTOMERS_VIEW,
    ("customers", "create"): Capability.CUSTOMERS_EDIT,
    ("customers", "edit"): Capability.CUSTOMERS_EDIT,
    ("customers", "delete"): Capability.CUSTOMERS_DELETE,
    ("customers", "export"): Capability.CUSTOMERS_EXPORT,
    ("customers", "configure"): Capability.TENANT_CONFIGURE,  # custom fields, duplicates rules
    ("deals", "view"): Capability.CUSTOMERS_VIEW,
    ("deals", "create"): Capability.DEALS_EDIT,
    ("deals", "edit"): Capability.DEALS_EDIT,
    ("deals", "delete"): Capability.DEALS_EDIT,
    ("deals", "configure"): Capability.TENANT_CONFIGURE,  # pipelines and stages
    ("interactions", "view"): Capability.INTERACTIONS_VIEW,
    ("interactions", "create"): Capability.INTERACTIONS_EDIT,
    ("interactions", "edit"): Capability.INTERACTIONS_EDIT,
    ("interactions", "delete"): Capability.INTERACTIONS_EDIT,
    ("interactions", "configure"): Capability.TENANT_CONFIGURE,  # email and SMS settings
    ("tickets", "view"): Capability.TICKETS_VIEW,
    ("tickets", "create"): Capability.TICKETS_EDIT,
    ("tickets", "edit"): Capability.TICKETS_EDIT,
    ("tickets", "configure"): Capability.TENANT_CONFIGURE,  # queues, SLAs, routing
    ("campaigns", "view"): Capability.CAMPAIGNS_VIEW,
    ("campaigns", "create"): Capability.CAMPAIGNS_EDIT,
    ("campaigns", "edit"): Capability.CAMPAIGNS_EDIT,
    ("campaigns", "delete"): Capability.CAMPAIGNS_EDIT,
    ("analytics", "view"): Capability.ANALYTICS_VIEW,
    ("analytics", "create"): Capability.ANALYTICS_RUN,  # run scoring and data-quality jobs
    ("analytics", "configure"): Capability.TENANT_CONFIGURE,  # churn window, features, schedule
    ("settings", "view"): Capability.TENANT_CONFIGURE,
    ("settings", "edit"): Capability.TENANT_CONFIGURE,
    ("settings", "configure"): Capability.TENANT_CONFIGURE,
    ("users", "view"): Capability.USERS_MANAGE,
    ("users", "create"): Capability.USERS_MANAGE,
    ("users", "edit"): Capability.USERS_MANAGE,
    ("users", "delete"): Capability.USERS_MANAGE,
}


@dataclass(frozen=True)
class MatrixLine:
    action: str
    label: Any
    capability: str
    allowed: list[bool]  # per role, in Role order


@dataclass(frozen=True)
class MatrixRow:
    module: str
    label: Any
    lines: list[MatrixLine]  # the module's actions that exist


def permission_matrix() -> list[MatrixRow]:
    """Per module, each action it has, and whether each role may do it (read from CAPABILITIES)."""
    rows = []
    for module, label in MODULES:
        lines = [
            MatrixLine(
                action,
                action_label,
                capability,
                [capability in CAPABILITIES.get(role, frozenset()) for role in Role.values],
            )
            for action, action_label in ACTIONS
            if (capability := GUARDS.get((module, action))) is not None
        ]
        rows.append(MatrixRow(module, label, lines))
    return rows


@dataclass(frozen=True)
class FieldRuleRow:
    entity: str
    entity_label: Any
    field: str
    label: Any
    choices: list[tuple[str, str]]  # per non-admin role: (input name, current access or "")


def field_rule_rows(current: dict[tuple[str, str, str], str]) -> list[FieldRuleRow]:
    from workspace.field_access import ENTITY_LABELS, RESTRICTABLE

    roles = [role for role in Role.values if role != Role.ADMIN]
    return [
        FieldRuleRow(
            entity,
            ENTITY_LABELS[entity],
            field,
            label,
            [(f"rule:{role}:{entity}:{field}", current.get((role, entity, field), "")) for role in roles],
        )
        for entity, fields in RESTRICTABLE.items()
        for field, (label, _names) in fields.items()
    ]


def visibility_rows(tenant: Tenant) -> list[tuple[Any, Any]]:
    labels = dict(Visibility.choices)
    return [(label, labels[visibility_for(role, tenant.record_visibility)]) for role, label in Role.choices]


# --- The admin area's index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminCard:
    title: Any
    description: Any
    icon: str
    url: str


# (title, description, icon, candidate URL names: the first that resolves is linked; none: no card).
# Pages owned by other apps appear as soon as they exist.
CARDS: list[tuple[Any, Any, str, tuple[str, ...]]] = [
    (_("Workspace settings"), _("Company profile, currency, time zone, language and branding."), "bi-gear",
     ("workspace:settings",)),
    (_("Users"), _("Members, roles, invitations and deactivation."), "bi-person-badge", ("workspace:users",)),
    (_("Teams"), _("Groups of members for record visibility and round-robin handover."), "bi-people",
     ("teams:list",)),
    (_("Permissions"), _("What each role may do, per module and action."), "bi-shield-lock",
     ("workspace:permissions",)),
    (_("Record visibility"), _("Whether a role sees all records, their team's or only their own."), "bi-eye",
     ("record-visibility",)),
    (_("Custom fields"), _("Extra fields on contacts, accounts and deals."), "bi-ui-checks", ("custom-fields:list",)),
    (_("Pipelines and stages"), _("Deal pipelines, their stages and probabilities."), "bi-sliders",
     ("deals:pipeline-list",)),
    (_("Exchange rates"), _("Rates for reporting deals in the default currency."), "bi-currency-exchange",
     ("exchange-rates:list",)),
    (_("Email settings"), _("Outgoing SMTP and incoming mailbox."), "bi-envelope-at", ("mail:settings",)),
    (_("SMS gateway"), _("The provider that sends text messages."), "bi-phone", ("sms:settings",)),
    (_("Imports"), _("Contact and account imports with their column mappings."), "bi-upload", ("imports:list",)),
    (_("Analytics settings"), _("Churn window, features and the scoring schedule."), "bi-graph-up-arrow",
     ("analytics:settings",)),
    (_("Ticket queues"), _("Queues, their members and inbound addresses."), "bi-inboxes",
     ("service_desk:queue-list", "service_desk:queues", "tickets:queue-list", "tickets:queues")),
    (_("SLA policies"), _("Response and resolution targets per priority."), "bi-stopwatch",
     ("sla:policy-list", "sla:policies", "sla:list")),
    (_("Business hours"), _("Working week and holidays that SLA clocks follow."), "bi-calendar-week",
     ("sla:business-hours", "sla:calendar")),
    (_("Routing rules"), _("Which queue and agent a new ticket goes to."), "bi-signpost-split",
     ("sla:routing", "sla:rule-list", "sla:rules", "sla:routing-rules")),
    (_("Support settings"), _("Customer portal and ticket email replies."), "bi-life-preserver",
     ("support:settings",)),
    (_("Audit log"), _("Who changed what, and when."), "bi-journal-text", ("audit:list", "audit:log", "audit:index")),
    (_("Security"), _("Two-factor authentication, sessions and sign-in protection."), "bi-shield-check",
     ("security:settings", "security:index")),
    (_("Privacy"), _("Data export and erasure requests, retention rules."), "bi-incognito",
     ("privacy:list", "privacy:index", "privacy:requests", "privacy:retention")),
    (_("API keys"), _("Keys for the REST API."), "bi-key", ("integrations:api-keys",)),
    (_("Webhooks"), _("Events sent to your other systems."), "bi-broadcast", ("integrations:webhooks",)),
]  # fmt: skip


def _first_url(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def admin_cards() -> list[AdminCard]:
    cards = []
    for title, description, icon, names in CARDS:
        url = _first_url(names)
        if url is not None:
            cards.append(AdminCard(title, description, icon, url))
    return cards
