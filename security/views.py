"""The security page of each user (two-factor, sessions) and of workspace admins (policy, lockouts)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from crm.access import acting_user, capability_required
from crm.roles import Capability
from security import selectors, services
from security.forms import CodeForm, PasswordConfirmForm, TenantSecurityForm, UnlockForm
from security.middleware import ENROL, TWO_FACTOR_SESSION_KEY, VERIFY
from security.user_agents import describe_user_agent

NEW_CODES_SESSION_KEY = "security_new_backup_codes"


def _can_manage(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.can(Capability.USERS_MANAGE)


def _safe_next(request: HttpRequest, fallback: str = "dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def security_home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    services.sessions_prune(user=user)
    current_key = request.session.session_key
    sessions = [
        (session, describe_user_agent(session.user_agent), session.session_key == current_key)
        for session in selectors.user_sessions(user)
    ]
    context: dict[str, object] = {
        "status": selectors.two_factor_status(user),
        "sessions": sessions,
        "other_sessions": sum(1 for _, _, current in sessions if not current),
        "can_manage": _can_manage(request),
    }
    if context["can_manage"]:
        tenant = request.tenant  # type: ignore[attr-defined]
        context["policy_form"] = TenantSecurityForm(instance=selectors.tenant_policy(tenant))
        context["lockouts"] = selectors.locked_out_members(tenant)
    return render(request, "security/home.html", context)


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app: scan the QR code, then confirm with a code."""
    user = acting_user(request)
    device = services.totp_device_pending(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(user=user, device=device, token=form.cleaned_data["code"]):
            otp_login(request, device)
            request.session.pop(TWO_FACTOR_SESSION_KEY, None)
            request.session[NEW_CODES_SESSION_KEY] = services.backup_codes_regenerate(user=user)
            messages.success(request, _("Two-factor sign-in is on. Keep your backup codes somewhere safe."))
            return redirect("security:backup-codes")
        form.add_error("code", _("That code does not match. Check the time on your phone and try the newest code."))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=5, border=2),
        "secret": services.totp_secret(device),
        "status": selectors.two_factor_status(user),
        "required": request.session.get(TWO_FACTOR_SESSION_KEY) == ENROL,
    }
    return render(request, "security/two_factor_setup.html", context)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code step after the password, for users with an authenticator."""
    user = acting_user(request)
    if request.session.get(TWO_FACTOR_SESSION_KEY) != VERIFY:
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            request.session.pop(TWO_FACTOR_SESSION_KEY, None)
            return redirect(_safe_next(request))
        form.add_error("code", _("That code is not right, or was already used. Try the newest code from your app."))
    return render(request, "security/two_factor_verify.html", {"form": form, "next": _safe_next(request, "")})


@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes, shown once; POST makes a new set (the old one stops working)."""
    user = acting_user(request)
    status = selectors.two_factor_status(user)
    if request.method == "POST":
        if not status.enabled:
            messages.error(request, _("Set up an authenticator app first."))
            return redirect("security:two-factor")
        request.session[NEW_CODES_SESSION_KEY] = services.backup_codes_regenerate(user=user)
        return redirect("security:backup-codes")
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes and not status.enabled:
        return redirect("security:home")
    return render(request, "security/backup_codes.html", {"codes": codes, "status": status})


@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    status = selectors.two_factor_status(user)
    if not status.enabled:
        return redirect("security:home")
    form = PasswordConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        if selectors.two_factor_required_for(user):
            form.add_error(
                None, _("A workspace you belong to requires two-factor sign-in, so it cannot be switched off.")
            )
        else:
            services.two_factor_disable(user=user)
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("security:home")
    return render(request, "security/two_factor_disable.html", {"form": form})


@require_POST
@login_required
def session_end(request: HttpRequest, ref: str) -> HttpResponse:
    user = acting_user(request)
    session = next((s for s in selectors.user_sessions(user) if str(s.public_id) == str(ref)), None)
    if session is None:
        raise Http404
    if session.session_key == request.session.session_key:
        messages.info(request, _("To end this session, sign out."))
        return redirect("security:home")
    services.session_end(user=user, session=session)
    messages.success(request, _("That session was ended."))
    return redirect("security:home")


@require_POST
@login_required
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    count = services.sessions_end_others(user=acting_user(request), keep_session_key=request.session.session_key)
    messages.success(request, _("Signed out of %(count)d other session(s).") % {"count": count})
    return redirect("security:home")


@require_POST
@capability_required(Capability.USERS_MANAGE)
def policy_update(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = TenantSecurityForm(request.POST, instance=selectors.tenant_policy(tenant))
    if form.is_valid():
        user = acting_user(request)
        policy = services.tenant_security_update(
            tenant=tenant, require_two_factor=form.cleaned_data["require_two_factor"], by=user
        )
        if policy.require_two_factor and not selectors.user_has_two_factor(user):
            request.session[TWO_FACTOR_SESSION_KEY] = ENROL  # the admin sets it up first, right now
        messages.success(request, _("The security policy was saved."))
    return redirect("security:home")


@require_POST
@capability_required(Capability.USERS_MANAGE)
def member_unlock(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = UnlockForm(request.POST)
    if not form.is_valid() or not selectors.is_member_username(tenant, form.cleaned_data["username"]):
        raise Http404  # not a member of this workspace: another workspace's people are not ours to unlock
    services.member_unlock(tenant=tenant, username=form.cleaned_data["username"], by=acting_user(request))
    messages.success(request, _("%(user)s can sign in again.") % {"user": form.cleaned_data["username"]})
    return redirect("security:home")
