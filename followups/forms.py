"""The task form: parses and normalises; the services validate the rules and save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crm.models import User
from customers.models import Account, Contact, Deal
from followups.models import ReminderChoice, Task, TaskPriority
from followups.selectors import members
from followups.services import TaskData

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
NO_REMINDER = ""


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        input_formats=[DATETIME_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        help_text=_("In your time zone."),
    )
    remind_before_minutes = forms.TypedChoiceField(
        label=_("Reminder"),
        choices=[(NO_REMINDER, _("No reminder")), *ReminderChoice.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("By email and in the app. Needs a due time."),
    )
    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), empty_label=None)
    priority = forms.ChoiceField(label=_("Priority"), choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)
    deal = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members()  # type: ignore[attr-defined]  # per request: this tenant
        self.linked: dict[str, Model] = {}
        for name in ("contact", "account", "deal"):  # show what the task is about, from the initial ids
            record = _record(name, self.initial.get(name) if not self.is_bound else self.data.get(name))
            if record is not None:
                self.linked[name] = record

    def _clean_record(self, name: str, label: str) -> Model | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        record = _record(name, value)
        if record is None:
            raise forms.ValidationError(_("This %(what)s does not exist or you cannot see it.") % {"what": label})
        return record

    def clean_contact(self) -> Model | None:
        return self._clean_record("contact", str(_("contact")))

    def clean_account(self) -> Model | None:
        return self._clean_record("account", str(_("account")))

    def clean_deal(self) -> Model | None:
        return self._clean_record("deal", str(_("deal")))

    def clean_due_at(self) -> datetime | None:
        due = self.cleaned_data.get("due_at")
        if due is not None and not (2000 <= due.year <= 2200):
            raise forms.ValidationError(_("Enter a due date between the years 2000 and 2200."))
        return due

    def task_data(self) -> TaskData:
        data = self.cleaned_data
        return TaskData(
            title=data["title"],
            notes=data.get("notes") or "",
            due_at=data.get("due_at"),
            assignee=data["assignee"],
            priority=data["priority"],
            remind_before_minutes=data.get("remind_before_minutes"),
            contact=data.get("contact"),  # type: ignore[arg-type]
            account=data.get("account"),  # type: ignore[arg-type]
            deal=data.get("deal"),  # type: ignore[arg-type]
        )


def _record(name: str, value: Any) -> Model | None:
    """The contact/account/deal with this id, if the member can see it (scoped managers)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    model: type[Model] = {"contact": Contact, "account": Account, "deal": Deal}[name]
    return model.objects.filter(pk=pk).first()  # type: ignore[attr-defined]


def initial_from_query(params: Any, *, user: Any) -> dict[str, Any]:
    """Prefill from ?contact=&deal=&account=&title=&due=(ISO 8601)&next= (the create-form contract)."""
    initial: dict[str, Any] = {"assignee": user.pk, "priority": TaskPriority.NORMAL}
    for name in ("contact", "account", "deal"):
        if str(params.get(name, "")).isdigit():
            initial[name] = int(params[name])
    if params.get("title"):
        initial["title"] = str(params["title"])[:200]
    due = _parse_due(params.get("due", ""))
    if due is not None:
        initial["due_at"] = timezone.localtime(due)
        initial["remind_before_minutes"] = ReminderChoice.AT_DUE
    else:
        initial["remind_before_minutes"] = NO_REMINDER
    if params.get("next"):
        initial["next"] = params["next"]
    return initial


def _parse_due(value: str) -> datetime | None:
    try:
        value = value.strip()
        if "T" in value:
            value = value.replace(" ", "+")  # an unencoded "+01:00" offset arrives as a space
        due = parse_datetime(value) if value else None
    except ValueError:
        return None
    if due is None:
        return None
    return timezone.make_aware(due) if timezone.is_naive(due) else due


def initial_from_task(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "notes": task.notes,
        "due_at": timezone.localtime(task.due_at) if task.due_at else None,
        "remind_before_minutes": NO_REMINDER if task.remind_before_minutes is None else task.remind_before_minutes,
        "assignee": task.assignee_id,
        "priority": task.priority,
        "contact": task.contact_id,
        "account": task.account_id,
        "deal": task.deal_id,
    }
