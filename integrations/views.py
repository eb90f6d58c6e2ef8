"""Admin pages for API keys and webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from integrations import selectors
from integrations.api_keys import api_key_create, api_key_revoke, api_resources
from integrations.forms import ApiKeyForm, WebhookForm
from integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from integrations.signing import REPLAY_WINDOW_SECONDS
from integrations.webhooks import (
    EVENTS,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_ping,
    webhook_redeliver,
    webhook_secret,
)

DELIVERIES_PER_PAGE = 50


def _add_errors(form: ApiKeyForm | WebhookForm, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@capability_required(Capability.TENANT_CONFIGURE)
def api_key_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = ApiKeyForm(
        request.POST or None, members=selectors.active_members(tenant.pk), resources=api_resources(),
        initial={"user": acting_user(request).pk},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                tenant=tenant, name=form.cleaned_data["name"], user=form.cleaned_data["user"],
                scopes=form.scopes(), expires_at=form.cleaned_data["expires_at"], by=acting_user(request),
            )  # fmt: skip
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # The only time the key is shown: the page says so and nothing stores it in clear.
            response = render(
                request, "integrations/api_key_created.html", {"key": created.key, "plaintext": created.plaintext}
            )
            response["Cache-Control"] = "no-store"
            return response
    keys = list(selectors.api_keys())
    resources = api_resources()
    rows = [(key, [(resources.get(name, name), level) for name, level in sorted(key.scopes.items())]) for key in keys]
    return render(request, "integrations/api_key_list.html", {"rows": rows, "form": form, "now": timezone.now()})


@object_view(ApiKey)
@capability_required(Capability.TENANT_CONFIGURE)
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_for_user(ApiKey.objects.all(), pk)
    if request.method != "POST":  # after the lookup: another workspace's id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    api_key_revoke(tenant=request.tenant, key=key, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(
        request, _("Key “%(name)s” revoked: requests with it are refused from now on.") % {"name": key.name}
    )
    return redirect("integrations:api-keys")


@capability_required(Capability.TENANT_CONFIGURE)
def webhook_list(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/webhook_list.html", {"endpoints": list(selectors.webhook_endpoints())})


@capability_required(Capability.TENANT_CONFIGURE)
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, _secret = webhook_endpoint_create(
                tenant=request.tenant, url=form.cleaned_data["url"], events=form.cleaned_data["events"],  # type: ignore[attr-defined]
                description=form.cleaned_data["description"], by=acting_user(request),
            )  # fmt: skip
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Webhook added. Send a test ping to check your receiver."))
            return redirect("integrations:webhook-detail", endpoint.pk)
    return render(request, "integrations/webhook_form.html", {"form": form})


@object_view(WebhookEndpoint)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_for_user(WebhookEndpoint.objects.all(), pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
               "is_active": endpoint.is_active}  # fmt: skip
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(
                tenant=request.tenant, endpoint=endpoint, url=form.cleaned_data["url"],  # type: ignore[attr-defined]
                events=form.cleaned_data["events"], description=form.cleaned_data["description"],
                is_active=form.cleaned_data["is_active"], by=acting_user(request),
            )  # fmt: skip
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("integrations:webhook-detail", endpoint.pk)
    return render(request, "integrations/webhook_form.html", {"form": form, "endpoint": endpoint})


@object_view(WebhookEndpoint)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_for_user(WebhookEndpoint.objects.all(), pk)
    deliveries = selectors.webhook_deliveries(endpoint)
    before = request.GET.get("before", "")
    if before.isdigit():
        deliveries = deliveries.filter(id__lt=int(before))
    page = list(deliveries[: DELIVERIES_PER_PAGE + 1])
    more = len(page) > DELIVERIES_PER_PAGE
    page = page[:DELIVERIES_PER_PAGE]
    context = {
        "endpoint": endpoint,
        "deliveries": page,
        "next_before": page[-1].pk if more else None,
        "event_labels": [EVENTS.get(event, event) for event in endpoint.events],
        "replay_window": REPLAY_WINDOW_SECONDS,
        "secret": webhook_secret(endpoint) if request.GET.get("reveal") == "secret" else None,
    }
    response = render(request, "integrations/webhook_detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


@object_view(WebhookEndpoint)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_ping_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_for_user(WebhookEndpoint.objects.all(), pk)
    if request.method != "POST":  # after the lookup: another workspace's id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    webhook_ping(tenant=request.tenant, endpoint=endpoint, by=acting_user(request))  # type: ignore[attr-defined]
    messages.info(request, _("Test ping queued; its result appears in the delivery log below."))
    return redirect("integrations:webhook-detail", endpoint.pk)


@object_view(WebhookEndpoint)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_for_user(WebhookEndpoint.objects.all(), pk)
    if request.method != "POST":  # after the lookup: another workspace's id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    webhook_endpoint_rotate_secret(tenant=request.tenant, endpoint=endpoint, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("New signing secret made; deliveries from now on are signed with it."))
    return redirect(reverse("integrations:webhook-detail", args=[endpoint.pk]) + "?reveal=secret")


@object_view(WebhookEndpoint)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_for_user(WebhookEndpoint.objects.all(), pk)
    if request.method != "POST":  # after the lookup: another workspace's id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    webhook_endpoint_delete(tenant=request.tenant, endpoint=endpoint, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Webhook removed."))
    return redirect("integrations:webhooks")


@object_view(WebhookDelivery)
@capability_required(Capability.TENANT_CONFIGURE)
def webhook_redeliver_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_for_user(WebhookDelivery.objects.all(), pk)
    if request.method != "POST":  # after the lookup: another workspace's id is a 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    webhook_redeliver(tenant=request.tenant, delivery=delivery, by=acting_user(request))  # type: ignore[attr-defined]
    messages.info(request, _("Delivery queued again."))
    return redirect("integrations:webhook-detail", delivery.endpoint_id)
