"""Agent pages of the service desk: the ticket list, the ticket workspace, canned responses and queues."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.lists.views import toolbar_context
from crm.roles import Capability
from customers import services as customer_services
from customers.forms import tenant_members
from customers.models import Contact
from service_desk import canned, presence, selectors, services
from service_desk.filters import TicketFilter, preset_views
from service_desk.forms import (
    CannedResponseForm,
    MergeForm,
    MessageForm,
    QueueForm,
    QueueMemberForm,
    TicketCreateForm,
    TicketPanelForm,
)
from service_desk.lists import TICKET_SORTS, TICKETS
from service_desk.models import CannedResponse, MessageKind, Queue, QueueMember, Ticket, TicketAttachment

VIEW, EDIT, CONFIGURE = Capability.TICKETS_VIEW, Capability.TICKETS_EDIT, Capability.TENANT_CONFIGURE


def _add_errors(form: Any, error: ValidationError) -> None:
    """A service's ValidationError, shown next to the fields it names."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --- The list ---------------------------------------------------------------------------------------


@capability_required(VIEW)
def ticket_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("after", None)
    filters = TicketFilter(params, tenant=request.tenant, user=acting_user(request))  # type: ignore[attr-defined]
    base = filters.qs if filters.is_valid() else Ticket.objects.none()
    sort = TICKET_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    page = selectors.ticket_page(cursor=request.GET.get("after"), base=base, sort=sort)
    toolbar = toolbar_context(request, TICKETS, sort)
    context = {
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        "presets": [(key, label, query, query == toolbar["view_query"]) for key, label, query in preset_views()],
        **toolbar,
    }
    template = "service_desk/ticket_list.html#rows" if request.htmx else "service_desk/ticket_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@capability_required(VIEW)
def unassigned_badge(request: HttpRequest) -> HttpResponse:
    """The sidebar's count of open tickets nobody works, fetched after the page (htmx) and refreshed
    every minute, so no page pays a query for it."""
    return render(request, "service_desk/_unassigned_badge.html", {"unassigned": selectors.unassigned_open_count()})


# --- New ticket ----------------------------------------------------------------------------------------


@capability_required(EDIT)
def ticket_create(request: HttpRequest) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    initial: dict[str, Any] = {}
    if request.method == "GET" and request.GET.get("contact"):
        contact = (
            Contact.objects.filter(pk=request.GET["contact"]).first() if request.GET["contact"].isdigit() else None
        )
        initial["contact"] = contact.pk if contact else None
    form = TicketCreateForm(request.POST or None, initial=initial, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                contact = data.get("contact")
                new_contact = form.new_contact_data()
                if new_contact is not None:
                    contact = Contact.objects.filter(email__iexact=new_contact["email"]).first() or (
                        customer_services.contact_create(tenant=tenant, data=new_contact, by=user)
                    )
                ticket = services.ticket_create(
                    tenant=tenant,
                    subject=data["subject"],
                    description=data.get("description", ""),
                    contact=contact,
                    channel=data["channel"],
                    priority=data["priority"],
                    queue=data.get("queue"),
                    assignee=data.get("assignee"),
                    category=data.get("category", ""),
                    tags=data.get("tags") or [],
                    by=user,
                )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Ticket #%(number)s was opened.") % {"number": ticket.number})
            return redirect("service_desk:ticket_detail", pk=ticket.pk)
    return render(request, "service_desk/ticket_form.html", {"form": form})


# --- The ticket page (agent workspace) -----------------------------------------------------------------


def _workspace_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    panel = forms.get("panel") or TicketPanelForm(
        tenant=tenant,
        contact=ticket.contact,
        initial={
            "version": ticket.version, "subject": ticket.subject, "status": ticket.status,
            "priority": ticket.priority, "queue": ticket.queue_id, "assignee": ticket.assignee_id,
            "category": ticket.category, "tags": ", ".join(ticket.tags), "contact": ticket.contact_id,
            "account": ticket.account_id, "deal": ticket.deal_id, "order": ticket.order_id,
        },
    )  # fmt: skip
    return {
        "ticket": ticket,
        "conversation": selectors.conversation(ticket),
        "history": selectors.history(ticket),
        "panel": panel,
        "message_form": forms.get("message_form") or MessageForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "canned_responses": list(CannedResponse.objects.order_by("title").only("id", "title")),
        "mention_handles": [services.mention_handle(member) for member in tenant_members(tenant)],
        "viewers": presence.ticket_presence_touch(tenant_id=tenant.id, ticket_id=ticket.pk, user=acting_user(request)),
        **selectors.customer_context(ticket),
    }


@object_view(Ticket)
@capability_required(VIEW)
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_for_user(selectors.tickets_for_detail(), pk)
    return render(request, "service_desk/ticket_detail.html", _workspace_context(request, ticket))


@object_view(Ticket)
@require_GET
@capability_required(VIEW)
def ticket_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """The collision notice (htmx, every 15 s): marks this agent as viewing the ticket (and typing, when
    the page says so) in the cache and answers who else is. No database write."""
    ticket = get_object_for_user(Ticket.objects.only("id"), pk)
    viewers = presence.ticket_presence_touch(
        tenant_id=request.tenant.id,  # type: ignore[attr-defined]
        ticket_id=ticket.pk,
        user=acting_user(request),
        typing=request.GET.get("typing") == "1",
    )
    return render(request, "service_desk/_presence.html", {"ticket": ticket, "viewers": viewers})


@object_view(Ticket)
@capability_required(EDIT)
def ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The side panel's save: fields checked against the version the agent opened, then the status."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    ticket = get_object_for_user(selectors.tickets_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = TicketPanelForm(request.POST, tenant=tenant, contact=ticket.contact)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version, status = data.pop("version"), data.pop("status")
        try:
            with transaction.atomic():
                updated = services.ticket_update(
                    tenant=tenant, ticket=ticket, data=data, expected_version=version, by=user
                )
                services.ticket_status_change(tenant=tenant, ticket=updated, status=status, by=user)
        except services.ConcurrentEditError as conflict:
            form.add_error(None, str(conflict))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Ticket #%(number)s was saved.") % {"number": ticket.number})
            return redirect("service_desk:ticket_detail", pk=ticket.pk)
    context = _workspace_context(request, ticket, panel=form)
    return render(request, "service_desk/ticket_detail.html", context, status=400)


@object_view(Ticket)
@capability_required(EDIT)
def ticket_message_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply box: a public reply or an internal note, with files, optionally moving the status."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    ticket = get_object_for_user(selectors.tickets_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                message = services.ticket_message_add(
                    tenant=tenant, ticket=ticket, kind=data["kind"], body_text=data["body_text"], by=user,
                    attachments=data.get("attachments") or [],
                )  # fmt: skip
                if data.get("then_status"):
                    services.ticket_status_change(tenant=tenant, ticket=ticket, status=data["then_status"], by=user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            done = _("Reply sent.") if message.kind == MessageKind.REPLY else _("Note added.")
            messages.success(request, done)
            return redirect(f"{reverse('service_desk:ticket_detail', args=[ticket.pk])}#message-{message.pk}")
    context = _workspace_context(request, ticket, message_form=form)
    return render(request, "service_desk/ticket_detail.html", context, status=400)


@object_view(Ticket)
@capability_required(EDIT)
def ticket_take(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Assign to me" in one click."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    ticket = get_object_for_user(Ticket.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.ticket_assign(tenant=tenant, ticket=ticket, assignee=user, by=user)
    messages.success(request, _("Ticket #%(number)s is yours.") % {"number": ticket.number})
    return redirect("service_desk:ticket_detail", pk=ticket.pk)


@object_view(Ticket)
@capability_required(EDIT)
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    ticket = get_object_for_user(selectors.tickets_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MergeForm(request.POST)
    if form.is_valid():
        target = Ticket.objects.filter(number=form.cleaned_data["into"]).first()
        if target is None:
            form.add_error("into", _("There is no ticket #%(number)s.") % {"number": form.cleaned_data["into"]})
        else:
            try:
                services.ticket_merge(tenant=tenant, duplicate=ticket, into=target, by=user)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Ticket #%(from)s was merged into #%(into)s.") % {"from": ticket.number, "into": target.number},
                )
                return redirect("service_desk:ticket_detail", pk=target.pk)
    context = _workspace_context(request, ticket, merge_form=form)
    return render(request, "service_desk/ticket_detail.html", context, status=400)


@object_view(Ticket)
@require_GET
@capability_required(EDIT)
def canned_insert(request: HttpRequest, pk: int) -> HttpResponse:
    """The canned response picker (htmx): the response's text with this ticket's values filled in,
    swapped into the reply box."""
    ticket = get_object_for_user(selectors.tickets_for_detail(), pk)
    response_id = request.GET.get("canned", "")
    chosen = get_object_for_user(CannedResponse.objects.all(), response_id) if response_id else None
    typed = request.GET.get("body_text", "").rstrip()
    text = canned.render_for(text=chosen.body, ticket=ticket, agent=acting_user(request)) if chosen else ""
    text = "\n\n".join(part for part in (typed, text) if part)
    return render(request, "service_desk/_reply_textarea.html", {"text": text, "message_form": MessageForm()})


@object_view(TicketAttachment)
@capability_required(VIEW)
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The only way a ticket file leaves storage: scoped to the tenant."""
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


# --- Canned responses ---------------------------------------------------------------------------------


@capability_required(VIEW)
def canned_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "service_desk/canned_list.html",
        {"responses": list(selectors.canned_responses()), "fields": canned.field_names()},
    )


def _canned_form(request: HttpRequest, instance: CannedResponse | None) -> HttpResponse:
    form = CannedResponseForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.canned_response_save(
                tenant=request.tenant,  # type: ignore[attr-defined]
                canned=instance,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                by=acting_user(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("“%(title)s” was saved.") % {"title": saved.title})
            return redirect("service_desk:canned_list")
    return render(
        request, "service_desk/canned_form.html", {"form": form, "canned": instance, "fields": canned.field_names()}
    )


@capability_required(EDIT)
def canned_create(request: HttpRequest) -> HttpResponse:
    return _canned_form(request, None)


@object_view(CannedResponse)
@capability_required(EDIT)
def canned_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _canned_form(request, get_object_for_user(CannedResponse.objects.all(), pk))


@object_view(CannedResponse)
@capability_required(EDIT)
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_for_user(CannedResponse.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.canned_response_delete(tenant=request.tenant, canned=response)  # type: ignore[attr-defined]
    messages.success(request, _("“%(title)s” was deleted.") % {"title": response.title})
    return redirect("service_desk:canned_list")


# --- Queues -----------------------------------------------------------------------------------------------


@capability_required(CONFIGURE)
def queue_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "service_desk/queue_list.html",
        {"queues": selectors.queues_with_members(), "member_form": QueueMemberForm(tenant=request.tenant)},  # type: ignore[attr-defined]
    )


def _queue_form(request: HttpRequest, queue: Queue | None) -> HttpResponse:
    form = QueueForm(request.POST or None, instance=queue)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.queue_save(
                tenant=request.tenant, queue=queue, name=data["name"], description=data.get("description", ""),  # type: ignore[attr-defined]
                email_address=data.get("email_address", ""), is_default=data.get("is_default", False),
                by=acting_user(request),
            )  # fmt: skip
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Queue “%(name)s” was saved.") % {"name": saved.name})
            return redirect("service_desk:queue_list")
    return render(request, "service_desk/queue_form.html", {"form": form, "queue": queue})


@capability_required(CONFIGURE)
def queue_create(request: HttpRequest) -> HttpResponse:
    return _queue_form(request, None)


@object_view(Queue)
@capability_required(CONFIGURE)
def queue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue_form(request, get_object_for_user(Queue.objects.all(), pk))


@object_view(Queue)
@capability_required(CONFIGURE)
def queue_delete(request: HttpRequest, pk: int) -> HttpResponse:
    queue = get_object_for_user(Queue.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.queue_delete(tenant=request.tenant, queue=queue, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(
        request, _("Queue “%(name)s” was deleted; its tickets stay, without a queue.") % {"name": queue.name}
    )
    return redirect("service_desk:queue_list")


@object_view(Queue)
@capability_required(CONFIGURE)
def queue_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    queue = get_object_for_user(Queue.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = QueueMemberForm(request.POST, tenant=request.tenant)  # type: ignore[attr-defined]
    if form.is_valid():
        services.queue_member_set(
            tenant=request.tenant, queue=queue, user=form.cleaned_data["user"],  # type: ignore[attr-defined]
            is_available=form.cleaned_data["is_available"],
        )  # fmt: skip
        messages.success(request, _("%(who)s works the queue “%(queue)s”.")
                         % {"who": form.cleaned_data["user"].display_name, "queue": queue.name})  # fmt: skip
    else:
        messages.error(request, _("Choose a member of the workspace."))
    return redirect("service_desk:queue_list")


@object_view(QueueMember)
@capability_required(CONFIGURE)
def queue_member_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_for_user(QueueMember.objects.select_related("queue", "user"), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    tenant = request.tenant  # type: ignore[attr-defined]
    services.queue_member_set(tenant=tenant, queue=member.queue, user=member.user, is_available=not member.is_available)
    return redirect("service_desk:queue_list")


@object_view(QueueMember)
@capability_required(CONFIGURE)
def queue_member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_for_user(QueueMember.objects.select_related("queue"), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.queue_member_remove(tenant=request.tenant, queue=member.queue, user_id=member.user_id)  # type: ignore[attr-defined]
    return redirect("service_desk:queue_list")
