"""Business hours, SLA policies and the clocks computed from them, escalation rules, and ticket routing.

The service desk owns tickets; everything here is keyed by ticket or tenant and written only by this app.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel
from service_desk.models import TicketChannel, TicketPriority


def default_weekly_hours() -> list[list[list[str]]]:
    """Monday to Friday 09:00-17:00; index 0 is Monday, each day a list of [start, end] "HH:MM" pairs."""
    return [[["09:00", "17:00"]] for _day in range(5)] + [[], []]


class BusinessCalendar(TenantModel):
    """The tenant's opening hours: SLA targets count business minutes inside them."""

    # Empty: the workspace's time zone.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    always_open = models.BooleanField(_("open 24/7"), default=False)
    weekly_hours = models.JSONField(_("weekly hours"), default=default_weekly_hours)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="businesscalendar_tenant_uniq")]

    def __str__(self) -> str:
        return str(_("Business hours"))


class Holiday(TenantModel):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, db_index=False, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "calendar", "date"], name="holiday_date_uniq")]
        indexes = [models.Index(fields=["calendar", "date"], name="holiday_calendar_fk_idx")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(TenantModel):
    """Targets for one priority, in business minutes. A policy with a tier (a contact or account custom
    field value, e.g. tier = gold) is narrower and wins over the priority's general policy."""

    priority = models.CharField(_("priority"), max_length=20, choices=TicketPriority.choices)
    tier_field = models.CharField(_("tier field"), max_length=60, blank=True)
    tier_value = models.CharField(_("tier value"), max_length=100, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["priority", "tier_field", "tier_value"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "priority", Lower("tier_field"), Lower("tier_value"), name="slapolicy_priority_tier_uniq"
            ),
        ]

    def __str__(self) -> str:
        if self.tier_field:
            return f"{self.get_priority_display()} · {self.tier_field} = {self.tier_value}"
        return str(self.get_priority_display())


class TicketSla(TenantModel):
    """A ticket's SLA clocks, recomputed by ``sla.services.ticket_sla_refresh`` (idempotent)."""

    ticket = models.OneToOneField("service_desk.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, db_index=False)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    # Met: the response or solution came in time (null while the clock runs or when breached).
    first_response_met_at = models.DateTimeField(null=True, blank=True)
    resolution_met_at = models.DateTimeField(null=True, blank=True)
    # The ticket waits on the customer: due times are shown as remaining business minutes instead.
    is_paused = models.BooleanField(_("paused"), default=False)
    resolution_remaining_minutes = models.IntegerField(null=True, blank=True)
    first_response_remaining_minutes = models.IntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)
    # What the clocks were computed from: the sweep recomputes rows whose ticket moved on since
    # (a status change, a first reply, a new priority) without loading unchanged tickets.
    ticket_open = models.BooleanField(default=True)
    seen_version = models.IntegerField(default=0)
    seen_status = models.CharField(max_length=20, blank=True)
    seen_priority = models.CharField(max_length=20, blank=True)
    seen_first_responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweep's stale check walks the rows of open tickets only.
            models.Index(fields=["tenant", "ticket"], condition=Q(ticket_open=True), name="ticketsla_open_idx"),
            # "Breaching soon" on the ticket list and the resolution escalation sweep: running clocks only.
            models.Index(
                fields=["tenant", "resolution_due"],
                condition=Q(resolution_breached=False, resolution_met_at__isnull=True, resolution_due__isnull=False),
                name="ticketsla_resolution_due_idx",
            ),
            # The first-response escalation sweep.
            models.Index(
                fields=["tenant", "first_response_due"],
                condition=Q(
                    first_response_breached=False,
                    first_response_met_at__isnull=True,
                    first_response_due__isnull=False,
                ),
                name="ticketsla_first_due_idx",
            ),
            models.Index(fields=["policy"], name="ticketsla_policy_fk_idx", condition=Q(policy__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class EscalationTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class EscalationRule(TenantModel):
    """Fires once per ticket, ``minutes_before`` minutes before the target's due time (0: at the breach)."""

    name = models.CharField(_("name"), max_length=100)
    target = models.CharField(_("clock"), max_length=20, choices=EscalationTarget.choices)
    minutes_before = models.PositiveIntegerField(_("minutes before the breach"), default=0)
    notify_assignee = models.BooleanField(_("notify the assignee"), default=True)
    notify_queue = models.BooleanField(_("notify the queue's members"), default=False)
    reassign_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("reassign to agent"),
    )  # fmt: skip
    reassign_to_queue = models.ForeignKey(
        "service_desk.Queue", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("move to queue"),
    )  # fmt: skip
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["target", "-minutes_before", "id"]
        indexes = [
            models.Index(fields=["tenant", "target"], condition=Q(is_active=True), name="escalationrule_active_idx"),
            models.Index(
                fields=["reassign_to_user"], name="escrule_user_fk_idx", condition=Q(reassign_to_user__isnull=False)
            ),
            models.Index(
                fields=["reassign_to_queue"], name="escrule_queue_fk_idx", condition=Q(reassign_to_queue__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationFired(TenantModel):
    """One row per (rule, ticket): inserted in the same transaction as the rule's actions, so a rule
    acts once per ticket however many sweeps or workers see the ticket."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, db_index=False, related_name="+")
    ticket = models.ForeignKey("service_desk.Ticket", on_delete=models.CASCADE, db_index=False, related_name="+")
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "rule", "ticket"], name="escalationfired_uniq")]
        indexes = [
            models.Index(fields=["rule"], name="escalationfired_rule_fk_idx"),
            models.Index(fields=["ticket"], name="escalationfired_ticket_fk_idx"),
        ]


class RoutingRule(TenantModel):
    """Conditions (all that are set must hold) and actions for a ticket just opened; rules run by position."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    channel = models.CharField(_("channel is"), max_length=20, choices=TicketChannel.choices, blank=True)
    category = models.CharField(_("category is"), max_length=60, blank=True)
    keyword = models.CharField(_("subject or description contains"), max_length=100, blank=True)
    tier_field = models.CharField(_("customer field"), max_length=60, blank=True)
    tier_value = models.CharField(_("has the value"), max_length=100, blank=True)
    set_queue = models.ForeignKey(
        "service_desk.Queue", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+",
        verbose_name=_("put in queue"),
    )  # fmt: skip
    set_priority = models.CharField(_("set priority"), max_length=20, choices=TicketPriority.choices, blank=True)
    add_tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, verbose_name=_("add tags"))
    stop_processing = models.BooleanField(_("stop after this rule"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["tenant", "position"], condition=Q(is_active=True), name="routingrule_position_idx"),
            models.Index(fields=["set_queue"], name="routingrule_queue_fk_idx", condition=Q(set_queue__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual (no automatic assignment)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least open tickets")


class QueueRouting(TenantModel):
    """A queue's automatic assignment; the row is locked while a new ticket is assigned, so concurrent
    creates take turns and round robin never hands two tickets to the same agent out of turn."""

    queue = models.ForeignKey("service_desk.Queue", on_delete=models.CASCADE, db_index=False, related_name="+")
    mode = models.CharField(
        _("assignment"), max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "queue"], name="queuerouting_queue_uniq")]
        indexes = [
            models.Index(fields=["queue"], name="queuerouting_queue_fk_idx"),
            models.Index(
                fields=["last_assigned"], name="queuerouting_user_fk_idx", condition=Q(last_assigned__isnull=False)
            ),
        ]
