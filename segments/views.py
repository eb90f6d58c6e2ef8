"""Segment pages: the index (sizes loaded lazily), the builder with its live preview, the detail page,
duplicate, delete and "save as static list"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from segments import builder, selectors, services
from segments.forms import FreezeForm, SegmentForm
from segments.models import Segment
from segments.rules import RuleError, RuleIssue, describe_rules, empty_rules, validate_rules


@capability_required(Capability.CAMPAIGNS_VIEW)
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/segment_list.html", {"segments": selectors.segments_for_list()})


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_VIEW)
def segment_size(request: HttpRequest, pk: int) -> HttpResponse:
    """One row's live size (htmx, after the page has shown): counting is one query per segment."""
    segment = get_object_for_user(Segment.objects.all(), pk)
    try:
        size: int | None = selectors.segment_contacts(segment, user=acting_user(request)).count()
    except RuleError:
        size = None
    return render(request, "segments/_size.html", {"size": size, "segment": segment})


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_VIEW)
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_for_user(Segment.objects.select_related("created_by"), pk)
    problem = ""
    size, sample = 0, []
    try:
        contacts = selectors.segment_contacts(segment, user=acting_user(request))
        size, sample = contacts.count(), selectors.contact_sample(contacts)
    except RuleError as error:
        problem = str(error)
    context = {
        "segment": segment,
        "described": describe_rules(segment.rules),
        "size": size,
        "sample": sample,
        "problem": problem,
        "freeze_form": FreezeForm(initial={"name": segment.name}),
        "used_by": services.segments_using(segment),
    }
    return render(request, "segments/segment_detail.html", context)


# --- Builder ---------------------------------------------------------------------------------------


def _builder_context(
    request: HttpRequest, tree: dict[str, Any], *, segment: Segment | None, issues: list[RuleIssue], show_all: bool
) -> dict[str, Any]:
    """The builder's rows with their errors, and the preview: count and ten contacts.

    Issues are found on the whole tree, so their paths match the rows shown. Rows without a field yet
    (just added) are left out of the preview; while editing, a rule's problem shows once it has a value."""
    _, all_issues = validate_rules(tree)
    blocking = [issue for issue in all_issues if not _unfinished(tree, issue.path)]
    shown_issues = issues if show_all else [issue for issue in blocking if _has_value(tree, issue.path)]
    finished = builder.drop_unfinished(tree)
    count: int | None = None
    sample: list[Any] = []
    preview_error = ""
    if not blocking:
        try:
            contacts = selectors.rules_contacts(
                validate_rules(finished)[0],
                user=acting_user(request),
                tenant=request.tenant,  # type: ignore[attr-defined]
                segment_id=segment.pk if segment else None,
            )
            count, sample = contacts.count(), selectors.contact_sample(contacts)
        except RuleError as error:
            preview_error = str(error)
            if finished == tree:  # the same numbering: the message can sit next to its rule
                shown_issues = [*shown_issues, RuleIssue(error.path, str(error))]
    return {
        "root": builder.boxes(tree, shown_issues),
        "field_picker": builder.field_picker(),
        "count": count,
        "sample": sample,
        "preview_error": preview_error,
        "has_issues": bool(blocking),
        "segment": segment,
        "preview_url": reverse("segments:preview", args=[segment.pk]) if segment else reverse("segments:new-preview"),
    }


def _unfinished(tree: dict[str, Any], path: str) -> bool:
    node = builder.find_node(tree, path) if path else None
    return node is not None and "rules" not in node and not node.get("field")


def _has_value(tree: dict[str, Any], path: str) -> bool:
    node = builder.find_node(tree, path) if path else None
    return node is None or "rules" in node or node.get("value") not in (None, "", [], ["", ""])


def _builder_page(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    user = acting_user(request)
    tenant = request.tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        form = SegmentForm(request.POST)
        tree = builder.tree_from_post(request.POST)
        action = request.POST.get("action", "save")
        if action != "save":  # add or remove a rule without JavaScript: the page comes back
            tree = builder.apply_action(tree, action)
            typed = SegmentForm(
                initial={"name": request.POST.get("name", ""), "description": request.POST.get("description", "")}
            )
            context = _builder_context(request, tree, segment=segment, issues=[], show_all=False)
            return render(request, "segments/segment_form.html", {**context, "form": typed})
        issues: list[RuleIssue] = []
        if form.is_valid():
            try:
                if segment is None:
                    segment = services.segment_create(
                        tenant=tenant,
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data["description"],
                        rules=tree,
                        by=user,
                    )
                    messages.success(request, _("Segment “%(name)s” created.") % {"name": segment.name})
                else:
                    services.segment_update(
                        tenant=tenant,
                        segment=segment,
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data["description"],
                        rules=tree,
                        by=user,
                    )
                    messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("segments:detail", segment.pk)
            except services.SegmentError as error:
                if error.field:
                    form.add_error(error.field, str(error))
                else:
                    issues = error.issues
                    form.add_error(None, _("Some rules need attention: see the messages next to them."))
        else:
            issues = validate_rules(tree)[1]
        context = _builder_context(request, tree, segment=segment, issues=issues, show_all=True)
        return render(request, "segments/segment_form.html", {**context, "form": form}, status=200)
    if segment is None:
        form = SegmentForm()
        tree = {"match": "all", "rules": [builder.new_rule()]}
    else:
        form = SegmentForm(initial={"name": segment.name, "description": segment.description})
        tree = segment.rules if segment.rules.get("rules") else empty_rules()
    context = _builder_context(request, tree, segment=segment, issues=[], show_all=False)
    return render(request, "segments/segment_form.html", {**context, "form": form})


@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_create(request: HttpRequest) -> HttpResponse:
    return _builder_page(request, None)


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _builder_page(request, get_object_for_user(Segment.objects.all(), pk))


def _preview(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    """htmx: the builder again after a change (a rule's field, operator or value, or add / remove)."""
    if request.method != "POST":
        return redirect(reverse("segments:edit", args=[segment.pk]) if segment else reverse("segments:create"))
    tree = builder.tree_from_post(request.POST)
    action = request.POST.get("action", "")
    if action:
        tree = builder.apply_action(tree, action)
    context = _builder_context(request, tree, segment=segment, issues=[], show_all=False)
    return render(request, "segments/_builder.html", context)


@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_new_preview(request: HttpRequest) -> HttpResponse:
    return _preview(request, None)


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return _preview(request, get_object_for_user(Segment.objects.all(), pk))


# --- Actions ---------------------------------------------------------------------------------------


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_for_user(Segment.objects.all(), pk)
    if request.method != "POST":
        return redirect("segments:detail", segment.pk)
    copy = services.segment_duplicate(tenant=request.tenant, segment=segment, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Copied as “%(name)s”.") % {"name": copy.name})
    return redirect("segments:edit", copy.pk)


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_for_user(Segment.objects.all(), pk)
    if request.method != "POST":  # the detail page asks first; a stray GET deletes nothing
        return redirect("segments:detail", segment.pk)
    try:
        services.segment_delete(tenant=request.tenant, segment=segment, by=acting_user(request))  # type: ignore[attr-defined]
    except services.SegmentError as error:
        messages.error(request, str(error))
        return redirect("segments:detail", segment.pk)
    messages.success(request, _("Segment “%(name)s” deleted; its contacts are unchanged.") % {"name": segment.name})
    return redirect("segments:list")


@object_view(Segment)
@capability_required(Capability.CAMPAIGNS_EDIT)
def segment_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """Save as static list: the members now, frozen (small: at once; large: a job with progress)."""
    segment = get_object_for_user(Segment.objects.all(), pk)
    if request.method != "POST":
        return redirect("segments:detail", segment.pk)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the list a name."))
        return redirect("segments:detail", segment.pk)
    try:
        result = services.segment_save_as_static_list(
            tenant=request.tenant,  # type: ignore[attr-defined]
            segment=segment,
            name=form.cleaned_data["name"],
            by=acting_user(request),
        )
    except (services.SegmentError, RuleError) as error:
        messages.error(request, str(error))
        return redirect("segments:detail", segment.pk)
    if result.job_id is not None:
        messages.info(
            request,
            _("Adding the members to “%(name)s”; this page shows the progress.") % {"name": result.static_list.name},
        )
        return redirect("lists:job", result.job_id)
    messages.success(
        request,
        _("Saved %(count)s contacts as the static list “%(name)s”.")
        % {"count": result.added, "name": result.static_list.name},
    )
    return redirect("campaigns:static-list-detail", result.static_list.pk)
