"""Writes of workspace administration: settings and branding, invitations, members."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record
from crm.models import Membership, Team, TeamMember, Tenant, User
from crm.roles import Role
from crm.tenancy.context import tenant_context
from workspace.models import Invitation, TenantProfile

INVITATION_DAYS = 7
INVITATION_SALT = "workspace.invitation"


class WorkspaceError(ValueError):
    """A refused admin action; ``field`` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _audit(*, tenant: Tenant, action: str, actor: User | None, obj: Model | None = None, **extra: Any) -> None:
    """One audit event (audit.AuditAction names) for each admin change."""
    audit_record(tenant=tenant, action=action, actor=actor, obj=obj, **extra)


# --- Settings and branding ----------------------------------------------------------------------


def profile_for_update(tenant: Tenant) -> TenantProfile:
    profile = TenantProfile.objects.defer("logo").filter(tenant=tenant).first()
    return profile or TenantProfile.objects.create(tenant=tenant)


@transaction.atomic
def workspace_settings_save(*, tenant: Tenant, data: dict[str, Any], by: User) -> Tenant:
    """Save the company profile and regional settings (``data``: the settings form's cleaned data)."""
    tenant_fields = ["name", "default_currency", "time_zone", "country", "language"]
    profile_fields = ["legal_name", "address", "website", "support_email", "brand_color"]
    before = {name: getattr(tenant, name) for name in tenant_fields}
    for name in tenant_fields:
        setattr(tenant, name, data[name])
    tenant.full_clean(exclude=["slug"])
    tenant.save(update_fields=tenant_fields)
    profile = profile_for_update(tenant)
    before.update({name: getattr(profile, name) for name in profile_fields})
    for name in profile_fields:
        setattr(profile, name, data[name])
    profile.updated_at = timezone.now()
    profile.save(update_fields=[*profile_fields, "updated_at"])
    changes = {name: [before[name], data[name]] for name in before if before[name] != data[name]}
    if changes:
        _audit(tenant=tenant, action="setting_change", actor=by, obj=tenant, changes=changes)
    return tenant


@transaction.atomic
def tenant_logo_set(*, tenant: Tenant, content: bytes, content_type: str, by: User) -> TenantProfile:
    """Store an already validated logo (workspace.forms.LogoForm: PNG or JPEG, capped in size)."""
    profile = profile_for_update(tenant)
    now = timezone.now()
    TenantProfile.objects.filter(pk=profile.pk).update(
        logo=content, logo_content_type=content_type, logo_updated_at=now, updated_at=now
    )
    _audit(tenant=tenant, action="setting_change", actor=by, obj=tenant, changes={"logo": ["", content_type]})
    return profile


@transaction.atomic
def tenant_logo_remove(*, tenant: Tenant, by: User) -> None:
    TenantProfile.objects.filter(tenant=tenant).update(
        logo=None, logo_content_type="", logo_updated_at=None, updated_at=timezone.now()
    )
    _audit(tenant=tenant, action="setting_change", actor=by, obj=tenant, changes={"logo": ["logo", ""]})


# --- Invitations ----------------------------------------------------------------------------------


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def invitation_token(invitation: Invitation, nonce: str) -> str:
    return signing.dumps({"t": invitation.tenant_id, "i": invitation.pk, "n": nonce}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link stands for, or WorkspaceError saying why it cannot be used."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired:
        raise WorkspaceError(_("This invitation has expired. Ask for a new one.")) from None
    except signing.BadSignature:
        raise WorkspaceError(_("This invitation link is not valid.")) from None
    tenant_id, invitation_id, nonce = payload.get("t"), payload.get("i"), payload.get("n")
    if not (isinstance(tenant_id, int) and isinstance(invitation_id, int) and isinstance(nonce, str)):
        raise WorkspaceError(_("This invitation link is not valid."))
    with tenant_context(tenant_id):
        invitation = (
            Invitation.objects.select_related("tenant")
            .filter(pk=invitation_id, tenant_id=tenant_id, tenant__is_active=True)
            .first()
        )
    if invitation is None or not secrets.compare_digest(invitation.nonce_hash, _hash(nonce)):
        # A resent invitation replaced this link, or the invitation is gone.
        raise WorkspaceError(_("This invitation link is not valid. Use the newest email you received."))
    if invitation.accepted_at is not None:
        raise WorkspaceError(_("This invitation has already been used. Sign in instead."))
    if invitation.revoked_at is not None:
        raise WorkspaceError(_("This invitation was withdrawn. Ask your administrator for a new one."))
    if invitation.expires_at <= timezone.now():
        raise WorkspaceError(_("This invitation has expired. Ask for a new one."))
    return invitation


def _enqueue_send(invitation: Invitation) -> None:
    from workspace.tasks import send_invitation

    tenant_id, invitation_id = invitation.tenant_id, invitation.pk
    transaction.on_commit(lambda: send_invitation.delay(tenant_id, invitation_id))


@transaction.atomic
def invitation_create(*, tenant: Tenant, email: str, role: str, teams: list[Team], by: User) -> Invitation:
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise WorkspaceError(_("Choose a role from the list."), field="role")
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise WorkspaceError(_("%(email)s is already a member of this workspace.") % {"email": email}, field="email")
    now = timezone.now()
    open_invitation = (
        Invitation.objects.select_for_update()
        .filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if open_invitation is not None:  # inviting again updates and resends the open invitation
        open_invitation.role, open_invitation.team_ids = role, [team.pk for team in teams]
        open_invitation.save(update_fields=["role", "team_ids"])
        return invitation_resend(tenant=tenant, invitation=open_invitation, by=by)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        team_ids=[team.pk for team in teams],
        nonce_hash=_hash(secrets.token_urlsafe(32)),  # replaced by the sending task's own nonce
        invited_by=by,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    _enqueue_send(invitation)
    _audit(tenant=tenant, action="create", actor=by, obj=invitation, changes={"role": ["", role]})
    return invitation


@transaction.atomic
def invitation_resend(*, tenant: Tenant, invitation: Invitation, by: User) -> Invitation:
    """A fresh link valid for another week; the previous link stops working once the new one is sent."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise WorkspaceError(_("Only an open invitation can be sent again."))
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    invitation.refresh_from_db()
    _enqueue_send(invitation)
    _audit(tenant=tenant, action="update", actor=by, obj=invitation, changes={"sent_at": ["", str(now)]})
    return invitation


@transaction.atomic
def invitation_revoke(*, tenant: Tenant, invitation: Invitation, by: User) -> Invitation:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise WorkspaceError(_("This invitation was already used or withdrawn."))
    invitation.refresh_from_db()
    _audit(tenant=tenant, action="update", actor=by, obj=invitation, changes={"revoked": [False, True]})
    return invitation


def _footer(tenant: Tenant) -> list[str]:
    """The company's legal name and support address under mail sent on its behalf, when it gave them."""
    profile = TenantProfile.objects.defer("logo").filter(tenant=tenant).first()
    if profile is None or not (profile.legal_name or profile.support_email):
        return []
    lines = ["", "--", profile.legal_name or tenant.name]
    if profile.support_email:
        lines.append(_("Questions? Write to %(email)s.") % {"email": profile.support_email})
    return lines


def invitation_send(*, invitation_id: int) -> bool:
    """Mint a new link and email it (the sending task). The new nonce replaces the stored one, so only
    the latest email's link works. Returns False for an invitation no longer open."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("tenant", "invited_by")
            .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        nonce = secrets.token_urlsafe(32)
        Invitation.objects.filter(pk=invitation.pk).update(nonce_hash=_hash(nonce))
    link = f"{settings.SITE_URL}{reverse('workspace:invitation-accept', args=[invitation_token(invitation, nonce)])}"
    with translation.override(invitation.tenant.language or settings.LANGUAGE_CODE):
        inviter = invitation.invited_by.display_name if invitation.invited_by else invitation.tenant.name
        params = {"inviter": inviter, "workspace": invitation.tenant.name, "role": invitation.get_role_display()}
        body = "\n".join(
            [
                _("%(inviter)s invited you to join %(workspace)s in the CRM as %(role)s.") % params,
                "",
                _("Accept the invitation: %(link)s") % {"link": link},
                "",
                _("The link works once and expires in %(days)d days.") % {"days": INVITATION_DAYS},
                *_footer(invitation.tenant),
            ]
        )
        subject = _("Join %(workspace)s") % params
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[invitation.email]).send()
    return True


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the workspace as ``user``; the claim is a conditional update, so a link works once."""
    tenant = invitation.tenant
    with tenant_context(tenant.pk):
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not claimed:
            raise WorkspaceError(_("This invitation has already been used. Sign in instead."))
        membership, _created = Membership.objects.update_or_create(
            tenant=tenant, user=user, defaults={"role": invitation.role, "is_active": True}
        )
        team_ids = list(Team.objects.filter(pk__in=invitation.team_ids).values_list("pk", flat=True))
        present = set(TeamMember.objects.filter(user=user, team_id__in=team_ids).values_list("team_id", flat=True))
        TeamMember.objects.bulk_create(
            TeamMember(tenant=tenant, team_id=pk, user=user) for pk in team_ids if pk not in present
        )
        _audit(
            tenant=tenant, action="permission_change", actor=user, obj=user, object_repr=user.email,
            changes={"role": ["", invitation.role]},
        )  # fmt: skip
    return membership


@transaction.atomic
def invitation_accept_new_user(*, invitation: Invitation, full_name: str, password: str) -> Membership:
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise WorkspaceError(_("An account with this email already exists. Sign in to accept."))
    user = User.objects.create_user(invitation.email, password, full_name=full_name.strip())
    return invitation_accept(invitation=invitation, user=user)


# --- Members --------------------------------------------------------------------------------------


def _other_active_admins(tenant: Tenant, membership: Membership) -> bool:
    admins = Membership.objects.select_for_update().filter(tenant=tenant, role=Role.ADMIN, is_active=True)
    return admins.exclude(pk=membership.pk).filter(user__is_active=True).exists()


@transaction.atomic
def member_change_role(*, tenant: Tenant, membership: Membership, role: str, by: User) -> Membership:
    if role not in Role.values:
        raise WorkspaceError(_("Choose a role from the list."), field="role")
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and membership.is_active and not _other_active_admins(tenant, membership):
        raise WorkspaceError(
            _("%(name)s is the workspace's only admin. Make someone else an admin first.")
            % {"name": membership.user.display_name},
            field="role",
        )
    before = membership.role
    Membership.objects.filter(pk=membership.pk, tenant=tenant).update(role=role)
    membership.role = role
    _audit(
        tenant=tenant, action="permission_change", actor=by, obj=membership.user, changes={"role": [before, role]},
        object_repr=membership.user.email,
    )  # fmt: skip
    return membership


class ReassignRule:
    USER = "user"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class ReassignSummary:
    contacts: int = 0
    accounts: int = 0
    deals: int = 0
    tasks: int = 0
    tickets: int = 0

    @property
    def total(self) -> int:
        return self.contacts + self.accounts + self.deals + self.tasks + self.tickets


def open_records(user_id: int) -> dict[str, QuerySet[Any]]:
    """A member's open records in the current tenant: what deactivating them hands over."""
    from customers.models import Account, Contact, Deal, StageKind
    from followups.models import Task, TaskStatus
    from service_desk.models import OPEN_STATUSES, Ticket

    return {
        "contacts": Contact.objects.filter(owner_id=user_id),
        "accounts": Account.objects.filter(owner_id=user_id),
        "deals": Deal.objects.filter(owner_id=user_id, stage__kind=StageKind.OPEN),
        "tasks": Task.objects.filter(assignee_id=user_id, status=TaskStatus.OPEN),
        "tickets": Ticket.objects.filter(assignee_id=user_id, status__in=OPEN_STATUSES),
    }


OWNER_FIELD = {"contacts": "owner_id", "accounts": "owner_id", "deals": "owner_id", "tasks": "assignee_id",
               "tickets": "assignee_id"}  # fmt: skip
VERSIONED = {"contacts", "accounts", "deals", "tickets"}  # EditTracked: a reassignment is an edit


def round_robin_pool(tenant: Tenant, user: User) -> list[int]:
    """The active members who share a team with ``user`` (not ``user``), in a stable order."""
    teams = TeamMember.objects.filter(user=user).values("team_id")
    mates = TeamMember.objects.filter(team_id__in=teams).exclude(user=user).values_list("user_id", flat=True)
    active = Membership.objects.filter(tenant=tenant, is_active=True, user__is_active=True, user_id__in=list(mates))
    return sorted(set(active.values_list("user_id", flat=True)))


def _reassign(queryset: QuerySet[Any], field: str, targets: list[int], *, versioned: bool, by: User) -> int:
    """Hand the rows to ``targets`` in turn: one UPDATE per target over its share of the ids."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    extra: dict[str, Any] = {"version": F("version") + 1, "updated_by": by} if versioned else {}
    if any(f.name == "updated_at" for f in queryset.model._meta.get_fields()):
        extra["updated_at"] = timezone.now()
    for position, target in enumerate(targets):
        share = ids[position :: len(targets)]
        if share:
            queryset.model.objects.filter(pk__in=share).update(**{field: target}, **extra)
    return len(ids)


@transaction.atomic
def member_deactivate(
    *, tenant: Tenant, membership: Membership, rule: str, to_user: User | None, by: User
) -> ReassignSummary:
    """Deactivate a member (they can no longer open this workspace) and hand their open records over."""
    if membership.user_id == by.pk:
        raise WorkspaceError(_("You cannot deactivate yourself."))
    if not membership.is_active:
        raise WorkspaceError(_("This member is already deactivated."))
    if membership.role == Role.ADMIN and not _other_active_admins(tenant, membership):
        raise WorkspaceError(_("A workspace always keeps an active admin."))
    if rule == ReassignRule.USER:
        if to_user is None or to_user.pk == membership.user_id:
            raise WorkspaceError(_("Choose who takes over the records."), field="to_user")
        if not Membership.objects.filter(tenant=tenant, user=to_user, is_active=True).exists():
            raise WorkspaceError(_("This person is not an active member."), field="to_user")
        targets = [to_user.pk]
    elif rule == ReassignRule.ROUND_ROBIN:
        targets = round_robin_pool(tenant, membership.user)
        if not targets:
            raise WorkspaceError(
                _("%(name)s shares no team with another active member; choose one person instead.")
                % {"name": membership.user.display_name},
                field="rule",
            )
    else:
        raise WorkspaceError(_("Choose how to reassign the records."), field="rule")
    updated = Membership.objects.filter(pk=membership.pk, tenant=tenant, is_active=True).update(is_active=False)
    if not updated:
        raise WorkspaceError(_("This member is already deactivated."))
    counts = {
        name: _reassign(queryset, OWNER_FIELD[name], targets, versioned=name in VERSIONED, by=by)
        for name, queryset in open_records(membership.user_id).items()
    }
    membership.is_active = False
    _audit(
        tenant=tenant, action="permission_change", actor=by, obj=membership.user, object_repr=membership.user.email,
        changes={"is_active": [True, False], **{f"reassigned_{name}": [0, count] for name, count in counts.items()}},
    )  # fmt: skip
    return ReassignSummary(**counts)


@transaction.atomic
def member_reactivate(*, tenant: Tenant, membership: Membership, by: User) -> Membership:
    Membership.objects.filter(pk=membership.pk, tenant=tenant).update(is_active=True)
    membership.is_active = True
    _audit(
        tenant=tenant, action="permission_change", actor=by, obj=membership.user, object_repr=membership.user.email,
        changes={"is_active": [False, True]},
    )  # fmt: skip
    return membership
