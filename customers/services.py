"""Writes to accounts and contacts. Every update checks the version the user started from."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.registry import record_update
from crm.models import Tenant, User
from customers.duplicates.detection import duplicates_detect_for_contact
from customers.models import Account, Contact, Order
from integrations.events import record_event


class ConcurrentEditError(Exception):
    """Someone saved the record after this user opened it; nothing was written."""

    def __init__(self, current: Any) -> None:  # a Contact, Account or Deal with version/updated_by
        self.current = current
        who = current.updated_by.display_name if current.updated_by else _("someone")
        when = timezone.localtime(current.updated_at).strftime("%H:%M")
        super().__init__(
            _("%(who)s changed this record at %(when)s, after you opened it. Review their changes and save again.")
            % {"who": who, "when": when}
        )


def _consent_stamps(data: dict[str, Any], previous: Contact | None) -> dict[str, Any]:
    """Record when consent was given; withdrawing it clears when and how."""
    now = timezone.now()
    stamped = dict(data)
    for channel in ("email", "sms"):
        given, was_given = data.get(f"{channel}_consent"), previous and getattr(previous, f"{channel}_consent")
        if given and not was_given:
            stamped[f"{channel}_consent_at"] = now
        elif not given:
            stamped[f"{channel}_consent_at"] = None
            stamped[f"{channel}_consent_source"] = ""
    return stamped


@transaction.atomic
def contact_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> Contact:
    now = timezone.now()
    contact = Contact(tenant=tenant, updated_by=by, created_at=now, updated_at=now, **_consent_stamps(data, None))
    contact.save()
    duplicates_detect_for_contact(tenant=tenant, contact=contact)  # its page shows "possible duplicate of"
    record_event(tenant=tenant, record=contact, action="created")
    return contact


@transaction.atomic
def contact_update(
    *, tenant: Tenant, contact: Contact, data: dict[str, Any], expected_version: int, by: User
) -> Contact:
    # Read consent as stored: a ModelForm has already copied the new values onto ``contact``.
    stored = Contact.objects.only("email_consent", "sms_consent").get(pk=contact.pk)
    changes = _consent_stamps(data, stored)
    _save_if_unchanged(Contact, contact, changes, expected_version, by)
    saved = Contact.objects.select_related("account", "owner", "updated_by").get(pk=contact.pk)
    duplicates_detect_for_contact(tenant=tenant, contact=saved)
    record_event(tenant=tenant, record=saved, action="updated")
    return saved


@transaction.atomic
def contact_delete(*, tenant: Tenant, contact: Contact, by: User) -> None:
    # Orders and interactions go with the contact (CASCADE); the page said so before asking.
    record_event(tenant=tenant, record=contact, action="deleted")
    contact.delete()


@transaction.atomic
def account_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> Account:
    now = timezone.now()
    account = Account(tenant=tenant, updated_by=by, created_at=now, updated_at=now, **data)
    account.save()
    record_event(tenant=tenant, record=account, action="created")
    return account


@transaction.atomic
def account_update(
    *, tenant: Tenant, account: Account, data: dict[str, Any], expected_version: int, by: User
) -> Account:
    if data.get("parent") is not None and _is_descendant(data["parent"], account):
        raise ValueError(_("An account cannot be its own parent or sit under one of its subsidiaries."))
    _save_if_unchanged(Account, account, data, expected_version, by)
    saved = Account.objects.select_related("owner", "parent", "updated_by").get(pk=account.pk)
    record_event(tenant=tenant, record=saved, action="updated")
    return saved


@transaction.atomic
def account_delete(*, tenant: Tenant, account: Account, by: User) -> None:
    # Contacts, orders and subsidiaries stay; their link to this account is cleared (SET_NULL).
    record_event(tenant=tenant, record=account, action="deleted")
    account.delete()


def _save_if_unchanged(
    model: type[Contact] | type[Account], record: Any, changes: dict[str, Any], expected_version: int, by: User
) -> None:
    """One conditional UPDATE: it only matches if nobody saved since ``expected_version``."""
    updated = model._default_manager.filter(pk=record.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_by=by, updated_at=timezone.now()
    )
    if not updated:
        raise ConcurrentEditError(model._default_manager.select_related("updated_by").get(pk=record.pk))
    record_update(record, changes)  # the audit trail (audit/registry.py: update() sends no signal)


def _is_descendant(candidate: Account, account: Account) -> bool:
    """Would making ``candidate`` the parent of ``account`` create a loop?"""
    seen: set[int] = set()
    node: Account | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def order_create(*, tenant: Tenant, contact: Contact, data: dict[str, Any], by: User) -> Order:
    # The order counts for the contact's current account too (account revenue, account page).
    order = Order(tenant=tenant, contact=contact, account_id=contact.account_id, **data)
    order.save()
    record_event(tenant=tenant, record=order, action="created")
    return order


@transaction.atomic
def order_update(*, tenant: Tenant, order: Order, data: dict[str, Any], by: User) -> Order:
    Order.objects.filter(pk=order.pk).update(**data)
    record_update(order, data)  # the audit trail (audit/registry.py: update() sends no signal)
    saved = Order.objects.select_related("contact").get(pk=order.pk)
    record_event(tenant=tenant, record=saved, action="updated")
    return saved


@transaction.atomic
def order_delete(*, tenant: Tenant, order: Order, by: User) -> None:
    record_event(tenant=tenant, record=order, action="deleted")
    order.delete()
