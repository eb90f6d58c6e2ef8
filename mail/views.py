"""Mail pages: outgoing settings, templates, compose, and one page per email sent."""

from __future__ import annotations

from typing import Any

import nh3
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.selectors import contacts_for_detail
from interactions.models import Interaction
from mail import merge, selectors, services
from mail.forms import ComposeForm, EmailTemplateForm, MailSettingsForm
from mail.models import EmailTemplate, OutboundEmail, OutboundStatus
from mail.services import MailNotConfigured, NewAttachment


def _tenant(request: HttpRequest) -> Any:
    return request.tenant  # type: ignore[attr-defined]


# --- Sent emails ------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.INTERACTIONS_VIEW)
def outbox(request: HttpRequest) -> HttpResponse:
    context = {"emails": selectors.outbox(), "page_size": selectors.OUTBOX_PAGE_SIZE, "tab": "sent"}
    return render(request, "mail/outbox.html", context)


@object_view(OutboundEmail)
@capability_required(Capability.INTERACTIONS_VIEW)
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_for_user(selectors.outbound_emails_for_detail(), pk)
    attachments = list(email.interaction.attachments.order_by("created_at", "id"))  # type: ignore[attr-defined]
    return render(request, "mail/detail.html", {"email": email, "attachments": attachments, "tab": "sent"})


@object_view(OutboundEmail)
@capability_required(Capability.INTERACTIONS_EDIT)
def email_retry(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_for_user(selectors.outbound_emails_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if services.outbound_email_retry(tenant=_tenant(request), email=email, by=acting_user(request)):
        email.refresh_from_db(fields=["status"])  # without a broker the task has already run
        if email.status == OutboundStatus.SENT:
            messages.success(request, _("The email was sent."))
        elif email.status == OutboundStatus.FAILED:
            messages.error(request, _("The email could not be sent this time either."))
        else:
            messages.success(request, _("The email is queued to be sent again."))
    else:
        messages.info(request, _("This email is not failed; there is nothing to retry."))
    return redirect("mail:detail", email.pk)


# --- Settings ---------------------------------------------------------------------------------


@capability_required(Capability.TENANT_CONFIGURE)
def settings_edit(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    config = selectors.mail_settings_for(tenant)
    form = MailSettingsForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        try:
            services.mail_settings_save(
                tenant=tenant,
                data=form.settings_data(),
                password=form.cleaned_data["password"],
                clear_password=form.cleaned_data["clear_password"],
                by=acting_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Outgoing mail settings saved. Send a test email to check them."))
            return redirect("mail:settings")
    return render(request, "mail/settings.html", {"form": form, "config": config, "tab": "settings"})


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def settings_check(request: HttpRequest) -> HttpResponse:
    try:
        config = services.mail_settings_check_request(tenant=_tenant(request), by=acting_user(request))
    except MailNotConfigured as error:
        messages.error(request, str(error))
        return redirect("mail:settings")
    if request.htmx:  # type: ignore[attr-defined]
        config.refresh_from_db()
        return render(request, "mail/_check_status.html", {"config": config})
    return redirect("mail:settings")


@require_GET
@capability_required(Capability.TENANT_CONFIGURE)
def settings_status(request: HttpRequest) -> HttpResponse:
    config = selectors.mail_settings_for(_tenant(request))
    return render(request, "mail/_check_status.html", {"config": config})


# --- Templates --------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.INTERACTIONS_VIEW)
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "mail/template_list.html", {"templates": selectors.email_templates(), "tab": "templates"})


def _template_page(request: HttpRequest, template: EmailTemplate | None) -> HttpResponse:
    tenant, user = _tenant(request), acting_user(request)
    merge_fields = selectors.merge_field_names()
    form = EmailTemplateForm(request.POST or None, instance=template, merge_fields=merge_fields)
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                saved = services.email_template_create(tenant=tenant, data=form.template_data(), by=user)
            else:
                saved = services.email_template_update(
                    tenant=tenant, template=template, data=form.template_data(), by=user
                )
        except ValueError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
            return redirect("mail:templates")
    context = {
        "form": form,
        "template_obj": template,
        "merge_fields": merge_fields,
        "contacts": selectors.contact_choices(),
        "tab": "templates",
    }
    return render(request, "mail/template_form.html", context)


@capability_required(Capability.INTERACTIONS_EDIT)
def template_create(request: HttpRequest) -> HttpResponse:
    return _template_page(request, None)


@object_view(EmailTemplate)
@capability_required(Capability.INTERACTIONS_EDIT)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _template_page(request, get_object_for_user(selectors.email_templates(), pk))


@object_view(EmailTemplate)
@capability_required(Capability.INTERACTIONS_EDIT)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_for_user(selectors.email_templates(), pk)
    if request.method == "POST":
        services.email_template_delete(tenant=_tenant(request), template=template, by=acting_user(request))
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
        return redirect("mail:templates")
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": template.name,
            "cancel_url": reverse("mail:template-edit", args=[template.pk]),
            "consequences": [_("Emails already sent from it keep their text.")],
        },
    )


@require_POST
@capability_required(Capability.INTERACTIONS_VIEW)
def template_preview(request: HttpRequest) -> HttpResponse:
    """The subject and body as the chosen contact would get them (htmx, from the template form)."""
    merge_fields = selectors.merge_field_names()
    contact = get_object_for_user(contacts_for_detail(), request.POST.get("preview_contact"))
    texts = {name: request.POST.get(name, "") for name in ("subject", "body", "html_body")}
    found = [str(problem) for text in texts.values() for problem in merge.problems(text, allowed=merge_fields)]
    values = selectors.merge_values(contact=contact, user=acting_user(request))
    preview = {
        "subject": merge.render(texts["subject"], values),
        "body": merge.render(texts["body"], values),
        # Cleaned as on save (forms.EmailTemplateForm), so it can be shown inline.
        "html_body": nh3.clean(merge.render(texts["html_body"], values, html=True)),
    }
    return render(request, "mail/_preview.html", {"preview": preview, "problems": found, "contact": contact})


@require_GET
@capability_required(Capability.INTERACTIONS_VIEW)
def contact_options(request: HttpRequest) -> HttpResponse:
    contacts = selectors.contact_choices(request.GET.get("q", ""))
    return render(request, "mail/_contact_options.html", {"contacts": contacts})


# --- Compose ----------------------------------------------------------------------------------


def _optional_interaction(request: HttpRequest, name: str, kind: str, contact: Any) -> Interaction | None:
    value = request.GET.get(name)
    if not value:
        return None
    interaction = get_object_for_user(
        Interaction.objects.filter(kind=kind, contact=contact).select_related("contact", "logged_by"), value
    )
    return interaction


def _template_html(template: EmailTemplate | None, values: dict[str, str], body: str) -> str:
    """The template's HTML version, but only while the plain text is the template's unchanged: an
    edited message must not go out with an HTML part saying something else."""
    if template is None or not template.html_body:
        return ""

    def lines(text: str) -> str:
        return text.replace("\r\n", "\n").strip()

    if lines(merge.render(template.body, values)) != lines(body):
        return ""
    return merge.render(template.html_body, values, html=True)


@capability_required(Capability.INTERACTIONS_EDIT)
def compose(request: HttpRequest) -> HttpResponse:
    tenant, user = _tenant(request), acting_user(request)
    contact = get_object_for_user(contacts_for_detail(), request.GET.get("contact"))
    reply_to = _optional_interaction(request, "reply_to", "email", contact)
    meeting = _optional_interaction(request, "meeting", "meeting", contact)
    meetings = selectors.meetings_to_invite_to(contact)
    if meeting is not None:
        meetings = meetings | Interaction.objects.filter(pk=meeting.pk)
    parent = selectors.parent_headers_for(reply_to) if reply_to else None
    config = selectors.mail_settings_for(tenant)
    merge_fields = selectors.merge_field_names()
    from interactions.attachments import AttachmentRejected, accept_attribute

    initial: dict[str, Any] = {"to": contact.email}
    if parent:
        initial |= {"subject": parent.subject, "body": parent.quoted_body}
    elif meeting:
        initial |= {"subject": meeting.subject, "meeting": meeting.pk}
    form = ComposeForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        merge_fields=merge_fields,
        accept=accept_attribute(),
        meetings=meetings,
    )
    can_send = bool(contact.email) and config is not None
    if request.method == "POST" and can_send and form.is_valid():
        values = selectors.merge_values(contact=contact, user=user)
        data = form.cleaned_data
        uploads = [
            NewAttachment(
                filename=upload.name or "attachment", content_type=upload.content_type or "", content=upload.read()
            )
            for upload in data["attachments"]
        ]
        body = merge.render(data["body"], values)
        html_body = _template_html(data["template"], values, body)
        try:
            email = services.outbound_email_compose(
                tenant=tenant,
                by=user,
                contact=contact,
                to=data["to"],
                cc=data["cc"],
                subject=merge.render(data["subject"], values),
                body=body,
                html_body=html_body,
                attachments=uploads,
                parent=parent,
                meeting=data["meeting"],
                template=data["template"],
            )
        except AttachmentRejected as error:
            form.add_error("attachments", str(error))
        except ValidationError as error:
            form.add_error(None, error)
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            email.refresh_from_db(fields=["status"])  # without a broker the task has already run
            if email.status == OutboundStatus.SENT:
                messages.success(request, _("Your email to %(name)s was sent.") % {"name": contact.full_name})
            elif email.status == OutboundStatus.FAILED:
                messages.error(request, _("Your email to %(name)s could not be sent.") % {"name": contact.full_name})
            else:
                messages.success(request, _("Your email to %(name)s is on its way.") % {"name": contact.full_name})
            return redirect("mail:detail", email.pk)
    context = {
        "form": form,
        "contact": contact,
        "config": config,
        "reply_to": reply_to,
        "parent": parent,
        "has_meetings": meetings.exists(),
        "can_send": can_send,
        "merge_fields": merge_fields,
        "compose_query": request.GET.urlencode(),
        "has_templates": form.fields["template"].queryset.exists(),  # type: ignore[attr-defined]
    }
    return render(request, "mail/compose.html", context)


@require_GET
@capability_required(Capability.INTERACTIONS_EDIT)
def compose_template(request: HttpRequest) -> HttpResponse:
    """The subject and message fields filled from a template for this contact (htmx swap on the compose form)."""
    contact = get_object_for_user(contacts_for_detail(), request.GET.get("contact"))
    form = ComposeForm(merge_fields={})
    template_id = request.GET.get("template")
    if template_id:
        template = get_object_for_user(selectors.email_templates(), template_id)
        values = selectors.merge_values(contact=contact, user=acting_user(request))
        form.initial = {"subject": merge.render(template.subject, values), "body": merge.render(template.body, values)}
    else:
        form.initial = {"subject": request.GET.get("subject", ""), "body": request.GET.get("body", "")}
    return render(request, "mail/_compose_fields.html", {"form": form})
