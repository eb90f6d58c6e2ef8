"""Inbox pages (admins): settings, the list of received messages, one message; and the signed HTTP
endpoint mail providers post raw MIME to."""

from __future__ import annotations

import hmac
import time
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.models import Tenant
from crm.roles import Capability
from crm.secrets import SecretUnreadable
from crm.tenancy.context import tenant_context, visibility_context
from inbox import selectors, services
from inbox.forms import ImapSettingsForm, StatusFilterForm
from inbox.imap import ImapError, imap_connection_test, params_for
from inbox.models import InboundMessage, InboundStatus, InboxSettings, Source
from inbox.parsing import MimeParseError, parse_email

SECRET_SESSION_KEY = "inbox_new_http_secret"  # noqa: S105  (a session key name, not a secret)
SIGNATURE_HEADER = "X-CRM-Signature"
TIMESTAMP_HEADER = "X-CRM-Timestamp"
MAX_CLOCK_SKEW_SECONDS = 300
FORM_FIELDS = ("message", "body-mime", "email", "mime")  # the raw MIME in a form post


def _settings_context(request: HttpRequest, form: ImapSettingsForm, **extra: object) -> dict[str, object]:
    tenant = request.tenant  # type: ignore[attr-defined]
    route = services.inbox_route_for(tenant)
    config = form.instance
    return {
        "form": form,
        "config": config,
        "dropbox_address": services.dropbox_address(route),
        "endpoint_url": request.build_absolute_uri(reverse("inbox:inbound-http", args=[route.token])),
        "new_secret": request.session.pop(SECRET_SESSION_KEY, None),
        "max_bytes": services.max_bytes(),
        **extra,
    }


@capability_required(Capability.TENANT_CONFIGURE)
def settings_page(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    config = services.inbox_settings_for(tenant)
    form = ImapSettingsForm(request.POST or None, instance=config)
    test_result: dict[str, object] | None = None
    if request.method == "POST" and request.POST.get("action") == "test":
        if form.is_valid() or not any(form.errors.get(name) for name in ("imap_host", "imap_port", "imap_username")):
            test_result = _test_connection(form)
        status = 200
    elif request.method == "POST" and form.is_valid():
        services.inbox_imap_update(
            tenant=tenant, data=form.settings_data(), password=form.cleaned_data["password"], by=acting_user(request)
        )
        messages.success(request, _("Mailbox settings saved."))
        return redirect("inbox:settings")
    else:
        status = 200 if request.method == "GET" else 400
    return render(
        request, "inbox/settings.html", _settings_context(request, form, test_result=test_result), status=status
    )


def _test_connection(form: ImapSettingsForm) -> dict[str, object]:
    """Try the settings as typed (the saved password if none was typed); nothing is saved."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    probe = InboxSettings(
        imap_host=data.get("imap_host") or form.instance.imap_host,
        imap_port=data.get("imap_port") or form.instance.imap_port,
        imap_security=data.get("imap_security") or form.instance.imap_security,
        imap_username=data.get("imap_username") or form.instance.imap_username,
        imap_folder=data.get("imap_folder") or form.instance.imap_folder,
        imap_password_encrypted=form.instance.imap_password_encrypted,
    )
    try:
        params = params_for(probe, password=data.get("password") or None)
        return {"ok": True, "message": imap_connection_test(params)}
    except (ImapError, SecretUnreadable) as error:
        return {"ok": False, "message": str(error)}


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def poll_now(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    config = services.inbox_settings_for(tenant)
    if not (config.imap_enabled and config.imap_configured):
        messages.error(request, _("Turn on polling and save the mailbox settings first."))
        return redirect("inbox:settings")
    from inbox.tasks import poll_imap

    transaction.on_commit(lambda: poll_imap.delay(tenant.id))
    messages.success(request, _("Checking the mailbox now; new mail appears in the inbox in a moment."))
    return redirect("inbox:settings")


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def dropbox_regenerate(request: HttpRequest) -> HttpResponse:
    services.inbox_dropbox_regenerate(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("New dropbox address and endpoint URL made; the old ones no longer work."))
    return redirect("inbox:settings")


@require_POST
@capability_required(Capability.TENANT_CONFIGURE)
def secret_regenerate(request: HttpRequest) -> HttpResponse:
    secret = services.inbox_http_secret_regenerate(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
    request.session[SECRET_SESSION_KEY] = secret  # shown on the next page view, then gone
    return redirect("inbox:settings")


@capability_required(Capability.TENANT_CONFIGURE)
def message_list(request: HttpRequest) -> HttpResponse:
    filters = StatusFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    page = Paginator(selectors.inbound_messages(status=status), 50).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "status": status,
        "page": page,
        "statuses": InboundStatus.choices,
    }
    return render(request, "inbox/message_list.html", context)


@object_view(InboundMessage)
@capability_required(Capability.TENANT_CONFIGURE)
def message_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    message = get_object_for_user(selectors.inbound_messages_for_page(), pk)
    if request.GET.get("download") == "eml":  # the original bytes, as received
        return _raw_download(message)
    interaction = message.interaction
    contacts = selectors.contacts_of(interaction) if interaction is not None else []
    reply_url = ""
    if interaction is not None and interaction.contact_id and message.direction == "inbound":
        try:
            reply_url = f"{reverse('mail:compose')}?contact={interaction.contact_id}&reply_to={interaction.pk}"
        except NoReverseMatch:  # outgoing mail is not installed
            reply_url = ""
    context = {
        "message": message,
        "contacts": contacts,
        "stored_attachments": selectors.attachments_of(interaction) if interaction is not None else [],
        "attachments": [] if interaction is not None else _attachments_of(message),
        "reply_url": reply_url,
    }
    return render(request, "inbox/message_detail.html", context)


def _attachments_of(message: InboundMessage) -> list[dict[str, object]]:
    if not message.raw_name or message.status == InboundStatus.REJECTED:
        return []
    try:
        with default_storage.open(message.raw_name, "rb") as handle:
            parsed = parse_email(handle.read())
    except (OSError, MimeParseError):
        return []
    refused = {item["name"]: item["reason"] for item in message.rejected_attachments}
    return [
        {"name": a.filename, "type": a.content_type, "size": a.size, "refused": refused.get(a.filename, "")}
        for a in parsed.attachments
    ]


def _raw_download(message: InboundMessage) -> FileResponse:
    if not message.raw_name or not default_storage.exists(message.raw_name):
        raise Http404
    return FileResponse(
        default_storage.open(message.raw_name, "rb"),
        as_attachment=True,
        filename=f"message-{message.pk}.eml",
        content_type="message/rfc822",
    )


# --- The HTTP endpoint -----------------------------------------------------------------------------


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _raw_from_body(content_type: str, body: bytes) -> bytes | None:
    """The raw MIME a provider posted: the body itself (message/rfc822, text/plain, octet-stream) or
    one form field (multipart/form-data or urlencoded) named message, body-mime, email or mime."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        # Read with the email parser rather than request.POST: no DATA_UPLOAD_MAX_MEMORY_SIZE cap
        # (our own size limit applies) and the bytes stay exactly as signed.
        form = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        if form.is_multipart():
            for part in form.iter_parts():
                if part.get_param("name", header="content-disposition") in FORM_FIELDS:
                    payload = part.get_payload(decode=True)
                    return payload if isinstance(payload, bytes) else None
        return None
    if kind == "application/x-www-form-urlencoded":
        fields = parse_qs(body, keep_blank_values=True)
        for name in FORM_FIELDS:
            values = fields.get(name.encode())
            if values:
                return values[0]
        return None
    return body


@csrf_exempt
@require_POST
def inbound_http(request: HttpRequest, token: str) -> HttpResponse:
    """POST raw MIME, signed: ``X-CRM-Timestamp: <unix seconds>`` and
    ``X-CRM-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` (docs/inbound-email.md)."""
    tenant_id = services.tenant_id_for_token(token)
    if tenant_id is None:
        return _error(404, _("No inbox has this address; check the endpoint URL on the inbox settings page."))
    limit = services.max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(
            413, _("The body is %(size)s bytes; the limit is %(limit)s bytes.") % {"size": declared, "limit": limit}
        )
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, _("The body is over the limit of %(limit)s bytes.") % {"limit": limit})

    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not signature or not timestamp:
        return _error(
            401,
            _("Sign the request: send the %(sig)s and %(ts)s headers.")
            % {"sig": SIGNATURE_HEADER, "ts": TIMESTAMP_HEADER},
        )
    if not timestamp.isdigit():
        return _error(401, _("%(ts)s must be a Unix time in seconds.") % {"ts": TIMESTAMP_HEADER})
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return _error(
            403,
            _("The timestamp is more than 5 minutes away from our clock; a replayed or delayed request is refused."),
        )

    tenant = Tenant.objects.get(pk=tenant_id)
    # The token alone decides the tenant; a signed-in browser's own tenant and record visibility
    # (set by the middleware from its session cookie) must not leak into the ingest.
    with tenant_context(tenant_id), visibility_context(None):
        config = services.inbox_settings_for(tenant)
        try:
            secret = services.http_secret(config)
        except SecretUnreadable:
            secret = ""
        if not secret:
            return _error(403, _("This inbox has no signing secret yet; make one on the inbox settings page."))
        expected = services.signature_for(secret=secret, timestamp=timestamp, body=body)
        if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return _error(
                403, _('The signature does not match the body; sign timestamp + "." + body with the inbox secret.')
            )
        raw = _raw_from_body(request.META.get("CONTENT_TYPE", ""), body)
        if not raw:
            return _error(400, _("No message found: post the raw MIME as the body or in a form field named “message”."))
        result = services.inbound_message_ingest(tenant=tenant, raw=raw, source=Source.HTTP)
    message = result.message
    payload = {"id": message.pk, "status": message.status, "duplicate": not result.created, "reason": message.reason}
    if message.status == InboundStatus.REJECTED:
        return JsonResponse({**payload, "error": message.reason}, status=422)
    return JsonResponse(payload, status=201 if result.created else 200)
