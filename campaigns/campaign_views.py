"""Campaign pages: the list, create / edit, review (preview, test send, schedule or send now), results
with a live progress bar, pause / resume / cancel; the suppression list and the quiet-hours settings."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import compliance, content, selectors, services
from campaigns.audience import segments_available
from campaigns.forms import CampaignForm, QuietHoursForm, ScheduleForm, SuppressionForm, TestSendForm
from campaigns.models import Campaign, CampaignStatus, Channel, DeliveryStatus, Suppression, SuppressionReason
from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.models import Contact


def _tenant(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


def _zone(request: HttpRequest) -> ZoneInfo:
    return ZoneInfo(_tenant(request).time_zone or "UTC")


@capability_required(Capability.CAMPAIGNS_VIEW)
def campaign_index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in CampaignStatus.values:
        status = ""
    page = selectors.campaigns_page(cursor=request.GET.get("after"), status=status)
    context = {"page": page, "status": status, "statuses": CampaignStatus.choices}
    template = "campaigns/campaign_index.html#rows" if request.htmx else "campaigns/campaign_index.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _campaign_form(request: HttpRequest, instance: Campaign | None) -> CampaignForm:
    initial = {} if instance else {"channel": request.GET.get("channel", Channel.EMAIL)}
    return CampaignForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        merge_fields=content.merge_field_names(),
        segment_choices=selectors.segment_choices(),
    )


def _form_page(request: HttpRequest, form: CampaignForm, campaign: Campaign | None) -> HttpResponse:
    return render(
        request,
        "campaigns/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "merge_fields": form.merge_fields,
            "segments_available": segments_available(),
        },
    )


@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = _campaign_form(request, None)
    if request.method == "POST" and form.is_valid():
        campaign = services.campaign_create(tenant=_tenant(request), data=form.campaign_data(), by=acting_user(request))
        messages.success(request, _("Campaign “%(name)s” saved as a draft.") % {"name": campaign.name})
        return redirect("campaigns:review", campaign.pk)
    return _form_page(request, form, None)


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if not campaign.is_editable:
        messages.info(request, _("This campaign has started; it can no longer be changed."))
        return redirect("campaigns:detail", campaign.pk)
    form = _campaign_form(request, campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                tenant=_tenant(request), campaign=campaign, data=form.campaign_data(), by=acting_user(request)
            )
        except services.CampaignStateError as error:
            messages.error(request, str(error))
            return redirect("campaigns:detail", campaign.pk)
        messages.success(request, _("Campaign saved."))
        return redirect("campaigns:review", campaign.pk)
    return _form_page(request, form, campaign)


def _ids(request: HttpRequest, name: str) -> list[int]:
    return sorted({int(value) for value in request.GET.getlist(name) if value.isdigit()})


@capability_required(Capability.CAMPAIGNS_VIEW)
def campaign_audience_count(request: HttpRequest) -> HttpResponse:
    """htmx: the live audience count as the segments and lists are picked."""
    channel = request.GET.get("channel") if request.GET.get("channel") in Channel.values else Channel.EMAIL
    count = selectors.audience_count(
        tenant_id=_tenant(request).pk,
        channel=str(channel),
        segment_ids=_ids(request, "segment_ids"),
        list_ids=_ids(request, "list_ids"),
        exclude_segment_ids=_ids(request, "exclude_segment_ids"),
        exclude_list_ids=_ids(request, "exclude_list_ids"),
    )
    return render(request, "campaigns/_audience_count.html", {"count": count, "channel": channel})


def _preview_contact(request: HttpRequest, campaign: Campaign) -> Contact | None:
    contact_id = request.GET.get("contact")
    if contact_id and contact_id.isdigit():
        return Contact.objects.select_related("account").filter(pk=contact_id).first()
    audience = selectors.audience_sample(campaign)
    return audience


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_VIEW)
def campaign_review(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if not campaign.is_editable:
        return redirect("campaigns:detail", campaign.pk)
    contact = _preview_contact(request, campaign)
    fields = content.custom_fields()
    preview: dict[str, Any] = {}
    if contact is not None:
        if campaign.channel == Channel.SMS:
            preview["sms"] = content.render_sms(campaign=campaign, contact=contact, variant="a", custom_fields=fields)
        else:
            subject, html, text = content.render_email(
                campaign=campaign, contact=contact, variant="a", delivery_id=None, custom_fields=fields, track=False
            )
            preview.update(subject=subject, html=html, text=text)
    count = selectors.audience_count(
        tenant_id=campaign.tenant_id, channel=campaign.channel, segment_ids=campaign.segment_ids,
        list_ids=campaign.list_ids, exclude_segment_ids=campaign.exclude_segment_ids,
        exclude_list_ids=campaign.exclude_list_ids,
    )  # fmt: skip
    zone = _zone(request)
    initial_time = timezone.localtime(campaign.scheduled_at, zone) if campaign.scheduled_at else None
    return render(
        request,
        "campaigns/campaign_review.html",
        {
            "campaign": campaign,
            "preview_contact": contact,
            "preview_choices": _with_first(contact, selectors.preview_choices(campaign)),
            "preview": preview,
            "count": count,
            "problems": selectors.campaign_problems(campaign),
            "schedule_form": ScheduleForm(
                initial={"send_at": initial_time.strftime("%Y-%m-%dT%H:%M") if initial_time else ""}, zone=zone
            ),
            "test_form": TestSendForm(initial={"to": acting_user(request).email}),
            "zone": zone,
        },
    )


def _with_first(contact: Contact | None, choices: list[Any]) -> list[Any]:
    if contact is None or any(choice.pk == contact.pk for choice in choices):
        return choices
    return [contact, *choices]


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:review", campaign.pk)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid email address for the test."))
        return redirect("campaigns:review", campaign.pk)
    contact = _preview_contact(request, campaign) if request.POST.get("contact") else None
    from mail.smtp import MailFailure

    try:
        services.campaign_test_send(
            tenant=_tenant(request), campaign=campaign, to=form.cleaned_data["to"], contact=contact,
            by=acting_user(request),
        )  # fmt: skip
    except (MailFailure, ValueError) as error:
        messages.error(request, _("The test was not sent: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Test sent to %(to)s.") % {"to": form.cleaned_data["to"]})
    return redirect("campaigns:review", campaign.pk)


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:review", campaign.pk)
    problems = selectors.campaign_problems(campaign)
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect("campaigns:review", campaign.pk)
    try:
        services.campaign_send_now(tenant=_tenant(request), campaign=campaign, by=acting_user(request))
    except services.CampaignStateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Sending started."))
    return redirect("campaigns:detail", campaign.pk)


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:review", campaign.pk)
    if request.POST.get("unschedule"):
        services.campaign_unschedule(tenant=_tenant(request), campaign=campaign, by=acting_user(request))
        messages.success(request, _("Schedule removed; the campaign is a draft again."))
        return redirect("campaigns:review", campaign.pk)
    form = ScheduleForm(request.POST, zone=_zone(request))
    problems = selectors.campaign_problems(campaign)
    if not form.is_valid() or problems:
        for problem in problems + [str(e) for errors in form.errors.values() for e in errors]:
            messages.error(request, problem)
        return redirect("campaigns:review", campaign.pk)
    try:
        services.campaign_schedule(
            tenant=_tenant(request), campaign=campaign, at=form.cleaned_data["send_at"], by=acting_user(request)
        )
    except services.CampaignStateError as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", campaign.pk)
    when = timezone.localtime(form.cleaned_data["send_at"], _zone(request)).strftime("%Y-%m-%d %H:%M %Z")
    messages.success(request, _("Scheduled for %(when)s.") % {"when": when})
    return redirect("campaigns:detail", campaign.pk)


def _state_action(request: HttpRequest, pk: int, action: Any, done: str, not_done: str) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:detail", campaign.pk)
    if action(tenant=_tenant(request), campaign=campaign, by=acting_user(request)):
        messages.success(request, done)
    else:
        messages.info(request, not_done)
    return redirect("campaigns:detail", campaign.pk)


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_action(request, pk, services.campaign_pause, _("Paused."), _("Only a sending campaign can pause."))


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_action(request, pk, services.campaign_resume, _("Sending again."), _("It is not paused."))


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_action(
        request, pk, services.campaign_cancel, _("Cancelled: nobody else will get it."), _("It has already finished.")
    )


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:detail", campaign.pk)
    try:
        services.campaign_delete(tenant=_tenant(request), campaign=campaign, by=acting_user(request))
    except services.CampaignStateError as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", campaign.pk)
    messages.success(request, _("Draft “%(name)s” deleted.") % {"name": campaign.name})
    return redirect("campaigns:index")


def _results_context(campaign: Campaign) -> dict[str, Any]:
    from campaigns.services import ab_rates

    return {
        "campaign": campaign,
        "stats": selectors.campaign_stats(campaign),
        "links": selectors.top_links(campaign),
        "variants": ab_rates(campaign) if campaign.ab_enabled else {},
        "failures": selectors.recent_deliveries(campaign, status=DeliveryStatus.FAILED, limit=10),
    }


@object_view(Campaign)
@capability_required(Capability.CAMPAIGNS_VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_for_user(Campaign.objects.select_related("created_by"), pk)
    context = _results_context(campaign)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "campaigns/campaign_detail.html#results", context)
    context["chart"] = selectors.engagement_timeline(campaign)
    context["zone"] = _zone(request)
    return render(request, "campaigns/campaign_detail.html", context)


# --- Suppressions and settings ------------------------------------------------------------------


@capability_required(Capability.CAMPAIGNS_VIEW)
def suppression_index(request: HttpRequest) -> HttpResponse:
    form = SuppressionForm(request.POST or None, region=_tenant(request).country)
    if request.method == "POST":
        if not membership_can(request, Capability.CAMPAIGNS_EDIT):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(Capability.CAMPAIGNS_EDIT)
        if form.is_valid():
            row, created = compliance.suppression_add(
                tenant=_tenant(request), channel=form.cleaned_data["channel"], address=form.cleaned_data["address"],
                reason=SuppressionReason.MANUAL, source=form.cleaned_data["note"], by=acting_user(request),
            )  # fmt: skip
            if created:
                messages.success(request, _("%(address)s will get no campaigns.") % {"address": row.address})
            else:
                messages.info(request, _("%(address)s was already on the list.") % {"address": row.address})
            return redirect("campaigns:suppressions")
    search = request.GET.get("q", "")
    rows, next_cursor = selectors.suppressions_page(search=search, cursor=request.GET.get("after"))
    context = {"form": form, "rows": rows, "next_cursor": next_cursor, "search": search}
    template = "campaigns/suppression_index.html#rows" if request.htmx else "campaigns/suppression_index.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def membership_can(request: HttpRequest, capability: str) -> bool:
    membership = getattr(request, "membership", None)
    return bool(membership and membership.can(capability))


@object_view(Suppression)
@capability_required(Capability.CAMPAIGNS_EDIT)
def suppression_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_for_user(Suppression.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:suppressions")
    compliance.suppression_remove(tenant=_tenant(request), suppression=row, by=acting_user(request))
    messages.success(
        request,
        _("%(address)s removed from the suppression list; campaigns reach it again only with consent.")
        % {"address": row.address},
    )
    return redirect("campaigns:suppressions")


@capability_required(Capability.CAMPAIGNS_EDIT)
def campaign_settings(request: HttpRequest) -> HttpResponse:
    config = selectors.campaign_settings_for(_tenant(request))
    form = QuietHoursForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        services.campaign_settings_save(
            tenant=_tenant(request), start=form.cleaned_data["sms_quiet_start"], end=form.cleaned_data["sms_quiet_end"]
        )
        messages.success(request, _("Quiet hours saved."))
        return redirect("campaigns:settings")
    return render(request, "campaigns/settings.html", {"form": form, "zone": _zone(request)})
