"""Pages and endpoints a campaign's recipient reaches without signing in: unsubscribe (a page, and
RFC 8058 one-click POST), the preference page, the open pixel and the click redirect.

Each is found by a signed token naming the tenant (campaigns/tokens.py): a forged or altered token is
a 404, and nothing is read before the tenant context is entered from the verified token.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from campaigns import compliance, content, tokens
from campaigns.forms import PreferencesForm
from campaigns.models import CampaignDelivery, Channel, EventKind
from crm.models import Tenant
from crm.tenancy.context import tenant_context
from customers.models import Contact

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _tenant(tenant_id: int) -> Tenant:
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        raise Http404
    return tenant


def _delivery(data: tokens.TokenData) -> CampaignDelivery:
    # Unscoped within the token's tenant: the visitor is not a user with record visibility.
    delivery = (
        CampaignDelivery.unscoped_objects.filter(tenant_id=data.tenant_id, pk=data.object_id)
        .select_related("campaign", "contact")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no CSRF token
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST unsubscribes, idempotently."""
    data = tokens.read(tokens.UNSUBSCRIBE, token)
    if data is None:
        raise Http404
    tenant = _tenant(data.tenant_id)
    with tenant_context(tenant.pk):
        delivery = _delivery(data)
        context: dict[str, Any] = {"delivery": delivery, "tenant": tenant, "token": token}
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            compliance.delivery_unsubscribe(
                tenant=tenant, delivery=delivery, source="one_click" if one_click else "unsubscribe_link"
            )
            if one_click:
                return HttpResponse(_("Unsubscribed."), content_type="text/plain")
            context["done"] = True
            context["preferences_url"] = tokens.preferences_url(tenant.pk, delivery.contact_id)
        return render(request, "campaigns/public_unsubscribe.html", context)


@never_cache
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    data = tokens.read(tokens.PREFERENCES, token)
    if data is None:
        raise Http404
    tenant = _tenant(data.tenant_id)
    with tenant_context(tenant.pk):
        contact = Contact.unscoped_objects.filter(tenant=tenant, pk=data.object_id).first()
        if contact is None:
            raise Http404
        form = PreferencesForm(
            request.POST or None, initial={"email": contact.email_consent, "sms": contact.sms_consent}
        )
        saved = False
        if request.method == "POST" and form.is_valid():
            for channel, name in ((Channel.EMAIL, "email"), (Channel.SMS, "sms")):
                compliance.consent_set(
                    tenant=tenant, contact=contact, channel=channel, granted=form.cleaned_data[name],
                    source="preference_page",
                )  # fmt: skip
            saved = True
        return render(
            request,
            "campaigns/public_preferences.html",
            {"form": form, "contact": contact, "tenant": tenant, "saved": saved},
        )


@never_cache
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    data = tokens.read(tokens.OPEN, token)
    if data is not None:
        tenant = Tenant.objects.filter(pk=data.tenant_id, is_active=True).first()
        if tenant is not None:
            with tenant_context(tenant.pk):
                delivery = CampaignDelivery.unscoped_objects.filter(tenant=tenant, pk=data.object_id).first()
                if delivery is not None:
                    compliance.event_record(tenant=tenant, delivery=delivery, kind=EventKind.OPEN)
    return HttpResponse(PIXEL, content_type="image/gif")  # the same pixel whatever the token: nothing to learn


@never_cache
def track_click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click and redirect, only to a link that is in the campaign's own body (no open redirect)."""
    data = tokens.read(tokens.CLICK, token)
    if data is None or not data.url:
        raise Http404
    tenant = _tenant(data.tenant_id)
    with tenant_context(tenant.pk):
        delivery = _delivery(data)
        if data.url not in content.campaign_links(delivery.campaign):
            raise Http404
        compliance.event_record(tenant=tenant, delivery=delivery, kind=EventKind.CLICK, url=data.url)
        # A click also proves the email was opened (images are often blocked).
        compliance.event_record(tenant=tenant, delivery=delivery, kind=EventKind.OPEN)
    return HttpResponseRedirect(data.url)
