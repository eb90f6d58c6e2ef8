"""Forms of the service desk: parse and normalise; the services check the rules and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Tenant, User
from customers.forms import LookupSelect, tenant_members
from customers.models import Account, Contact, Deal, Order
from service_desk.attachments import accept_attribute
from service_desk.models import (
    CannedResponse,
    MessageKind,
    Queue,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from service_desk.services import normalise_tags

AGENT_CHANNELS = [
    (TicketChannel.PHONE, TicketChannel.PHONE.label),
    (TicketChannel.EMAIL, TicketChannel.EMAIL.label),
    (TicketChannel.CHAT, TicketChannel.CHAT.label),
    (TicketChannel.AGENT, TicketChannel.AGENT.label),
]


def parse_tags(value: str) -> list[str]:
    return normalise_tags(value.split(","))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _queue_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=gettext_lazy("Queue"),
        queryset=Queue.unscoped_objects.none(),
        required=False,
        empty_label=gettext_lazy("No queue"),
    )


def _assignee_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=gettext_lazy("Assignee"), queryset=User.objects.none(), required=False, empty_label=gettext_lazy("Nobody")
    )


class TicketCreateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    description = forms.CharField(
        label=gettext_lazy("What is it about?"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    contact = forms.ModelChoiceField(
        label=gettext_lazy("Contact"),
        queryset=Contact.unscoped_objects.none(),
        required=False,
        widget=LookupSelect(lookup_url=reverse_lazy("deals:contact-options")),
    )
    new_first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    new_last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    new_email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Came in by"), choices=AGENT_CHANNELS, initial=TicketChannel.PHONE)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL
    )
    queue = _queue_field()
    assignee = _assignee_field()
    category = forms.CharField(label=gettext_lazy("Category"), max_length=60, required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False, help_text=gettext_lazy("Separated by commas."), max_length=400
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.all()  # type: ignore[attr-defined]
        self.fields["queue"].queryset = Queue.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data.get("tags") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact") is None and (data.get("new_first_name") or data.get("new_last_name")):
            if not data.get("new_email"):
                self.add_error("new_email", _("Give the new contact an email address, so replies reach them."))
        elif data.get("contact") is not None and data.get("new_email"):
            self.add_error("new_email", _("Choose an existing contact or enter a new one, not both."))
        return data

    def new_contact_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("contact") is not None or not data.get("new_email"):
            return None
        return {
            "first_name": data.get("new_first_name", "").strip(),
            "last_name": data.get("new_last_name", "").strip(),
            "email": data["new_email"].lower(),
        }


class TicketPanelForm(forms.Form):
    """The side panel of the ticket page: everything an agent changes while working the ticket."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=255)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=TicketStatus.choices)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=TicketPriority.choices)
    queue = _queue_field()
    assignee = _assignee_field()
    category = forms.CharField(label=gettext_lazy("Category"), max_length=60, required=False)
    tags = forms.CharField(label=gettext_lazy("Tags"), required=False, max_length=400)
    contact = forms.ModelChoiceField(
        label=gettext_lazy("Contact"),
        queryset=Contact.unscoped_objects.none(),
        required=False,
        widget=LookupSelect(lookup_url=reverse_lazy("deals:contact-options")),
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("Account"),
        queryset=Account.unscoped_objects.none(),
        required=False,
        widget=LookupSelect(lookup_url=reverse_lazy("customers:account-options")),
    )
    deal = forms.ModelChoiceField(
        label=gettext_lazy("Deal"),
        queryset=Deal.unscoped_objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
    )
    order = forms.ModelChoiceField(
        label=gettext_lazy("Order"),
        queryset=Order.unscoped_objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
    )

    def __init__(self, *args: Any, tenant: Tenant, contact: Contact | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.all()  # type: ignore[attr-defined]
        self.fields["account"].queryset = Account.objects.all()  # type: ignore[attr-defined]
        self.fields["queue"].queryset = Queue.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]
        # Deals and orders are offered from the ticket's contact; a linked one stays choosable.
        deals: QuerySet[Deal] = Deal.objects.none()
        orders: QuerySet[Order] = Order.objects.none()
        if contact is not None:
            deals = Deal.objects.filter(contact=contact).order_by("-created_at")[:50]  # type: ignore[assignment]
            orders = Order.objects.filter(contact=contact).order_by("-ordered_at")[:50]  # type: ignore[assignment]
        self.fields["deal"].queryset = Deal.objects.filter(pk__in=[d.pk for d in deals] + [self._initial_id("deal")])  # type: ignore[attr-defined]
        self.fields["order"].queryset = Order.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in orders] + [self._initial_id("order")]
        )

    def _initial_id(self, name: str) -> int:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        try:
            return int(getattr(value, "pk", value) or 0)
        except (TypeError, ValueError):
            return 0

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data.get("tags") or "")


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(MessageKind.REPLY, gettext_lazy("Reply")), (MessageKind.NOTE, gettext_lazy("Internal note"))],
        initial=MessageKind.REPLY,
        widget=forms.RadioSelect,
    )
    body_text = forms.CharField(label=gettext_lazy("Message"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=gettext_lazy("Attach files"), required=False)
    then_status = forms.ChoiceField(
        label=gettext_lazy("and set status"),
        required=False,
        choices=[("", gettext_lazy("Keep status")), *TicketStatus.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].widget.attrs["accept"] = accept_attribute()


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=gettext_lazy("Merge into ticket number"), min_value=1, help_text=gettext_lazy("For example 1042.")
    )


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ["name", "description", "email_address", "is_default"]
        help_texts = {
            "email_address": gettext_lazy("Mail to this address becomes a ticket in this queue."),
            "is_default": gettext_lazy("Tickets no rule or address routes elsewhere land here."),
        }


class QueueMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=gettext_lazy("Member"), queryset=User.objects.none())
    is_available = forms.BooleanField(label=gettext_lazy("Available for new tickets"), required=False, initial=True)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = tenant_members(tenant)  # type: ignore[attr-defined]
