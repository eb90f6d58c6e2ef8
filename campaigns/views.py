"""Static list pages: the index, a list's members, create / edit / delete, removing a member."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campaigns import selectors, services
from campaigns.forms import StaticListForm
from campaigns.models import StaticList
from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.models import Contact


@capability_required(Capability.CAMPAIGNS_VIEW)
def static_list_index(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/static_list_index.html", {"lists": selectors.static_lists_with_counts()})


@capability_required(Capability.CAMPAIGNS_EDIT)
def static_list_create(request: HttpRequest) -> HttpResponse:
    form = StaticListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            static_list = services.static_list_create(
                tenant=request.tenant,  # type: ignore[attr-defined]
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=acting_user(request),
            )
        except services.StaticListNameTaken as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("List “%(name)s” created.") % {"name": static_list.name})
            return redirect("campaigns:static-list-detail", static_list.pk)
    return render(request, "campaigns/static_list_form.html", {"form": form})


@object_view(StaticList)
@capability_required(Capability.CAMPAIGNS_VIEW)
def static_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_object_for_user(StaticList.objects.all(), pk)
    page = selectors.members_page(static_list=static_list, cursor=request.GET.get("after"))
    context = {"static_list": static_list, "page": page}
    template = "campaigns/static_list_detail.html#rows" if request.htmx else "campaigns/static_list_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@object_view(StaticList)
@capability_required(Capability.CAMPAIGNS_EDIT)
def static_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_object_for_user(StaticList.objects.all(), pk)
    initial = {"name": static_list.name, "description": static_list.description}
    form = StaticListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.static_list_update(
                tenant=request.tenant,  # type: ignore[attr-defined]
                static_list=static_list,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except services.StaticListNameTaken as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("List “%(name)s” saved.") % {"name": static_list.name})
            return redirect("campaigns:static-list-detail", static_list.pk)
    return render(request, "campaigns/static_list_form.html", {"form": form, "static_list": static_list})


@object_view(StaticList)
@capability_required(Capability.CAMPAIGNS_EDIT)
def static_list_delete(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_object_for_user(StaticList.objects.all(), pk)
    if request.method != "POST":  # the list page asks first; a stray GET deletes nothing
        return redirect("campaigns:static-list-detail", static_list.pk)
    services.static_list_delete(tenant=request.tenant, static_list=static_list)  # type: ignore[attr-defined]
    messages.success(request, _("List “%(name)s” deleted; its contacts are unchanged.") % {"name": static_list.name})
    return redirect("campaigns:static-lists")


@object_view(StaticList)
@capability_required(Capability.CAMPAIGNS_EDIT)
def static_list_remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    static_list = get_object_for_user(StaticList.objects.all(), pk)
    if request.method != "POST":
        return redirect("campaigns:static-list-detail", static_list.pk)
    contact = get_object_for_user(Contact.objects.all(), request.POST.get("contact"))
    services.static_list_remove_contacts(
        tenant=request.tenant,  # type: ignore[attr-defined]
        static_list=static_list,
        contacts=Contact.objects.filter(pk=contact.pk),
    )
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the row disappears
    messages.success(request, _("%(name)s removed from the list.") % {"name": contact.full_name})
    return redirect("campaigns:static-list-detail", static_list.pk)
