"""The communication log's pages: quick-log (htmx), the activity feed, detail, edit, delete, files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from crm.timeline import timeline_page
from customers.forms import tenant_members
from customers.models import Contact, Deal
from customers.selectors import contacts_for_detail
from interactions import attachments as files
from interactions import selectors, services
from interactions.forms import LOGGABLE_KINDS, AttachmentUploadForm, InteractionForm, edit_initial
from interactions.models import Direction, Interaction, InteractionAttachment, InteractionKind, SocialChannel
from interactions.selectors import FeedFilters

# Where a quick-log form lives, so the response refreshes the right list next to it.
PLACES = ("contact", "deal", "modal", "page")
FOLLOW_UP_KINDS = (InteractionKind.CALL, InteractionKind.MEETING)
FOLLOW_UP_DELAY = timedelta(days=3)


def _is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a partial (a history restore after "Back" wants the whole page)."""
    return bool(getattr(request, "htmx", False)) and request.headers.get("HX-History-Restore-Request") != "true"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _log_targets(request: HttpRequest) -> tuple[Contact | None, Deal | None]:
    """The contact and/or deal named in the URL, through the scoped selectors (404 if not visible)."""
    contact_id, deal_id = _int(request.GET.get("contact")), _int(request.GET.get("deal"))
    if contact_id is None and deal_id is None:
        raise Http404("a contact or a deal is needed")
    deal = get_object_for_user(Deal.objects.select_related("contact", "account"), deal_id) if deal_id else None
    contact = get_object_for_user(contacts_for_detail(), contact_id) if contact_id else None
    if contact is None and deal is not None:
        contact = deal.contact
    return contact, deal


def follow_up_url(interaction: Interaction, *, next_url: str = "") -> str | None:
    """Helper B's task form, prefilled for a follow-up of this call or meeting; None until that URL exists."""
    try:
        base = reverse("followups:task-create")
    except NoReverseMatch:
        return None
    params: dict[str, Any] = {
        "title": _("Follow up: %(title)s") % {"title": interaction.subject or interaction.get_kind_display()},
        "due": (timezone.localtime() + FOLLOW_UP_DELAY).replace(hour=9, minute=0, second=0, microsecond=0).isoformat(),
    }
    if interaction.contact_id:
        params["contact"] = interaction.contact_id
    if interaction.deal_id:
        params["deal"] = interaction.deal_id
    if interaction.account_id:
        params["account"] = interaction.account_id
    if next_url:
        params["next"] = next_url
    return f"{base}?{urlencode(params)}"


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return ""


def _store_files(request: HttpRequest, interaction: Interaction, uploads: list[Any]) -> None:
    """Store every upload or none (AttachmentRejected rolls the caller's transaction back)."""
    for upload in uploads:
        # Refuse by declared size before reading a huge upload into memory.
        files.checked_content_type(filename=upload.name, content_type=upload.content_type or "", size=upload.size)
        files.attachment_add(
            tenant=request.tenant,  # type: ignore[attr-defined]
            interaction=interaction,
            filename=upload.name,
            content_type=upload.content_type or "",
            content=upload.read(),
        )


@capability_required(Capability.INTERACTIONS_EDIT)
def interaction_log(request: HttpRequest) -> HttpResponse:
    """Quick-log: GET the form (a partial for htmx), POST to log. ?contact= and/or ?deal=, ?kind=, ?place=."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    contact, deal = _log_targets(request)
    kind = request.GET.get("kind", InteractionKind.CALL)
    place = request.GET.get("place", "page") if request.GET.get("place") in PLACES else "page"
    form = InteractionForm(
        request.POST or None, request.FILES or None, tenant=tenant, contact=contact, kind=kind, fixed_deal=deal
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                interaction = services.interaction_log(
                    tenant=tenant, by=user, kind=form.interaction_kind, contact=contact,
                    **{**form.service_arguments(), "deal": deal or form.cleaned_data.get("deal")},
                )  # fmt: skip
                _store_files(request, interaction, form.cleaned_data.get("uploads") or [])
        except ValidationError as refused:
            form.add_service_errors(refused)
        except files.AttachmentRejected as rejected:
            form.add_error("uploads", str(rejected))
        else:
            if not _is_htmx(request):
                messages.success(request, _("%(title)s logged.") % {"title": interaction.title})
                return redirect("interactions:detail", interaction.pk)
            return _logged_response(request, interaction, place=place, contact=contact, deal=deal)
    context = {
        "form": form,
        "contact": contact,
        "deal": deal,
        "place": place,
        "kinds": LOGGABLE_KINDS,
        "form_url": _log_url(contact=contact, deal=deal, kind=form.interaction_kind, place=place),
    }
    if _is_htmx(request):
        return render(request, "interactions/_log_form.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "interactions/log_page.html", context, status=status)


def _log_url(*, contact: Contact | None, deal: Deal | None, kind: str, place: str) -> str:
    params: dict[str, Any] = {"kind": kind, "place": place}
    if contact is not None:
        params["contact"] = contact.pk
    if deal is not None:
        params["deal"] = deal.pk
    return f"{reverse('interactions:log')}?{urlencode(params)}"


def _logged_response(
    request: HttpRequest, interaction: Interaction, *, place: str, contact: Contact | None, deal: Deal | None
) -> HttpResponse:
    """The "logged" note in place of the form, plus the refreshed list beside it (htmx out-of-band)."""
    back = request.headers.get("HX-Current-URL", "")
    context: dict[str, Any] = {
        "interaction": interaction,
        "place": place,
        "follow_up_url": follow_up_url(interaction, next_url=_safe_next(request, back))
        if interaction.kind in FOLLOW_UP_KINDS
        else None,
        "again_url": _log_url(contact=contact, deal=deal, kind=interaction.kind, place=place),
    }
    if place == "contact" and contact is not None:
        context["timeline"] = timeline_page(contact=contact)
        context["timeline_url"] = reverse("customers:contact-timeline", args=[contact.pk])
    if place == "deal" and deal is not None:
        context["deal"] = deal
        context["deal_interactions"] = selectors.deal_interactions(deal)
    response = render(request, "interactions/_logged.html", context)
    response["HX-Trigger"] = "interaction-logged"
    return response


def _feed_filters(request: HttpRequest) -> tuple[FeedFilters, dict[str, str]]:
    """The feed's filters from the query string; values that do not parse are dropped (and reported)."""
    from datetime import date

    errors: dict[str, str] = {}
    get = request.GET

    def choice(name: str, values: list[str]) -> str:
        value = get.get(name, "")
        if value and value not in values:
            errors[name] = _("Unknown value.")
            return ""
        return value

    def day(name: str) -> date | None:
        value = get.get(name, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors[name] = _("Use a date like 2026-01-31.")
            return None

    logged_by = get.get("logged_by", "")
    logged_by_id = acting_user(request).pk if logged_by == "me" else _int(logged_by)
    if logged_by and logged_by_id is None:
        errors["logged_by"] = _("Unknown value.")
    filters = FeedFilters(
        kind=choice("kind", InteractionKind.values),
        direction=choice("direction", Direction.values),
        channel=choice("channel", SocialChannel.values),
        logged_by=logged_by_id,
        contact_query=get.get("q", "").strip()[:100],
        contact_id=_int(get.get("contact")),
        deal_id=_int(get.get("deal")),
        date_from=day("from"),
        date_to=day("to"),
    )
    return filters, errors


@require_GET
@capability_required(Capability.INTERACTIONS_VIEW)
def feed(request: HttpRequest) -> HttpResponse:
    """Everything logged in the workspace that this user may see, newest first, filterable."""
    tenant = request.tenant  # type: ignore[attr-defined]
    filters, errors = _feed_filters(request)
    region = tenant.country or "US"
    page = selectors.feed_page(filters, cursor=request.GET.get("after"), region=region)
    params = request.GET.copy()
    params.pop("after", None)
    context = {
        "page": page,
        "filters": filters,
        "errors": errors,
        "params": params.urlencode(),
        "data": request.GET,
        "kinds": InteractionKind.choices,
        "directions": Direction.choices,
        "channels": SocialChannel.choices,
        "members": tenant_members(tenant),
    }
    template = "interactions/feed.html#rows" if _is_htmx(request) and request.GET.get("after") else None
    if _is_htmx(request) and not template:
        template = "interactions/feed.html#list"
    return render(request, template or "interactions/feed.html", context)


@object_view(Interaction)
@capability_required(Capability.INTERACTIONS_VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_object_for_user(selectors.interactions_for_detail(), pk)
    context = {
        "interaction": interaction,
        "upload_form": AttachmentUploadForm(),
        "follow_up_url": follow_up_url(interaction, next_url=request.get_full_path())
        if interaction.kind in FOLLOW_UP_KINDS
        else None,
        "max_bytes": files.max_bytes(),
    }
    return render(request, "interactions/detail.html", context)


@object_view(Interaction)
@capability_required(Capability.INTERACTIONS_EDIT)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    interaction = get_object_for_user(selectors.interactions_for_detail(), pk)
    form = InteractionForm(
        request.POST or None,
        tenant=tenant,
        contact=interaction.contact,
        kind=interaction.kind,
        initial=edit_initial(interaction),
        with_files=False,
        current_deal_id=interaction.deal_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(tenant=tenant, interaction=interaction, by=user, **form.service_arguments())
        except ValidationError as refused:
            form.add_service_errors(refused)
        else:
            messages.success(request, _("Saved."))
            return redirect("interactions:detail", interaction.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "interactions/edit.html", {"form": form, "interaction": interaction}, status=status)


@object_view(Interaction)
@capability_required(Capability.INTERACTIONS_EDIT)
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_object_for_user(selectors.interactions_for_detail(), pk)
    back = (
        reverse("customers:contact-detail", args=[interaction.contact_id])
        if interaction.contact_id
        else reverse("interactions:feed")
    )
    if request.method == "POST":
        services.interaction_delete(tenant=request.tenant, interaction=interaction, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("%(title)s was deleted.") % {"title": interaction.title})
        return redirect(back)
    count = len(interaction.attachments.all())
    consequences = [_("It disappears from the timeline and the activity feed.")]
    if count:
        consequences.append(
            _("Its %(n)d attached file(s) are deleted with it.") % {"n": count},
        )
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": interaction.title,
            "cancel_url": reverse("interactions:detail", args=[interaction.pk]),
            "consequences": consequences,
        },
    )


@object_view(Interaction)
@capability_required(Capability.INTERACTIONS_EDIT)
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_object_for_user(selectors.interactions_for_detail(), pk)
    if request.method != "POST":  # the form lives on the detail page
        return redirect("interactions:detail", interaction.pk)
    form = AttachmentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploads = form.cleaned_data["uploads"]
        try:
            with transaction.atomic():
                _store_files(request, interaction, uploads)
        except files.AttachmentRejected as rejected:
            form.add_error("uploads", str(rejected))
        else:
            if uploads:
                messages.success(request, _("%(n)d file(s) attached.") % {"n": len(uploads)})
                return redirect("interactions:detail", interaction.pk)
            form.add_error("uploads", _("Choose a file to attach."))
    context = {"interaction": interaction, "upload_form": form, "max_bytes": files.max_bytes()}
    return render(request, "interactions/detail.html", context, status=400)


@require_GET
@object_view(InteractionAttachment)
@capability_required(Capability.INTERACTIONS_VIEW)
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The only way a file leaves storage: scoped to the tenant and the interaction's visibility."""
    attachment = get_object_for_user(selectors.attachments_for_user(), pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = attachment.content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@object_view(InteractionAttachment)
@capability_required(Capability.INTERACTIONS_EDIT)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_for_user(selectors.attachments_for_user(), pk)
    back = reverse("interactions:detail", args=[attachment.interaction_id])
    if request.method == "POST":
        files.attachment_delete(tenant=request.tenant, attachment=attachment)  # type: ignore[attr-defined]
        messages.success(request, _("%(name)s was removed.") % {"name": attachment.filename})
        return redirect(back)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": attachment.filename,
            "cancel_url": back,
            "consequences": [_("The file is deleted; the interaction stays.")],
        },
    )
