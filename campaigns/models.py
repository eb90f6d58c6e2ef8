"""Marketing audiences. Static lists: contacts picked by hand or by a bulk action, kept until removed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class StaticList(TenantModel):
    """A named set of contacts that changes only when someone adds or removes members."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # "Add to list" with a new name finds the list again instead of making a twin.
            models.UniqueConstraint("tenant", Lower("name"), name="staticlist_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class StaticListMember(TenantModel):
    VISIBILITY_OWNER_FIELD = "contact__owner"  # a rep sees the members they may see as contacts

    static_list = models.ForeignKey(StaticList, on_delete=models.CASCADE, db_index=False, related_name="members")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="list_memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            # A contact is in a list once; bulk adds insert with ON CONFLICT DO NOTHING against it.
            models.UniqueConstraint(fields=["tenant", "static_list", "contact"], name="listmember_uniq"),
        ]
        indexes = [
            # The members page, newest first, with keyset pages; also the key checks when a list is deleted.
            models.Index(fields=["static_list", "added_at", "id"], name="listmember_list_fk_idx"),
            # "Which lists is this contact in", and the key checks when a contact is deleted.
            models.Index(fields=["contact"], name="listmember_contact_fk_idx"),
        ]
