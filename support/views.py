"""Pages of the customer channels.

Public (no sign-in): the web form per workspace, the ticket portal and the survey, both opened by a
signed token that names the workspace; everything else is loaded inside that workspace only, and a
bad token is a 404 like a missing ticket. Signed in: the settings (admins) and the CSAT report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.models import Tenant
from crm.roles import Capability
from crm.tenancy.context import tenant_context, visibility_context
from service_desk.models import MessageKind, Ticket, TicketAttachment, TicketStatus
from support import selectors, services
from support.forms import PortalReplyForm, SupportSettingsForm, SurveyForm, WebTicketForm
from support.models import ClosedReplyPolicy, CsatSurvey, NpsResponse, NpsSurvey, SurveyStatus
from support.tokens import portal_token, portal_token_read, survey_token_read

FORM_RATE_PER_IP = getattr(settings, "SUPPORT_FORM_RATE_PER_IP", "10/h")
FORM_RATE_PER_EMAIL = getattr(settings, "SUPPORT_FORM_RATE_PER_EMAIL", "3/h")
PORTAL_RATE_PER_TICKET = getattr(settings, "SUPPORT_PORTAL_RATE", "30/h")


@contextmanager
def _as_tenant(tenant_id: int) -> Iterator[None]:
    with tenant_context(tenant_id), visibility_context(None):
        yield


def _public_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    if tenant is None:
        raise Http404
    return tenant


def _email_key(group: str, request: HttpRequest) -> str:
    return str(request.POST.get("email", "")).strip().lower() or "-"


# --- Web form ----------------------------------------------------------------------------------------


def web_form(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _public_tenant(slug)
    with _as_tenant(tenant.pk):
        if not services.support_settings_for(tenant).web_form_enabled:
            raise Http404
        form = WebTicketForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            if form.is_bot:  # answer as if it worked: a bot learns nothing, nobody gets a ticket
                return redirect("support:web-form-sent", slug=slug)
            limited_ip = is_ratelimited(
                request, group="support.form.ip", key="ip", rate=FORM_RATE_PER_IP, method="POST", increment=True
            )
            limited_email = is_ratelimited(
                request, group="support.form.email", key=_email_key, rate=FORM_RATE_PER_EMAIL, method="POST",
                increment=True,
            )  # fmt: skip
            if limited_ip or limited_email:
                form.add_error(
                    None,
                    _("We received several requests from you in a short time. Please wait an hour and try again, "
                      "or answer the email we sent about your earlier request."),
                )  # fmt: skip
                status = 429
            elif form.is_valid():
                data = form.cleaned_data
                try:
                    services.web_form_ticket_create(
                        tenant=tenant, name=data["name"], email=data["email"], subject=data["subject"],
                        message=data["message"], attachments=[data["attachment"]] if data["attachment"] else [],
                    )  # fmt: skip
                except ValidationError as error:
                    form.add_error(None, error)
                    status = 400
                else:
                    return redirect("support:web-form-sent", slug=slug)
            else:
                status = 400
        return render(request, "support/web_form.html", {"form": form, "tenant": tenant}, status=status)


@require_GET
def web_form_sent(request: HttpRequest, slug: str) -> HttpResponse:
    tenant = _public_tenant(slug)
    return render(request, "support/web_form_sent.html", {"tenant": tenant})


# --- Portal -----------------------------------------------------------------------------------------------


def _portal_ticket(token: str) -> tuple[int, int]:
    """(tenant id, ticket id) of a genuine token of an active workspace; anything else is a 404."""
    found = portal_token_read(token)
    if found is None:
        raise Http404
    tenant_id, ticket_id = found
    if not Tenant.objects.filter(pk=tenant_id, is_active=True).exists():
        raise Http404
    return tenant_id, ticket_id


def portal(request: HttpRequest, token: str) -> HttpResponse:
    tenant_id, ticket_id = _portal_ticket(token)
    with _as_tenant(tenant_id):
        ticket = Ticket.objects.select_related("queue").filter(pk=ticket_id).first()
        if ticket is None:
            raise Http404
        if ticket.merged_into_id:  # the conversation goes on in the ticket it was merged into
            return redirect("support:portal", token=portal_token(tenant_id=tenant_id, ticket_id=ticket.merged_into_id))
        tenant = Tenant.objects.get(pk=tenant_id)
        form = PortalReplyForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            if is_ratelimited(
                request, group="support.portal", key=lambda g, r: token, rate=PORTAL_RATE_PER_TICKET, method="POST",
                increment=True,
            ):  # fmt: skip
                form.add_error(None, _("Too many replies in a short time. Please wait a little and try again."))
                status = 429
            elif form.is_valid():
                attachment = form.cleaned_data["attachment"]
                try:
                    entry = services.customer_message_add(
                        tenant=tenant, ticket=ticket, body_text=form.cleaned_data["body"],
                        from_address=ticket.requester_email, attachments=[attachment] if attachment else [],
                        channel=ticket.channel,
                    )  # fmt: skip
                except ValidationError as error:
                    form.add_error(None, error)
                    status = 400
                else:
                    if entry.ticket_id != ticket.pk:
                        messages.success(request, _("Your ticket was closed, so we opened a new one for your reply."))
                    else:
                        messages.success(request, _("Thank you, your reply was added."))
                    new_token = portal_token(tenant_id=tenant_id, ticket_id=entry.ticket_id)
                    return redirect(f"{reverse('support:portal', args=[new_token])}#message-{entry.pk}")
            else:
                status = 400
        closed_policy = services.support_settings_for(tenant).closed_reply_policy
        context = {
            "tenant": tenant,
            "ticket": ticket,
            "token": token,
            "entries": list(selectors.public_messages(ticket)),
            "form": form,
            "closed_follow_up": ticket.status == TicketStatus.CLOSED and closed_policy == ClosedReplyPolicy.FOLLOW_UP,
        }
        return render(request, "support/portal.html", context, status=status)


@require_GET
def portal_file(request: HttpRequest, token: str, number: str) -> FileResponse:
    """A file of the public conversation only: an internal note's file is a 404 here."""
    tenant_id, ticket_id = _portal_ticket(token)
    if not number.isdigit():
        raise Http404
    pk = int(number)
    with _as_tenant(tenant_id):
        attachment = (
            TicketAttachment.objects.filter(
                pk=pk, message__ticket_id=ticket_id, message__kind__in=(MessageKind.CUSTOMER, MessageKind.REPLY)
            )
            .only("file", "filename", "content_type")
            .first()
        )
        if attachment is None:
            raise Http404
        response = FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Survey ------------------------------------------------------------------------------------------------


def survey(request: HttpRequest, token: str) -> HttpResponse:
    found = survey_token_read(token)
    if found is None:
        raise Http404
    tenant_id, survey_id = found
    if not Tenant.objects.filter(pk=tenant_id, is_active=True).exists():
        raise Http404
    with _as_tenant(tenant_id):
        entry = CsatSurvey.objects.select_related("ticket", "tenant").filter(pk=survey_id).first()
        if entry is None or entry.status == SurveyStatus.SKIPPED:
            raise Http404
        context: dict[str, object] = {"survey": entry, "tenant": entry.tenant, "ticket": entry.ticket}
        if entry.answered_at is not None:
            return render(request, "support/survey_done.html", {**context, "already": True})
        initial = (
            {"rating": request.GET.get("rating")} if request.GET.get("rating") in ("1", "2", "3", "4", "5") else {}
        )
        form = SurveyForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            recorded = services.csat_answer(
                tenant=entry.tenant, survey=entry, rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )  # fmt: skip
            return render(request, "support/survey_done.html", {**context, "already": not recorded})
        status = 400 if request.method == "POST" else 200
        return render(request, "support/survey.html", {**context, "form": form}, status=status)


# --- Signed-in pages -------------------------------------------------------------------------------------


@capability_required(Capability.TENANT_CONFIGURE)
def settings_page(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    config = services.support_settings_for(tenant)
    form = SupportSettingsForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        services.support_settings_save(tenant=tenant, data=form.settings_data(), by=acting_user(request))
        messages.success(request, _("Support settings saved."))
        return redirect("support:settings")
    from service_desk.models import Queue

    context = {
        "form": form,
        "web_form_url": request.build_absolute_uri(reverse("support:web-form", args=[tenant.slug])),
        "dropbox_address": selectors.support_dropbox_address(tenant),
        "queues": list(Queue.objects.exclude(email_address="").order_by("name")),
    }
    return render(request, "support/settings.html", context, status=400 if request.method == "POST" else 200)


@capability_required(Capability.TICKETS_VIEW)
def satisfaction(request: HttpRequest) -> HttpResponse:
    report = selectors.csat_report(
        tenant=request.tenant,  # type: ignore[attr-defined]
        no_agent=_("Unassigned"),
        no_queue=_("No queue"),
    )
    return render(request, "support/satisfaction.html", {"report": report})


# --- NPS surveys -----------------------------------------------------------------------------------------------

NPS_LIST_SIZE = 50


@capability_required(Capability.TICKETS_VIEW)
def nps_list(request: HttpRequest) -> HttpResponse:
    """The newest surveys (a workspace sends a handful a year, so one page of 50 is the whole list), and
    the form to send one (marketing rights)."""
    from support.forms import NpsSurveyForm
    from support.models import NpsSurvey
    from support.nps import nps_survey_create

    membership = request.membership  # type: ignore[attr-defined]
    can_send = membership.can(Capability.CAMPAIGNS_EDIT)
    form = NpsSurveyForm(request.POST or None) if can_send else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(Capability.CAMPAIGNS_EDIT)
        if form.is_valid():
            survey = nps_survey_create(
                tenant=request.tenant,  # type: ignore[attr-defined]
                name=form.cleaned_data["name"], question=form.cleaned_data["question"],
                segment=form.cleaned_data["segment"], by=acting_user(request),
            )  # fmt: skip
            messages.success(request, _("The survey is being sent."))
            return redirect("support:nps-detail", pk=survey.pk)
    surveys = list(NpsSurvey.objects.select_related("created_by").order_by("-created_at", "-id")[:NPS_LIST_SIZE])
    status = 400 if request.method == "POST" else 200
    return render(request, "support/nps_list.html", {"surveys": surveys, "form": form}, status=status)


@object_view(NpsSurvey)
@capability_required(Capability.TICKETS_VIEW)
def nps_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from support.nps import nps_result

    survey = get_object_for_user(NpsSurvey.objects.select_related("created_by"), pk)
    comments = list(
        NpsResponse.objects.filter(survey=survey, answered_at__isnull=False)
        .exclude(comment="")
        .select_related("contact")
        .order_by("-answered_at", "-id")[:20]
    )
    context = {"survey": survey, "result": nps_result(survey), "comments": comments}
    template = "support/nps_detail.html#progress" if request.htmx else "support/nps_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def nps_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    from support.forms import NpsAnswerForm
    from support.nps import nps_answer
    from support.tokens import nps_token_read

    found = nps_token_read(token)
    if found is None:
        raise Http404
    tenant_id, response_id = found
    if not Tenant.objects.filter(pk=tenant_id, is_active=True).exists():
        raise Http404
    with _as_tenant(tenant_id):
        response = NpsResponse.objects.select_related("survey", "tenant").filter(pk=response_id).first()
        if response is None:
            raise Http404
        context: dict[str, object] = {"response": response, "survey": response.survey, "tenant": response.tenant}
        if response.answered_at is not None:
            return render(request, "support/survey_done.html", {**context, "already": True})
        preset = request.GET.get("score", "")
        form = NpsAnswerForm(request.POST or None, initial={"score": preset} if preset.isdigit() else {})
        if request.method == "POST" and form.is_valid():
            recorded = nps_answer(
                response=response, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
            return render(request, "support/survey_done.html", {**context, "already": not recorded})
        status = 400 if request.method == "POST" else 200
        return render(request, "support/nps_answer.html", {**context, "form": form}, status=status)
