"""Field-level permissions: sensitive contact and account fields hidden or read-only per role.

The one module every surface asks: the contact and account forms (pages and API writes), the detail
pages, list columns, exports, imports and the API's output. Rules are stored per tenant
(workspace.FieldPermission) and read once per request.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Membership, Tenant, User
from crm.roles import Role
from crm.tenancy.context import current_tenant_id, request_memo
from workspace.models import FieldAccess, FieldPermission

CONTACT = "contact"
ACCOUNT = "account"
ADDRESS = ("street", "postal_code", "city", "region", "country")

# What an admin may restrict: (entity, key) -> (label, the model fields it covers).
RESTRICTABLE: dict[str, dict[str, tuple[Promise, tuple[str, ...]]]] = {
    CONTACT: {
        "email": (gettext_lazy("Email"), ("email",)),
        "phone": (gettext_lazy("Phone"), ("phone",)),
        "title": (gettext_lazy("Job title"), ("title",)),
        "birthday": (gettext_lazy("Birthday"), ("birthday",)),
        "address": (gettext_lazy("Address"), ADDRESS),
    },
    ACCOUNT: {
        "phone": (gettext_lazy("Phone"), ("phone",)),
        "website": (gettext_lazy("Website"), ("website",)),
        "employees": (gettext_lazy("Employees"), ("employees",)),
        "address": (gettext_lazy("Address"), ADDRESS),
    },
}
ENTITY_LABELS = {CONTACT: gettext_lazy("Contacts"), ACCOUNT: gettext_lazy("Accounts")}
# Fields a record cannot do without: never hidden or read-only, whatever is asked.
REQUIRED = {CONTACT: {"first_name", "last_name"}, ACCOUNT: {"name"}}


Who = Any  # a request (Django or DRF), a Membership, a role name, or None (no rules)
FormT = TypeVar("FormT", bound=forms.BaseForm)


class FieldRuleError(ValueError):
    pass


# --- Reading the rules ------------------------------------------------------------------------------


def rules_for(role: str | None) -> dict[str, dict[str, str]]:
    """{entity: {model field: access}} for a role in the current tenant (admins: none)."""
    tenant_id = current_tenant_id()
    if role is None or role == Role.ADMIN or tenant_id is None:
        return {}
    memo, key = request_memo(), ("field_rules", tenant_id, role)
    if memo is not None and key in memo:
        return memo[key]  # type: ignore[return-value]
    rules: dict[str, dict[str, str]] = {}
    for entity, field, access in FieldPermission.objects.filter(role=role).values_list("entity", "field", "access"):
        for name in RESTRICTABLE.get(entity, {}).get(field, ("", ()))[1]:
            rules.setdefault(entity, {})[name] = access
    if memo is not None:
        memo[key] = rules
    return rules


def _role(who: Who) -> str | None:
    who = getattr(who, "_request", who)  # a DRF request wraps the Django one
    if isinstance(who, HttpRequest):
        membership = getattr(who, "membership", None)
        return membership.role if membership else None
    if isinstance(who, Membership):
        return who.role
    return who


def hidden_fields(who: Who, entity: str) -> set[str]:
    """Model fields of ``entity`` this request's role (or a membership, or a role) may not see."""
    return {name for name, access in rules_for(_role(who)).get(entity, {}).items() if access == FieldAccess.HIDDEN}


def locked_fields(who: Who, entity: str) -> set[str]:
    """Model fields the role may not change: read-only and hidden ones."""
    return set(rules_for(_role(who)).get(entity, {}))


def role_of_user(tenant: Tenant, user: User | None) -> str | None:
    if user is None:
        return None
    return Membership.objects.filter(tenant=tenant, user=user).values_list("role", flat=True).first()


# --- Enforcing them --------------------------------------------------------------------------------


class RestrictedWidget(forms.Widget):
    """Shows that a field is hidden, and nothing of its value."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        return format_html(
            '<div class="form-control-plaintext text-secondary fst-italic">{}</div>', _("Hidden for your role")
        )


def restrict_form(form: FormT, who: Who, entity: str) -> FormT:
    """Hidden fields render as "hidden" and keep their stored value; read-only ones are shown, not editable.
    Disabled fields take the record's value whatever is posted, so nothing is changed through them."""
    rules = rules_for(_role(who)).get(entity, {})
    for name, access in rules.items():
        field = form.fields.get(name)
        if field is None:
            continue
        field.disabled, field.required = True, False
        if access == FieldAccess.HIDDEN:
            field.widget = RestrictedWidget()
            field.help_text = ""
    return form


def refused_payload_fields(payload: Any, who: Who, entity: str) -> list[str]:
    """The keys of an API payload that the role may not set."""
    if not isinstance(payload, dict):
        return []
    return sorted(set(payload) & locked_fields(who, entity))


def redact(data: dict[str, Any], who: Who, entity: str) -> dict[str, Any]:
    """An API representation without the hidden fields."""
    hidden = hidden_fields(who, entity)
    return {key: value for key, value in data.items() if key not in hidden} if hidden else data


def visible_columns(columns: list[tuple[str, Any]], who: Who, entity: str) -> list[tuple[str, Any]]:
    """Export or list columns (field path, label) without hidden fields."""
    hidden = hidden_fields(who, entity)
    return [column for column in columns if column[0].split("__", 1)[0] not in hidden]


# --- Managing them ---------------------------------------------------------------------------------


@transaction.atomic
def field_rules_save(*, tenant: Tenant, rules: dict[tuple[str, str, str], str], by: User) -> None:
    """Replace the tenant's rules with ``rules``: {(role, entity, field key): access}; empty access: none."""
    for (role, entity, field), access in rules.items():
        if field in REQUIRED.get(entity, set()):
            raise FieldRuleError(
                _("%(field)s is required on every record; it cannot be hidden or read-only.") % {"field": field}
            )
        if role == Role.ADMIN or role not in Role.values:
            raise FieldRuleError(_("Admins always see every field."))
        if field not in RESTRICTABLE.get(entity, {}) or access not in ("", *FieldAccess.values):
            raise FieldRuleError(_("Choose a field and an access from the list."))
    before = {(r, e, f): a for r, e, f, a in FieldPermission.objects.values_list("role", "entity", "field", "access")}
    wanted = {key: access for key, access in rules.items() if access}
    FieldPermission.objects.all().delete()
    FieldPermission.objects.bulk_create(
        FieldPermission(tenant=tenant, role=role, entity=entity, field=field, access=access)
        for (role, entity, field), access in wanted.items()
    )
    changes = {
        f"{role}.{entity}.{field}": [before.get((role, entity, field), ""), wanted.get((role, entity, field), "")]
        for role, entity, field in set(before) | set(wanted)
        if before.get((role, entity, field), "") != wanted.get((role, entity, field), "")
    }
    if changes:
        from workspace.services import _audit

        _audit(tenant=tenant, action="permission_change", actor=by, obj=tenant, changes=changes)


def current_rules() -> dict[tuple[str, str, str], str]:
    return {(r, e, f): a for r, e, f, a in FieldPermission.objects.values_list("role", "entity", "field", "access")}
