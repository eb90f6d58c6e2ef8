"""Forms of the sla settings pages: they parse and normalise; the services validate and save."""

from __future__ import annotations

import itertools
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import TIME_ZONE_CHOICES, Tenant
from customers.forms import tenant_formfield, tenant_members
from service_desk.models import Queue, TicketPriority
from sla.business_time import format_hhmm, parse_hhmm
from sla.models import AssignmentMode, EscalationRule, EscalationTarget, RoutingRule, SlaPolicy

WEEKDAYS = [
    ("monday", _("Monday")),
    ("tuesday", _("Tuesday")),
    ("wednesday", _("Wednesday")),
    ("thursday", _("Thursday")),
    ("friday", _("Friday")),
    ("saturday", _("Saturday")),
    ("sunday", _("Sunday")),
]


def parse_day_hours(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:30" -> [["09:00", "12:00"], ["13:00", "17:30"]]; empty means closed.

    Raises ValueError with a message for the user.
    """
    intervals: list[tuple[int, int]] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        start_text, sep, end_text = part.replace("\u2013", "-").partition("-")
        if not sep:
            raise ValueError(_("Write opening hours as 09:00-17:00."))
        try:
            start, end = parse_hhmm(start_text), parse_hhmm(end_text)
        except ValueError:
            raise ValueError(_("“%(part)s” is not a time range like 09:00-17:00.") % {"part": part}) from None
        if end <= start:
            raise ValueError(_("%(part)s ends before it starts.") % {"part": part})
        intervals.append((start, end))
    intervals.sort()
    for (_s1, end1), (start2, _e2) in itertools.pairwise(intervals):
        if start2 < end1:
            raise ValueError(_("The time ranges overlap."))
    return [[format_hhmm(start), format_hhmm(end)] for start, end in intervals]


def format_day_hours(day: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in day)


class BusinessHoursForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[("", _("The workspace's time zone"))])
    always_open = forms.BooleanField(
        label=_("Open 24/7"), required=False, help_text=_("SLA clocks count every minute; the hours below are ignored.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", _("The workspace's time zone")), *TIME_ZONE_CHOICES]  # type: ignore[attr-defined]
        self.fields["time_zone"].required = False
        for key, label in WEEKDAYS:
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": _("Closed")}),
            )

    @classmethod
    def initial_from(cls, calendar: Any) -> dict[str, Any]:
        initial = {"time_zone": calendar.time_zone, "always_open": calendar.always_open}
        for (key, _label), day in zip(WEEKDAYS, calendar.weekly_hours, strict=True):
            initial[key] = format_day_hours(day)
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        weekly: list[list[list[str]]] = []
        for key, _label in WEEKDAYS:
            try:
                weekly.append(parse_day_hours(cleaned.get(key, "") or ""))
            except ValueError as error:
                self.add_error(key, str(error))
        if not self.errors and not cleaned.get("always_open") and not any(weekly):
            raise forms.ValidationError(_("Give opening hours on at least one day, or choose 24/7."))
        cleaned["weekly_hours"] = weekly
        return cleaned

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[key] for key, _label in WEEKDAYS]


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=100)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["priority", "first_response_minutes", "resolution_minutes", "tier_field", "tier_value", "is_active"]
        help_texts = {
            "first_response_minutes": _("Business minutes: 60 is one hour of opening hours, 480 a working day."),
            "tier_field": _("Optional: the key of a contact or account custom field, e.g. tier."),
            "tier_value": _("Tickets of customers with this value get this policy instead of the general one."),
        }


class RoutingRuleForm(forms.ModelForm):
    add_tags = forms.CharField(label=_("Add tags"), required=False, help_text=_("Separated by commas."), max_length=400)

    class Meta:
        model = RoutingRule
        formfield_callback = tenant_formfield
        fields = [
            "name",
            "channel",
            "category",
            "keyword",
            "tier_field",
            "tier_value",
            "set_queue",
            "set_priority",
            "add_tags",
            "stop_processing",
            "is_active",
        ]

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        if instance is not None and instance.pk:
            kwargs.setdefault("initial", {})["add_tags"] = ", ".join(instance.add_tags)
        super().__init__(*args, **kwargs)
        self.fields["set_queue"].queryset = Queue.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["set_queue"].empty_label = _("Leave as it is")  # type: ignore[attr-defined]
        self.fields["channel"].choices = [("", _("Any channel")), *self.fields["channel"].choices[1:]]  # type: ignore[attr-defined]
        self.fields["set_priority"].choices = [("", _("Leave as it is")), *TicketPriority.choices]  # type: ignore[attr-defined]

    def clean_add_tags(self) -> list[str]:
        raw = self.cleaned_data.get("add_tags") or ""
        return sorted({tag.strip().lower()[:40] for tag in raw.split(",") if tag.strip()})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("tier_field")) != bool(cleaned.get("tier_value")):
            self.add_error("tier_value", _("A customer condition needs both the field and its value."))
        if not (cleaned.get("set_queue") or cleaned.get("set_priority") or cleaned.get("add_tags")):
            raise forms.ValidationError(_("Choose at least one action: a queue, a priority or tags."))
        return cleaned


class EscalationRuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        formfield_callback = tenant_formfield
        fields = [
            "name",
            "target",
            "minutes_before",
            "notify_assignee",
            "notify_queue",
            "reassign_to_user",
            "reassign_to_queue",
            "raise_priority",
            "is_active",
        ]
        help_texts = {"minutes_before": _("0 acts at the breach; 30 warns half an hour before it.")}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reassign_to_user"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]
        self.fields["reassign_to_queue"].queryset = Queue.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["target"].choices = EscalationTarget.choices  # type: ignore[attr-defined]
        self.fields["reassign_to_user"].empty_label = _("Keep the assignee")  # type: ignore[attr-defined]
        self.fields["reassign_to_queue"].empty_label = _("Keep the queue")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        actions = ("notify_assignee", "notify_queue", "reassign_to_user", "reassign_to_queue", "raise_priority")
        if not any(cleaned.get(name) for name in actions):
            raise forms.ValidationError(_("Choose at least one action."))
        return cleaned


class QueueModeForm(forms.Form):
    mode = forms.ChoiceField(label=_("Assignment"), choices=AssignmentMode.choices)
