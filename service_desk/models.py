"""Service desk: tickets, the queues that work them, and the conversation on each ticket.

SLA clocks and routing (``sla`` app), the customer-facing channels and satisfaction surveys
(``support`` app) keep their own tables keyed by ticket; these models are the shared core.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.tenancy.models import TenantModel
from customers.models import EditTracked


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    # Waiting on the customer: SLA clocks pause. Its own context: an order's "Pending" means unpaid.
    PENDING = "pending", pgettext_lazy("ticket status", "Pending")
    ON_HOLD = "on_hold", _("On hold")  # waiting on a third party
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    AGENT = "agent", _("Opened by an agent")


class Queue(TenantModel):
    """A team working tickets (Support, Billing, ...). ``email_address`` routes inbound mail to it."""

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    email_address = models.EmailField(_("support address"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMember", related_name="+", verbose_name=_("members")
    )
    is_default = models.BooleanField(_("default queue"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="queue_tenant_name_uniq"),
            # One default queue per tenant: where tickets go when no rule or address picks one.
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="queue_one_default_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QueueMember(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, db_index=False, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    # Away agents get no new tickets from automatic assignment.
    is_available = models.BooleanField(_("available for new tickets"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "queue", "user"], name="queuemember_uniq")]
        indexes = [
            models.Index(fields=["user"], name="queuemember_user_fk_idx"),
            models.Index(fields=["queue"], name="queuemember_queue_fk_idx"),
        ]


class TicketCounter(TenantModel):
    """The last ticket number handed out in a tenant; bumped with UPDATE ... RETURNING."""

    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ticketcounter_tenant_uniq")]


class Ticket(TenantModel, EditTracked):
    number = models.PositiveBigIntegerField(_("number"), editable=False)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(
        _("priority"), max_length=20, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=20, choices=TicketChannel.choices, default=TicketChannel.AGENT)
    queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="tickets",
        verbose_name=_("queue"),
    )  # fmt: skip
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
        related_name="+", verbose_name=_("assignee"),
    )  # fmt: skip
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
        related_name="tickets", verbose_name=_("contact"),
    )  # fmt: skip
    account = models.ForeignKey(
        "customers.Account", on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
        related_name="tickets", verbose_name=_("account"),
    )  # fmt: skip
    deal = models.ForeignKey(
        "customers.Deal", on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
        related_name="tickets", verbose_name=_("deal"),
    )  # fmt: skip
    order = models.ForeignKey(
        "customers.Order", on_delete=models.SET_NULL, null=True, blank=True, db_index=False,
        related_name="tickets", verbose_name=_("order"),
    )  # fmt: skip
    category = models.CharField(_("category"), max_length=60, blank=True)
    tags = ArrayField(models.CharField(max_length=40), default=list, db_default=[], blank=True, verbose_name=_("tags"))
    custom_fields = models.JSONField(default=dict, blank=True)
    # The address the customer wrote from (may differ from the contact's main email); replies go here.
    requester_email = models.EmailField(_("requester email"), blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="merged_tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="ticket_tenant_number_uniq")]
        indexes = [
            # The default list (newest first, keyset pages) and "open tickets" per status.
            models.Index(fields=["tenant", "status", "created_at", "id"], name="ticket_status_created_idx"),
            models.Index(fields=["tenant", "created_at", "id"], name="ticket_created_idx"),
            # "Recently updated" on the ticket list (service_desk/lists.py).
            models.Index(fields=["tenant", "updated_at", "id"], name="ticket_updated_idx"),
            # Foreign-key indexes lead with the key (deleting a contact looks its tickets up by contact_id).
            models.Index(fields=["assignee", "status"], name="ticket_assignee_fk_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_fk_idx"),
            models.Index(fields=["contact", "created_at"], name="ticket_contact_fk_idx"),
            models.Index(fields=["account"], name="ticket_account_fk_idx"),
            models.Index(fields=["deal"], name="ticket_deal_fk_idx", condition=models.Q(deal__isnull=False)),
            models.Index(fields=["order"], name="ticket_order_fk_idx", condition=models.Q(order__isnull=False)),
            models.Index(
                fields=["merged_into"], name="ticket_merged_fk_idx", condition=models.Q(merged_into__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("From the customer")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class TicketMessage(TenantModel):
    """One entry of a ticket's conversation: the customer's message, an agent's reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False, related_name="messages")
    kind = models.CharField(_("type"), max_length=20, choices=MessageKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    author_contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    from_address = models.EmailField(blank=True)
    body_text = models.TextField(_("message"), blank=True)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Email threading: the Message-ID this entry went out (or came in) under, and what it answered.
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    inbound_message = models.ForeignKey(
        "inbox.InboundMessage", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    outbound_email = models.ForeignKey(
        "mail.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticketmessage_ticket_fk_idx"),
            # A customer's reply finds its ticket by the Message-ID it answers.
            models.Index(
                fields=["tenant", "message_id"], condition=~models.Q(message_id=""), name="ticketmessage_msgid_idx"
            ),
            models.Index(fields=["author_user", "created_at"], name="ticketmessage_author_fk_idx"),
            models.Index(fields=["author_contact"], name="ticketmessage_contact_fk_idx"),
            models.Index(
                fields=["inbound_message"],
                name="ticketmessage_inbound_fk_idx",
                condition=models.Q(inbound_message__isnull=False),
            ),
            models.Index(
                fields=["outbound_email"],
                name="ticketmessage_outbound_fk_idx",
                condition=models.Q(outbound_email__isnull=False),
            ),
        ]


class TicketAttachment(TenantModel):
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, db_index=False, related_name="attachments")
    file = models.FileField(upload_to="tickets/%Y/%m/", max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["message"], name="ticketattachment_msg_fk_idx"),
            # Retention sweeps (attachments of tickets closed long ago) walk by age within a tenant.
            models.Index(fields=["tenant", "created_at"], name="ticketattachment_created_idx"),
        ]


class TicketStatusChange(TenantModel):
    """Every status a ticket went through, with when: SLA clocks (paused while pending) are computed from it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=TicketStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "changed_at"], name="ticketstatus_ticket_fk_idx"),
            # Service reports: tickets solved / reopened per period.
            models.Index(fields=["tenant", "to_status", "changed_at"], name="ticketstatus_period_idx"),
        ]


class TicketEventKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assignee changed")
    PRIORITY = "priority", _("Priority changed")
    QUEUE = "queue", _("Queue changed")
    CATEGORY = "category", _("Category changed")
    TAGS = "tags", _("Tags changed")
    SUBJECT = "subject", _("Subject changed")
    LINKS = "links", _("Links changed")
    MERGED = "merged", _("Merged")


class TicketEvent(TenantModel):
    """A change to a ticket other than its status (which has TicketStatusChange): who changed what, and when.

    ``data`` holds {"from": ..., "to": ...} as display strings, so the history still reads right after
    the queue or user it named is gone."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False, related_name="events")
    kind = models.CharField(max_length=20, choices=TicketEventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_fk_idx"),
            # Reports of reassignments and escalations per period, within a tenant.
            models.Index(fields=["tenant", "kind", "created_at"], name="ticketevent_period_idx"),
        ]


class CannedResponse(TenantModel):
    """A saved reply an agent inserts into the reply box; merge fields ({{ contact.first_name }}, ...)
    are filled in with mail's sandboxed renderer when inserted."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("title"), name="cannedresponse_tenant_title_uniq"),
        ]

    def __str__(self) -> str:
        return self.title
