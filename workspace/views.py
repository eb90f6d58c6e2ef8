"""The admin area: index, workspace settings and branding, users and invitations, the permission matrix;
and the public page where an invited person accepts."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.models import Membership, Team
from crm.roles import Capability, Role
from crm.tenancy.middleware import ACTIVE_TENANT_SESSION_KEY
from workspace import field_access, selectors, services
from workspace.forms import AcceptInvitationForm, DeactivateForm, InviteForm, LogoForm, RoleForm, WorkspaceSettingsForm
from workspace.models import FieldAccess, Invitation, TenantProfile
from workspace.services import WorkspaceError

CONFIGURE = Capability.TENANT_CONFIGURE
USERS = Capability.USERS_MANAGE


@require_GET
@capability_required(CONFIGURE)
def admin_index(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/index.html", {"cards": selectors.admin_cards()})


# --- Settings and branding ------------------------------------------------------------------------


def _settings_initial(request: HttpRequest) -> dict[str, str]:
    tenant = request.tenant  # type: ignore[attr-defined]
    profile = selectors.profile_of(tenant) or TenantProfile()
    return {
        "name": tenant.name, "default_currency": tenant.default_currency, "time_zone": tenant.time_zone,
        "country": tenant.country, "language": tenant.language, "legal_name": profile.legal_name,
        "address": profile.address, "website": profile.website, "support_email": profile.support_email,
        "brand_color": profile.brand_color,
    }  # fmt: skip


def _settings_page(
    request: HttpRequest, form: WorkspaceSettingsForm, logo_form: LogoForm, status: int = 200
) -> HttpResponse:
    profile = selectors.profile_of(request.tenant)  # type: ignore[attr-defined]
    context = {"form": form, "logo_form": logo_form, "profile": profile}
    return render(request, "workspace/settings.html", context, status=status)


@capability_required(CONFIGURE)
def settings_page(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = WorkspaceSettingsForm(request.POST)
        if form.is_valid():
            services.workspace_settings_save(tenant=tenant, data=form.cleaned_data, by=acting_user(request))
            messages.success(request, _("Workspace settings saved."))
            return redirect("workspace:settings")
        return _settings_page(request, form, LogoForm(), status=422)
    return _settings_page(request, WorkspaceSettingsForm(initial=_settings_initial(request)), LogoForm())


@require_POST
@capability_required(CONFIGURE)
def logo_upload(request: HttpRequest) -> HttpResponse:
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _settings_page(request, WorkspaceSettingsForm(initial=_settings_initial(request)), form, status=422)
    services.tenant_logo_set(
        tenant=request.tenant,  # type: ignore[attr-defined]
        content=form.cleaned_data["content"],
        content_type=form.cleaned_data["content_type"],
        by=acting_user(request),
    )
    messages.success(request, _("Logo saved."))
    return redirect("workspace:settings")


@require_POST
@capability_required(CONFIGURE)
def logo_remove(request: HttpRequest) -> HttpResponse:
    services.tenant_logo_remove(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Logo removed."))
    return redirect("workspace:settings")


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def logo(request: HttpRequest) -> HttpResponse:
    """The current workspace's logo; the URL carries no tenant, so nobody can ask for another's."""
    profile = TenantProfile.objects.filter(tenant=request.tenant, logo__isnull=False).first()  # type: ignore[attr-defined]
    if profile is None or not profile.logo_content_type:
        raise Http404
    response = HttpResponse(bytes(profile.logo), content_type=profile.logo_content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    if profile.logo_updated_at:
        response["Last-Modified"] = http_date(profile.logo_updated_at.timestamp())
    return response


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The workspace's brand colour and logo as a tiny stylesheet (no inline style or script needed)."""
    profile = selectors.profile_of(request.tenant)  # type: ignore[attr-defined]
    context = {
        "color": profile.brand_color if profile else "",
        "logo_url": f"{reverse('workspace:logo')}?v={int(profile.logo_updated_at.timestamp())}"
        if profile and profile.logo_updated_at
        else "",
    }
    response = render(request, "workspace/brand.css", context, content_type="text/css; charset=utf-8")
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:16]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # revalidated on each page: a new colour shows at once
    return response


# --- Users and invitations ------------------------------------------------------------------------


def _users_page(request: HttpRequest, invite_form: InviteForm, status: int = 200) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    members, next_after = selectors.members_page(tenant, after_email=request.GET.get("after") or None)
    teams = selectors.teams_by_user([membership.user_id for membership in members])
    context = {
        "rows": [(membership, teams.get(membership.user_id, [])) for membership in members],
        "next_after": next_after,
        "invitations": list(selectors.open_invitations()),
        "invite_form": invite_form,
        "has_teams": Team.objects.exists(),
        "after": request.GET.get("after", ""),
    }
    return render(request, "workspace/users.html", context, status=status)


@require_GET
@capability_required(USERS)
def users(request: HttpRequest) -> HttpResponse:
    return _users_page(request, InviteForm())


@require_POST
@capability_required(USERS)
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                tenant=request.tenant,  # type: ignore[attr-defined]
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                teams=list(form.cleaned_data["teams"]),
                by=acting_user(request),
            )
        except WorkspaceError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("workspace:users")
    return _users_page(request, form, status=422)


def _invitation(pk: int) -> Invitation:
    return get_object_for_user(Invitation.objects.all(), pk)


@object_view(Invitation)
@capability_required(USERS)
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation(pk)
    if request.method != "POST":
        return redirect("workspace:users")
    try:
        services.invitation_resend(tenant=request.tenant, invitation=invitation, by=acting_user(request))  # type: ignore[attr-defined]
    except WorkspaceError as error:
        messages.error(request, str(error))
    else:
        message = _("A new link was sent to %(email)s; the old one no longer works.")
        messages.success(request, message % {"email": invitation.email})
    return redirect("workspace:users")


@object_view(Invitation)
@capability_required(USERS)
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation(pk)
    if request.method != "POST":
        return redirect("workspace:users")
    try:
        services.invitation_revoke(tenant=request.tenant, invitation=invitation, by=acting_user(request))  # type: ignore[attr-defined]
    except WorkspaceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("workspace:users")


def _member(request: HttpRequest, pk: int) -> Membership:
    return get_object_for_user(selectors.member_for_admin(request.tenant), pk)  # type: ignore[attr-defined]


def _member_page(
    request: HttpRequest,
    membership: Membership,
    *,
    role_form: RoleForm | None = None,
    deactivate_form: DeactivateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    counts = {name: queryset.count() for name, queryset in services.open_records(membership.user_id).items()}
    context = {
        "member": membership,
        "teams": selectors.teams_by_user([membership.user_id]).get(membership.user_id, []),
        "role_form": role_form or RoleForm(initial={"role": membership.role}),
        "deactivate_form": deactivate_form or DeactivateForm(tenant=tenant, member=membership.user),
        "counts": counts,
        "open_total": sum(counts.values()),
        "pool": services.round_robin_pool(tenant, membership.user),
        "is_self": membership.user_id == request.user.pk,
    }
    return render(request, "workspace/member.html", context, status=status)


@object_view(Membership)
@require_GET
@capability_required(USERS)
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _member_page(request, _member(request, pk))


@object_view(Membership)
@capability_required(USERS)
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _member(request, pk)
    if request.method != "POST":
        return redirect("workspace:member", pk=membership.pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.member_change_role(
                tenant=request.tenant,  # type: ignore[attr-defined]
                membership=membership,
                role=form.cleaned_data["role"],
                by=acting_user(request),
            )
        except WorkspaceError as error:
            form.add_error("role", str(error))
        else:
            params = {"name": membership.user.display_name, "role": membership.get_role_display()}
            messages.success(request, _("%(name)s is now %(role)s.") % params)
            return redirect("workspace:member", pk=membership.pk)
    return _member_page(request, membership, role_form=form, status=422)


@object_view(Membership)
@capability_required(USERS)
def member_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    membership = _member(request, pk)
    if request.method != "POST":
        return redirect("workspace:member", pk=membership.pk)
    form = DeactivateForm(request.POST, tenant=tenant, member=membership.user)
    if form.is_valid():
        try:
            summary = services.member_deactivate(
                tenant=tenant,
                membership=membership,
                rule=form.cleaned_data["rule"],
                to_user=form.cleaned_data.get("to_user"),
                by=acting_user(request),
            )
        except WorkspaceError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s was deactivated; %(count)d open records were handed over.")
                % {"name": membership.user.display_name, "count": summary.total},
            )
            return redirect("workspace:member", pk=membership.pk)
    return _member_page(request, membership, deactivate_form=form, status=422)


@object_view(Membership)
@capability_required(USERS)
def member_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _member(request, pk)
    if request.method != "POST":
        return redirect("workspace:member", pk=membership.pk)
    services.member_reactivate(tenant=request.tenant, membership=membership, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("%(name)s can use the workspace again.") % {"name": membership.user.display_name})
    return redirect("workspace:member", pk=membership.pk)


# --- Permissions ----------------------------------------------------------------------------------


@capability_required(CONFIGURE)
def permissions(request: HttpRequest) -> HttpResponse:
    """The matrix (read-only: it is the code's capability map) and the field rules (editable)."""
    error = ""
    if request.method == "POST":
        rules = field_access_rules_from_post(request.POST)
        try:
            field_access.field_rules_save(tenant=request.tenant, rules=rules, by=acting_user(request))  # type: ignore[attr-defined]
        except field_access.FieldRuleError as refused:
            error = str(refused)
        else:
            messages.success(request, _("Field permissions saved."))
            return redirect("workspace:permissions")
    context = {
        "roles": Role.choices,
        "actions": selectors.ACTIONS,
        "matrix": selectors.permission_matrix(),
        "visibility": selectors.visibility_rows(request.tenant),  # type: ignore[attr-defined]
        "field_rows": selectors.field_rule_rows(field_access.current_rules()),
        "field_roles": [(value, label) for value, label in Role.choices if value != Role.ADMIN],
        "access_choices": FieldAccess.choices,
        "field_error": error,
    }
    return render(request, "workspace/permissions.html", context, status=422 if error else 200)


def field_access_rules_from_post(data: QueryDict) -> dict[tuple[str, str, str], str]:
    """{(role, entity, field): access} from the inputs named rule:<role>:<entity>:<field>."""
    rules: dict[tuple[str, str, str], str] = {}
    for key in data:
        parts = key.split(":")
        if len(parts) == 4 and parts[0] == "rule":
            rules[(parts[1], parts[2], parts[3])] = str(data.get(key, ""))
    return rules


# --- Accepting an invitation (no sign-in needed) ---------------------------------------------------


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token)
    except WorkspaceError as error:
        return render(request, "workspace/accept.html", {"error": str(error)}, status=410)
    context: dict[str, object] = {"invitation": invitation, "tenant": invitation.tenant}
    user = request.user
    existing = services.User.objects.filter(email__iexact=invitation.email).first()
    if user.is_authenticated and user.email.lower() != invitation.email:
        context["wrong_user"] = True
        if request.method == "POST" and request.POST.get("action") == "switch":
            logout(request)
            return redirect(request.get_full_path())
        return render(request, "workspace/accept.html", context)
    if existing is not None and not user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        context["login_url"] = f"{reverse('login')}?next={request.get_full_path()}"
        return render(request, "workspace/accept.html", context)
    if existing is not None:  # signed in as the invited person: one click to join
        if request.method == "POST":
            return _joined(
                request, invitation, lambda: services.invitation_accept(invitation=invitation, user=existing)
            )
        return render(request, "workspace/accept.html", context)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        return _joined(
            request,
            invitation,
            lambda: services.invitation_accept_new_user(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            ),
            form=form,
        )
    context["form"] = form
    return render(request, "workspace/accept.html", context, status=422 if form.errors else 200)


def _joined(
    request: HttpRequest, invitation: Invitation, accept: object, form: AcceptInvitationForm | None = None
) -> HttpResponse:
    try:
        membership: Membership = accept()  # type: ignore[operator]
    except WorkspaceError as error:
        return render(request, "workspace/accept.html", {"error": str(error)}, status=410)
    if not request.user.is_authenticated:
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id
    messages.success(request, _("Welcome to %(name)s!") % {"name": invitation.tenant.name})
    return redirect("dashboard")
