"""The contact import wizard: upload, map columns, preview (dry run), run with progress, result and report."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from crm.tenancy.context import tenant_context
from customers.custom_fields.selectors import active_custom_fields
from customers.exports import neutralise
from customers.models import CustomFieldEntity
from imports import selectors, services
from imports.forms import MappingForm, UploadForm, max_upload_bytes, too_large_message
from imports.mapping import STANDARD_TARGETS, targets_for
from imports.models import ContactImport, ImportStatus
from imports.reader import ImportFileError, column_label, column_letter
from imports.services import PREVIEW_ROWS, cleaned_rows, row_cleaner
from workspace import field_access

HISTORY_SHOWN = 50


def _get_import(request: HttpRequest, pk: int) -> ContactImport:
    return get_object_for_user(ContactImport.objects.select_related("created_by"), pk)


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("Accept", "")


@require_GET
@capability_required(Capability.CUSTOMERS_EDIT)
def import_list(request: HttpRequest) -> HttpResponse:
    imports = list(selectors.imports_for_list()[:HISTORY_SHOWN])
    return render(request, "imports/import_list.html", {"imports": imports})


@capability_required(Capability.CUSTOMERS_EDIT)
def import_new(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        # Refuse an oversized body before Django reads it (the multipart overhead is small).
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > max_upload_bytes() + 64 * 1024:
            if not _wants_html(request):
                return HttpResponse(too_large_message(None), status=413, content_type="text/plain; charset=utf-8")
            form = UploadForm()
            form.add_error(None, too_large_message(None))
            return render(
                request, "imports/import_new.html", {"form": form, "max_size": max_upload_bytes()}, status=413
            )
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                contact_import = services.contact_import_create(
                    tenant=request.tenant,  # type: ignore[attr-defined]
                    upload=form.cleaned_data["file"],
                    by=acting_user(request),
                )
            except ImportFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect("imports:map", pk=contact_import.pk)
        too_large = any(error.code == "too_large" for error in form.errors.as_data().get("file", []))
        status = 413 if too_large and not _wants_html(request) else 400
        return render(request, "imports/import_new.html", {"form": form, "max_size": max_upload_bytes()}, status=status)
    return render(request, "imports/import_new.html", {"form": UploadForm(), "max_size": max_upload_bytes()})


@object_view(ContactImport)
@capability_required(Capability.CUSTOMERS_EDIT)
def import_map(request: HttpRequest, pk: int) -> HttpResponseBase:
    contact_import = _get_import(request, pk)
    if contact_import.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED) or (
        contact_import.row_cursor
    ):
        return redirect("imports:detail", pk=contact_import.pk)
    targets = targets_for(active_custom_fields(CustomFieldEntity.CONTACT))
    locked = field_access.locked_fields(request, field_access.CONTACT)  # the role may not write these
    targets = [target for target in targets if target.value not in locked]
    headers = list(contact_import.headers)
    initial: dict[str, Any] = {"mode": contact_import.mode, "source_system": contact_import.source_system}
    initial.update({f"col_{index}": target for index, target in enumerate(contact_import.mapping)})
    form = MappingForm(request.POST or None, initial=initial, headers=headers, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_import_map(
                tenant=request.tenant,  # type: ignore[attr-defined]
                contact_import=contact_import,
                mapping=form.mapping(),
                mode=form.cleaned_data["mode"],
                source_system=form.cleaned_data["source_system"].strip(),
                by=acting_user(request),
            )
        except ValueError as error:
            messages.error(request, str(error))
        return redirect("imports:detail", pk=contact_import.pk)
    samples = _sample_columns(contact_import, len(headers))
    context = {
        "contact_import": contact_import,
        "form": form,
        "columns": [
            {"field": field, "letter": column_letter(index), "samples": samples[index]}
            for index, field in enumerate(form.column_fields())
        ],
        "suggested": sum(1 for target in contact_import.mapping if target),
    }
    return render(request, "imports/import_map.html", context, status=400 if form.errors else 200)


def _sample_columns(contact_import: ContactImport, width: int) -> list[list[str]]:
    """The first three values of every column, to recognise it by."""
    from imports.reader import iter_data_rows

    samples: list[list[str]] = [[] for _ in range(width)]
    try:
        with contact_import.file.open("rb") as stream:
            for count, (_number, cells) in enumerate(iter_data_rows(stream, services._layout(contact_import))):
                if count >= 3:
                    break
                for index in range(min(width, len(cells))):
                    if cells[index]:
                        samples[index].append(cells[index][:40])
    except (ImportFileError, OSError):
        pass
    return samples


def _preview(request: HttpRequest, contact_import: ContactImport) -> dict[str, Any]:
    """The first rows as they will be stored, each error in its cell, and the dry run's outcome per row."""
    labels = {value: str(label) for value, label in STANDARD_TARGETS}
    custom_labels = {f"cf:{field.key}": field.label for field in active_custom_fields(CustomFieldEntity.CONTACT)}
    headers = list(contact_import.headers)
    columns = [
        {
            "index": index,
            "header": column_label(headers, index),
            "target": labels.get(target) or custom_labels.get(target, target),
        }
        for index, target in enumerate(contact_import.mapping)
        if target
    ]
    outcomes = {outcome["row"]: outcome for outcome in contact_import.check_result.get("outcomes", [])}
    rows = []
    cleaner = row_cleaner(contact_import, request.tenant)  # type: ignore[attr-defined]
    with contact_import.file.open("rb") as stream:
        for row in cleaned_rows(contact_import, stream, cleaner, limit=PREVIEW_ROWS):
            cells = []
            for column in columns:
                target = contact_import.mapping[int(column["index"])]
                index = int(column["index"])
                cells.append({"value": _stored(row, target), "error": row.cell_errors.get(index, "")})
            outcome = outcomes.get(row.number, {})
            row_errors = [
                error["reason"]
                for error in outcome.get("errors", [])
                if error.get("column", "") == "" or error["reason"] not in row.cell_errors.values()
            ]
            rows.append(
                {"number": row.number, "cells": cells, "action": outcome.get("action", ""), "reasons": row_errors}
            )
    return {"columns": columns, "rows": rows}


def _stored(row: Any, target: str) -> str:
    if target == "tags":
        return ", ".join(row.tags or [])
    if target.startswith("cf:"):
        value = (row.custom or {}).get(target[3:])
        return "" if value is None else "; ".join(value) if isinstance(value, list) else str(value)
    if target == "full_name":
        return " / ".join(filter(None, [row.values.get("first_name", ""), row.values.get("last_name", "")]))
    value = row.values.get(target)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "" if value is None else str(value)


@object_view(ContactImport)
@capability_required(Capability.CUSTOMERS_EDIT)
def import_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    contact_import = _get_import(request, pk)
    if contact_import.status == ImportStatus.UPLOADED:
        return redirect("imports:map", pk=contact_import.pk)
    context: dict[str, Any] = {"contact_import": contact_import, "imp": contact_import}
    if request.htmx:  # type: ignore[attr-defined]
        if contact_import.working:
            return render(request, "imports/import_detail.html#progress", context)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # finished: the whole page changes (preview or result)
        return response
    if contact_import.status == ImportStatus.CHECKED:
        try:
            context["preview"] = _preview(request, contact_import)
        except ImportFileError as error:
            context["preview_error"] = str(error)
    if contact_import.finished:
        context["rejections"] = list(selectors.import_rejections(contact_import)[:20])
    return render(request, "imports/import_detail.html", context)


@object_view(ContactImport)
@capability_required(Capability.CUSTOMERS_EDIT)
def import_start(request: HttpRequest, pk: int) -> HttpResponseBase:
    contact_import = _get_import(request, pk)  # first: another tenant's import is a 404 for every method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.contact_import_start(
            tenant=request.tenant,  # type: ignore[attr-defined]
            contact_import=contact_import,
            by=acting_user(request),
        )
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("imports:detail", pk=contact_import.pk)


@object_view(ContactImport)
@capability_required(Capability.CUSTOMERS_EDIT)
def import_undo(request: HttpRequest, pk: int) -> HttpResponseBase:
    contact_import = _get_import(request, pk)  # first: another tenant's import is a 404 for every method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.contact_import_undo(
            tenant=request.tenant,  # type: ignore[attr-defined]
            contact_import=contact_import,
            by=acting_user(request),
        )
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("imports:detail", pk=contact_import.pk)


@require_GET
@object_view(ContactImport)
@capability_required(Capability.CUSTOMERS_EDIT)
def import_report(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every rejected row as CSV: row, column, value, reason; cells a spreadsheet would run are neutralised."""
    contact_import = _get_import(request, pk)
    rejections = selectors.import_rejections(contact_import).values_list("row_number", "column", "value", "reason")

    class Echo:
        def write(self, value: str) -> str:
            return value

    tenant_id = contact_import.tenant_id

    def lines() -> Iterator[str]:
        writer = csv.writer(Echo())
        yield "\ufeff" + writer.writerow([_("Row"), _("Column"), _("Value"), _("Reason")])
        with tenant_context(tenant_id):  # streamed after the view (and the request's tenant) has returned
            for row in rejections.iterator(chunk_size=2000):
                yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stem = contact_import.original_name.rsplit(".", 1)[0][:80] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected-rows.csv"'
    return response
