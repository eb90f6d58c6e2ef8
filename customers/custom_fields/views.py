"""Admin pages for custom fields: list, add, edit, archive and restore."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.custom_fields import selectors, services
from customers.custom_fields.forms import CustomFieldDefinitionForm
from customers.models import CustomField, CustomFieldEntity


@capability_required(Capability.TENANT_CONFIGURE)
def field_list(request: HttpRequest) -> HttpResponse:
    fields = list(selectors.custom_fields_for_admin())
    groups = [(entity, [field for field in fields if field.entity == entity]) for entity in CustomFieldEntity]
    return render(request, "customers/custom_fields/field_list.html", {"groups": groups, "count": len(fields)})


@capability_required(Capability.TENANT_CONFIGURE)
def field_create(request: HttpRequest) -> HttpResponse:
    initial = {"entity": request.GET.get("entity")} if request.GET.get("entity") in CustomFieldEntity.values else {}
    form = CustomFieldDefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        field = services.custom_field_create(
            tenant=request.tenant,  # type: ignore[attr-defined]
            data=form.definition_data(),
            by=acting_user(request),
        )
        messages.success(request, _("Field “%(label)s” added.") % {"label": field.label})
        return redirect("custom-fields:list")
    return render(request, "customers/custom_fields/field_form.html", {"form": form})


@object_view(CustomField)
@capability_required(Capability.TENANT_CONFIGURE)
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_for_user(CustomField.objects.all(), pk)
    form = CustomFieldDefinitionForm(request.POST or None, instance=field)
    if request.method == "POST" and form.is_valid():
        services.custom_field_update(
            tenant=request.tenant,  # type: ignore[attr-defined]
            field=field,
            data=form.definition_data(),
            by=acting_user(request),
        )
        messages.success(request, _("Field “%(label)s” saved.") % {"label": form.cleaned_data["label"]})
        return redirect("custom-fields:list")
    in_use = selectors.records_with_value(field) if request.method == "GET" else None
    return render(request, "customers/custom_fields/field_form.html", {"form": form, "field": field, "in_use": in_use})


@object_view(CustomField)
@capability_required(Capability.TENANT_CONFIGURE)
def field_archive(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_for_user(CustomField.objects.all(), pk)  # first: another tenant's field is a 404
    if request.method != "POST":
        return redirect("custom-fields:edit", field.pk)  # the edit page has the archive button
    services.custom_field_archive(tenant=request.tenant, field=field, by=acting_user(request))  # type: ignore[attr-defined]
    message = _("Field “%(label)s” archived. Its values are kept; restore it to show them again.")
    messages.success(request, message % {"label": field.label})
    return redirect("custom-fields:list")


@object_view(CustomField)
@capability_required(Capability.TENANT_CONFIGURE)
def field_restore(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_for_user(CustomField.objects.all(), pk)
    if request.method != "POST":
        return redirect("custom-fields:list")
    services.custom_field_restore(tenant=request.tenant, field=field, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Field “%(label)s” restored.") % {"label": field.label})
    return redirect("custom-fields:list")
