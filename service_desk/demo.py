"""Demo data of the service desk: queues, canned responses and about forty tickets with conversations,
so the agent pages have something to show after ``make run``. Deterministic for a given seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from crm.models import Tenant, User
from crm.roles import Role
from crm.tenancy.context import tenant_context
from customers.models import Contact
from service_desk import services
from service_desk.models import (
    MessageKind,
    Queue,
    QueueMember,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
)

# (queue, subject, category, tags, customer's first message, agent's reply or "", customer's answer or "")
STORIES: list[tuple[str, str, str, list[str], str, str, str]] = [
    (
        "Billing",
        "Charged twice for order",
        "billing",
        ["refund"],
        "Hi, my card was charged twice for my last order. Can you refund one of the payments?",
        "Sorry about that! I can see the duplicate charge and have started the refund; it takes 3-5 business days.",
        "Thank you, that was quick.",
    ),
    (
        "Billing",
        "Invoice needs our VAT number",
        "billing",
        ["invoice"],
        "Could you reissue last month's invoice with our VAT number DE812345678 on it?",
        "Of course. The corrected invoice is attached to your account now.",
        "",
    ),
    (
        "Billing",
        "Cancel subscription at end of term",
        "billing",
        ["cancellation", "churn-risk"],
        "We'd like to cancel our subscription when the current term ends.",
        "",
        "",
    ),
    (
        "Billing",
        "Discount code not applied",
        "billing",
        ["promo"],
        "The code SPRING20 was accepted at checkout but the total didn't change.",
        "The code only applies to full-price items; two items in your cart were already reduced.",
        "Ah, that explains it. Thanks.",
    ),
    (
        "Billing",
        "Payment failed but order shows paid",
        "billing",
        [],
        "My bank says the payment failed but your site says the order is paid. Which is right?",
        "",
        "",
    ),
    (
        "Support",
        "Can't log in after password reset",
        "account",
        ["login"],
        "I reset my password but the new one is not accepted. I've tried three times.",
        "I've cleared the lock on your account. Please try once more and let me know.",
        "Works now, thanks!",
    ),
    (
        "Support",
        "Where is my order?",
        "shipping",
        ["delivery"],
        "I ordered ten days ago and the tracking hasn't moved since Monday.",
        "The parcel is held at the regional depot; I've asked the carrier to release it today.",
        "",
    ),
    (
        "Support",
        "Package arrived damaged",
        "shipping",
        ["damage", "replacement"],
        "The box was crushed and the glass panel inside is cracked. Photos attached.",
        "I'm sorry! A replacement ships today; no need to return the damaged one.",
        "Great service, thank you.",
    ),
    (
        "Support",
        "Change delivery address",
        "shipping",
        [],
        "Can I still change the delivery address for my order? I'm moving next week.",
        "",
        "",
    ),
    (
        "Support",
        "Wrong size delivered",
        "returns",
        ["exchange"],
        "I ordered a medium but received a large. How do I exchange it?",
        "I've emailed you a prepaid return label; the medium goes out as soon as the carrier scans the return.",
        "",
    ),
    (
        "Support",
        "Request for a product manual",
        "product",
        [],
        "Do you have the manual for the X200 as a PDF? Ours got lost.",
        "Here it is: you can also find all manuals under Support > Downloads.",
        "",
    ),
    (
        "Support",
        "Feedback on the new app",
        "product",
        ["feedback"],
        "The new app is much faster, but I miss the dark mode.",
        "",
        "",
    ),
    (
        "Support",
        "Warranty claim for blender",
        "returns",
        ["warranty"],
        "The motor of my blender stopped after eight months. Is this covered?",
        "Yes, it is within the two-year warranty. Could you send us the serial number from the base?",
        "Serial number is BL-4471-2231.",
    ),
    (
        "Support",
        "Delete my account",
        "privacy",
        ["gdpr"],
        "Please delete my account and all data you hold about me.",
        "",
        "",
    ),
    (
        "Technical",
        "API returns 500 on bulk import",
        "api",
        ["bug", "api"],
        "Since this morning POST /v1/items/bulk returns a 500 for batches over 100 items.",
        "Thanks for the report. We found the cause and deployed a fix; could you retry?",
        "Confirmed, it works again.",
    ),
    (
        "Technical",
        "Webhook signatures don't validate",
        "api",
        ["webhooks"],
        "Our webhook receiver rejects your signatures since we rotated the secret.",
        "After rotating, both secrets are valid for 24 hours; please make sure you verify with the new one.",
        "",
    ),
    (
        "Technical",
        "SSO login loops back to the start page",
        "account",
        ["sso", "bug"],
        "When our users sign in with SSO they end up on the login page again.",
        "",
        "",
    ),
    (
        "Technical",
        "Export is missing custom fields",
        "product",
        ["export"],
        "The CSV export doesn't include our custom fields. Is that expected?",
        "Custom fields are included when you tick 'Include custom fields' in the export dialog.",
        "",
    ),
    (
        "Technical",
        "Sync with ERP stopped",
        "integration",
        ["erp", "urgent"],
        "Orders haven't synced from our ERP since yesterday evening. This blocks our warehouse.",
        "",
        "",
    ),
    (
        "Technical",
        "Feature request: CSV import of prices",
        "product",
        ["feature-request"],
        "Could you add a way to import price lists from CSV?",
        "Thanks for the suggestion. I've passed it on to the product team.",
        "",
    ),
]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
CHANNELS = [TicketChannel.EMAIL, TicketChannel.EMAIL, TicketChannel.WEB, TicketChannel.PHONE, TicketChannel.CHAT]
CANNED = [
    ("Thanks, we're on it",
     "Hi {{ contact.first_name }},\n\nthanks for getting in touch about “{{ ticket.subject }}”. We're looking into it "
     "and will get back to you shortly.\n\nBest regards,\n{{ agent.name }}"),
    ("Refund started",
     "Hi {{ contact.first_name }},\n\nI've started the refund; it shows on your statement within 3-5 business days."
     "\n\n{{ agent.name }}"),
    ("Need more details",
     "Hi {{ contact.first_name }},\n\ncould you send us a screenshot and the time it happened? That helps us find "
     "the cause quickly.\n\nThanks,\n{{ agent.name }}"),
    ("Closing: no reply",
     "Hi {{ contact.first_name }},\n\nwe haven't heard back from you, so we're closing ticket #{{ ticket.number }}. "
     "Just reply to reopen it.\n\n{{ agent.name }}"),
]  # fmt: skip


def load_demo_tickets(*, tenant: Tenant, now: datetime, seed: int = 0, count: int = 40) -> int:
    """Create the demo queues, canned responses and ``count`` tickets; returns how many tickets exist.
    Runs inside the tenant's context; does nothing if the tenant already has tickets."""
    if Ticket.objects.exists():
        return Ticket.objects.count()
    rng = random.Random(seed or 8)  # noqa: S311  (demo data, not secrets)
    members = list(
        User.objects.filter(memberships__tenant=tenant, memberships__is_active=True).values_list(
            "pk", "memberships__role"
        )
    )
    users = {user.pk: user for user in User.objects.filter(pk__in=[pk for pk, _role in members])}
    agents = [users[pk] for pk, role in members if role in (Role.SERVICE, Role.ADMIN)]
    if not agents:
        return 0
    domain = tenant.slug + ".example"
    queues = _queues(tenant, domain, agents)
    for title, body in CANNED:
        services.canned_response_save(tenant=tenant, canned=None, title=title, body=body, by=agents[0])
    contacts = list(Contact.objects.exclude(email="").select_related("account").order_by("id")[:400])
    if not contacts:
        return 0
    for index in range(count):
        _ticket(tenant, rng, index, now, queues, agents, contacts)
    return count


def _queues(tenant: Tenant, domain: str, agents: list[User]) -> dict[str, Queue]:
    queues = {}
    for name, description, default in [
        ("Support", "Orders, shipping, returns and accounts", True),
        ("Billing", "Payments, invoices and refunds", False),
        ("Technical", "API, integrations and bugs", False),
    ]:
        queues[name] = services.queue_save(
            tenant=tenant, queue=None, name=name, description=description,
            email_address=f"{name.lower()}@{domain}", is_default=default,
        )  # fmt: skip
        for agent in agents:
            QueueMember.objects.get_or_create(tenant=tenant, queue=queues[name], user=agent)
    return queues


def _ticket(
    tenant: Tenant, rng: random.Random, index: int, now: datetime, queues: dict[str, Queue],
    agents: list[User], contacts: list[Contact],
) -> None:  # fmt: skip
    queue_name, subject, category, tags, first, reply, answer = STORIES[index % len(STORIES)]
    contact = contacts[(index * 37) % len(contacts)]
    opened = now - timedelta(days=rng.uniform(0.02, 30) if index >= 6 else rng.uniform(0.01, 0.3))
    agent = rng.choice(agents)
    assigned = index % 5 != 0
    ticket = services.ticket_create(
        tenant=tenant, subject=subject, description=first, contact=contact, channel=rng.choice(CHANNELS),
        priority=rng.choice(PRIORITIES), queue=queues[queue_name], assignee=agent if assigned else None,
        category=category, tags=tags,
    )  # fmt: skip
    at = opened
    if reply and assigned:
        # Every later entry sits between the previous one and "now", so nothing lies in the future.
        at = opened + (now - opened) * rng.uniform(0.05, 0.4)
        message = TicketMessage.objects.create(
            tenant=tenant, ticket=ticket, kind=MessageKind.REPLY, author_user=agent, from_address=agent.email,
            body_text=f"Hi {contact.first_name or 'there'},\n\n{reply}\n\nBest regards,\n{agent.display_name}",
            created_at=at,
        )  # fmt: skip
        Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=message.created_at)
        if index % 3 == 0:
            TicketMessage.objects.create(
                tenant=tenant, ticket=ticket, kind=MessageKind.NOTE, author_user=agent,
                body_text="Checked the order history: long-time customer, handle with care.",
                created_at=at - timedelta(minutes=5),
            )  # fmt: skip
        if answer:
            at += (now - at) * rng.uniform(0.1, 0.6)
            TicketMessage.objects.create(
                tenant=tenant, ticket=ticket, kind=MessageKind.CUSTOMER, author_contact=contact,
                from_address=contact.email, body_text=answer, created_at=at,
            )  # fmt: skip
    status = _final_status(index, assigned, bool(reply), bool(answer))
    # Backdate what ticket_create stamped "now", then record the final status at its time.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=opened, updated_at=at)
    TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER, author_contact=contact,
                                 body_text=first).update(created_at=opened)  # fmt: skip
    TicketStatusChange.objects.filter(ticket=ticket).update(changed_at=opened)
    if status != ticket.status:
        services.ticket_status_change(tenant=tenant, ticket=ticket, status=status, by=agent if assigned else None)
        moved = at + (now - at) * 0.2
        TicketStatusChange.objects.filter(ticket=ticket, to_status=status).update(changed_at=moved)
        stamps: dict[str, Any] = {"updated_at": moved}
        if status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
            stamps["solved_at"] = moved
        if status == TicketStatus.CLOSED:
            stamps["closed_at"] = moved
        Ticket.objects.filter(pk=ticket.pk).update(**stamps)


def _final_status(index: int, assigned: bool, replied: bool, answered: bool) -> str:
    if not assigned:
        return TicketStatus.NEW
    if answered:
        return TicketStatus.CLOSED if index % 4 == 0 else TicketStatus.SOLVED if index % 2 else TicketStatus.OPEN
    if replied:
        return TicketStatus.PENDING if index % 2 else TicketStatus.SOLVED
    return TicketStatus.ON_HOLD if index % 7 == 3 else TicketStatus.OPEN


def load_demo_desk(*, tenant_ids: list[int], now: datetime, seed: int = 0) -> None:
    """The seed's one call: service-desk demo data for each demo tenant, after their customers exist."""
    for index, tenant in enumerate(Tenant.objects.filter(pk__in=tenant_ids).order_by("pk")):
        with tenant_context(tenant.pk), transaction.atomic():
            load_demo_tickets(tenant=tenant, now=now, seed=seed + index)
