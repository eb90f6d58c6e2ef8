"""SMS pages: settings (admins), compose from the contact page, the message list, and the gateway's callbacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from crm.tenancy.context import tenant_context
from customers.selectors import contacts_for_detail
from sms import selectors, services
from sms.backends import SendResult, SmsError
from sms.callbacks import CallbackRefused, sms_inbound_receive, sms_status_apply, verify_signature
from sms.forms import SmsComposeForm, SmsMessageFilter, SmsSettingsForm, SmsTestForm
from sms.models import SmsCallbackRoute, SmsMessage, SmsSettings
from sms.segments import segment_info

# --- Settings ---------------------------------------------------------------------------------------


def _settings_initial(config: SmsSettings | None) -> dict[str, Any]:
    if config is None:
        return {"backend": "console"}
    return {"backend": config.backend, "gateway_url": config.gateway_url, "sender_id": config.sender_id}


def _settings_page(
    request: HttpRequest,
    *,
    form: SmsSettingsForm | None = None,
    test_form: SmsTestForm | None = None,
    new_secret: str | None = None,
    test_result: SendResult | None = None,
    test_error: str = "",
) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    config = selectors.sms_settings_for(tenant)
    token = selectors.callback_token_for(tenant)
    callback_urls = (
        {
            "status": request.build_absolute_uri(reverse("sms:callback-status", args=[token])),
            "inbound": request.build_absolute_uri(reverse("sms:callback-inbound", args=[token])),
        }
        if token and config
        else None
    )
    context = {
        "config": config,
        "form": form or SmsSettingsForm(tenant=tenant, current=config, initial=_settings_initial(config)),
        "test_form": test_form or SmsTestForm(tenant=tenant),
        "new_secret": new_secret,
        "test_result": test_result,
        "test_error": test_error,
        "callback_urls": callback_urls,
    }
    return render(request, "sms/settings.html", context)


@capability_required(Capability.TENANT_CONFIGURE)
def sms_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    config = selectors.sms_settings_for(tenant)
    form = SmsSettingsForm(request.POST or None, tenant=tenant, current=config, initial=_settings_initial(config))
    if request.method == "POST" and form.is_valid():
        _config, new_secret = services.sms_settings_save(
            tenant=tenant,
            by=acting_user(request),
            backend=form.cleaned_data["backend"],
            gateway_url=form.cleaned_data["gateway_url"],
            gateway_token=form.new_token(),
            sender_id=form.cleaned_data["sender_id"],
        )
        messages.success(request, _("SMS settings saved."))
        if new_secret is None:
            return redirect("sms:settings")
        # Shown in this response only (never stored in plaintext, not even in the session).
        return _settings_page(request, new_secret=new_secret)
    return _settings_page(request, form=form)


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def sms_settings_test(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    test_form = SmsTestForm(request.POST, tenant=tenant)
    if not test_form.is_valid():
        return _settings_page(request, test_form=test_form)
    try:
        result = services.sms_test_send(tenant=tenant, to=test_form.cleaned_data["to"])
    except SmsError as error:
        return _settings_page(request, test_form=test_form, test_error=error.message)
    except ValidationError as error:
        test_form.add_error("to", error)
        return _settings_page(request, test_form=test_form)
    return _settings_page(request, test_form=test_form, test_result=result)


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def sms_settings_secret(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    if selectors.sms_settings_for(tenant) is None:
        messages.error(request, _("Save the SMS settings first."))
        return redirect("sms:settings")
    secret = services.sms_callback_secret_regenerate(tenant=tenant, by=acting_user(request))
    messages.success(request, _("New callback secret and URLs created; the old ones no longer work."))
    return _settings_page(request, new_secret=secret)


# --- Compose ----------------------------------------------------------------------------------------


def _compose_contact(request: HttpRequest) -> Any:
    contact_id = request.POST.get("contact") or request.GET.get("contact")
    if not contact_id:
        raise Http404
    return get_object_for_user(contacts_for_detail(), contact_id)


def _add_service_errors(form: SmsComposeForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@capability_required(Capability.INTERACTIONS_EDIT)
def sms_compose(request: HttpRequest) -> HttpResponse:
    """The compose form for one contact: a full page, or the form alone for the contact page's dialog (htmx)."""
    tenant = request.tenant  # type: ignore[attr-defined]
    contact = _compose_contact(request)
    availability = selectors.sms_availability(tenant=tenant, contact=contact)
    form = SmsComposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.sms_send(
                tenant=tenant,
                to=contact.phone,
                body=form.cleaned_data["body"],
                contact=contact,
                by=acting_user(request),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "SMS to %(name)s queued (%(parts)d part); its delivery status shows on the timeline.",
                    "SMS to %(name)s queued (%(parts)d parts); its delivery status shows on the timeline.",
                    message.segments,
                )
                % {"name": contact.full_name, "parts": message.segments},
            )
            url = reverse("customers:contact-detail", args=[contact.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]
    body = form["body"].value() or ""
    context = {
        "contact": contact,
        "availability": availability,
        "form": form,
        "info": segment_info(services.clean_body(str(body))),
    }
    template = "sms/compose.html#compose-form" if request.htmx else "sms/compose.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_POST
@capability_required(Capability.INTERACTIONS_EDIT)
def sms_counter(request: HttpRequest) -> HttpResponse:
    """The live character and part counter under the message box (htmx, as you type)."""
    info = segment_info(services.clean_body(request.POST.get("body", "")))
    return render(request, "sms/_counter.html", {"info": info})


# --- Messages ---------------------------------------------------------------------------------------


@capability_required(Capability.INTERACTIONS_VIEW)
def sms_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("after", None)
    filters = SmsMessageFilter(params, queryset=selectors.messages_for_list())
    base = filters.qs if filters.is_valid() else SmsMessage.objects.none()
    page = selectors.message_page(base=base, cursor=request.GET.get("after"))
    context = {
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        "filtered": any(value for value in params.values()),
        "configured": selectors.sms_settings_for(request.tenant) is not None,  # type: ignore[attr-defined]
    }
    template = "sms/message_list.html#rows" if request.htmx else "sms/message_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@object_view(SmsMessage)
@capability_required(Capability.INTERACTIONS_VIEW)
def sms_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_for_user(selectors.message_for_detail(), pk)
    template = "sms/message_detail.html#status" if request.htmx else "sms/message_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"message": message})


# --- Gateway callbacks --------------------------------------------------------------------------------


def _callback(request: HttpRequest, token: str, handle: Callable[..., Any]) -> JsonResponse:
    # The global route table names the tenant; nothing of any tenant is read before that.
    route = SmsCallbackRoute.objects.select_related("tenant").filter(token=token).first()
    if route is None or not route.tenant.is_active:
        return JsonResponse({"error": "Unknown callback URL."}, status=404)
    with tenant_context(route.tenant_id):
        config = SmsSettings.objects.filter(tenant=route.tenant).first()
        if config is None:
            return JsonResponse({"error": "SMS is not set up for this workspace."}, status=404)
        try:
            verify_signature(
                config=config,
                timestamp=request.headers.get("X-Sms-Timestamp", ""),
                signature=request.headers.get("X-Sms-Signature", ""),
                body=request.body,
            )
            try:
                payload = json.loads(request.body)
            except ValueError:
                raise CallbackRefused("The body is not JSON.") from None
            if not isinstance(payload, dict):
                raise CallbackRefused("The body must be a JSON object.")
            outcome = handle(tenant=route.tenant, payload=payload)
        except CallbackRefused as refused:
            return JsonResponse({"error": refused.message}, status=refused.status)
    return JsonResponse(outcome)


def _status(**kwargs: Any) -> dict[str, Any]:
    outcome = sms_status_apply(**kwargs)
    return {"ok": True, "status": outcome.message.status, "changed": outcome.changed}


def _inbound(**kwargs: Any) -> dict[str, Any]:
    outcome = sms_inbound_receive(**kwargs)
    return {
        "ok": True,
        "created": outcome.created,
        "matched_contact": outcome.message.contact_id is not None,
        "opted_out": outcome.opted_out,
    }


@csrf_exempt
@require_POST
def callback_status(request: HttpRequest, token: str) -> JsonResponse:
    return _callback(request, token, _status)


@csrf_exempt
@require_POST
def callback_inbound(request: HttpRequest, token: str) -> JsonResponse:
    return _callback(request, token, _inbound)
