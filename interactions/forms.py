"""Logging and correcting interactions: parse and normalise; the services decide and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant, User
from customers.forms import tenant_members
from customers.models import Contact, Deal
from interactions.attachments import accept_attribute
from interactions.models import CallOutcome, Direction, Interaction, InteractionKind, SocialChannel
from interactions.selectors import open_deal_choices, participant_contact_choices

# What people log by hand; tasks are follow-ups (followups app), not log entries.
LOGGABLE_KINDS: list[tuple[str, Any]] = [
    (InteractionKind.CALL, InteractionKind.CALL.label),
    (InteractionKind.MEETING, InteractionKind.MEETING.label),
    (InteractionKind.EMAIL, InteractionKind.EMAIL.label),
    (InteractionKind.NOTE, InteractionKind.NOTE.label),
    (InteractionKind.SMS, InteractionKind.SMS.label),
    (InteractionKind.SOCIAL, InteractionKind.SOCIAL.label),
]
DEFAULT_DIRECTION: dict[str, str] = {InteractionKind.NOTE: Direction.INTERNAL}
_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,3}):([0-5]\d)$")


def parse_duration(text: str) -> int | None:
    """ "mm:ss", "h:mm:ss" or whole minutes ("15") to seconds; "" is unknown. ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) * 60
    match = _DURATION.match(text)
    if not match:
        raise ValueError(text)
    hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files; size and type are checked by interactions.attachments when stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept_attribute()}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class InteractionForm(forms.Form):
    """One form for every kind; the template shows the fields that kind has (``shows``)."""

    kind = forms.ChoiceField(label=_("Type"), choices=LOGGABLE_KINDS, widget=forms.HiddenInput)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *SocialChannel.choices], required=False)
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        max_length=12,
        help_text=_("mm:ss, or minutes"),
        widget=forms.TextInput(attrs={"placeholder": "12:30", "inputmode": "numeric"}),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *CallOutcome.choices], required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    body = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    deal: forms.ModelChoiceField[Deal] = forms.ModelChoiceField(
        label=_("Deal"), queryset=None, required=False, empty_label="—"
    )
    participant_contacts: forms.ModelMultipleChoiceField[Contact] = forms.ModelMultipleChoiceField(
        label=_("Other contacts"), queryset=None, required=False
    )
    participant_users: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        label=_("Colleagues"), queryset=None, required=False
    )
    uploads = MultipleFileField(label=_("Attachments"))

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        contact: Contact | None,
        kind: str = InteractionKind.CALL,
        with_files: bool = True,
        fixed_deal: Deal | None = None,
        current_deal_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        submitted = self.data.get("kind") if self.is_bound else None
        self.interaction_kind = submitted if submitted in dict(LOGGABLE_KINDS) else kind
        self.initial.setdefault("kind", self.interaction_kind)
        self.initial.setdefault("direction", DEFAULT_DIRECTION.get(self.interaction_kind, Direction.OUTBOUND))
        self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        if fixed_deal is not None:  # logged from the deal's page: the deal is given
            del self.fields["deal"]
        else:
            self.fields["deal"].queryset = open_deal_choices(contact, keep=current_deal_id)  # type: ignore[attr-defined]
        self.fields["participant_contacts"].queryset = participant_contact_choices(contact)  # type: ignore[attr-defined]
        self.fields["participant_users"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]
        kept = self.initial.get("outcome")
        if kept and kept not in CallOutcome.values:  # an outcome from before outcomes were codes stays
            self.fields["outcome"].choices = [*self.fields["outcome"].choices, (kept, kept)]  # type: ignore[attr-defined]
        if not with_files:
            del self.fields["uploads"]
        for name in ("participant_contacts", "participant_users"):
            self.fields[name].widget.attrs["size"] = 4
            self.fields[name].help_text = _("Ctrl- or ⌘-click to pick several.")

    @property
    def kind_label(self) -> str:
        return str(dict(LOGGABLE_KINDS).get(self.interaction_kind, self.interaction_kind))

    @property
    def shows(self) -> dict[str, bool]:
        """Which optional fields the template renders for this kind."""
        return {
            "channel": self.interaction_kind == InteractionKind.SOCIAL,
            "duration": self.interaction_kind in (InteractionKind.CALL, InteractionKind.MEETING),
            "outcome": self.interaction_kind == InteractionKind.CALL,
            "subject": self.interaction_kind != InteractionKind.SMS,
            "participants": self.interaction_kind
            in (InteractionKind.CALL, InteractionKind.MEETING, InteractionKind.EMAIL),
            "participant_contacts": bool(self.fields["participant_contacts"].queryset),  # type: ignore[attr-defined]
            "deal": "deal" in self.fields and bool(self.fields["deal"].queryset),  # type: ignore[attr-defined]
        }

    def clean_duration(self) -> int | None:
        try:
            return parse_duration(self.cleaned_data["duration"])
        except ValueError:
            raise ValidationError(_("Write the duration as minutes:seconds, e.g. 4:30 (or just minutes).")) from None

    def service_arguments(self) -> dict[str, Any]:
        """What interaction_log / interaction_update take, from the cleaned data."""
        data = self.cleaned_data
        shows = self.shows
        return {
            "direction": data["direction"],
            "occurred_at": data["occurred_at"],
            "subject": data["subject"] if shows["subject"] else "",
            "body": data["body"],
            "duration_seconds": data["duration"] if shows["duration"] else None,
            "outcome": data["outcome"] if shows["outcome"] else "",
            "channel": data["channel"] if shows["channel"] else "",
            "deal": data.get("deal"),
            "participant_contacts": list(data["participant_contacts"]),
            "participant_users": list(data["participant_users"]),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the service's refusals next to the fields they name (duration_seconds is "duration")."""
        for field, messages in error.message_dict.items():
            name = {"duration_seconds": "duration", "contact": None, "account": None}.get(field, field)
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


def edit_initial(interaction: Interaction) -> dict[str, Any]:
    return {
        "kind": interaction.kind,
        "direction": interaction.direction,
        "channel": interaction.channel,
        "occurred_at": timezone.localtime(interaction.occurred_at).replace(second=0, microsecond=0),
        "duration": format_duration(interaction.duration_seconds),
        "outcome": interaction.outcome,
        "subject": interaction.subject,
        "body": interaction.body,
        "deal": interaction.deal_id,
        "participant_contacts": [contact.pk for contact in interaction.participant_contacts.all()],
        "participant_users": [user.pk for user in interaction.participant_users.all()],
    }


class AttachmentUploadForm(forms.Form):
    uploads = MultipleFileField(label=_("Add files"))
