"""Demo custom fields: the contact tier the generator already writes into ``custom_fields["tier"]``
(it drives the demo's customer value), defined so forms, pages, filters and exports show it."""

from __future__ import annotations

from typing import Any

from customers.demo.generate import TIERS

DEMO_FIELDS = [
    # entity, key, label, type, choices, help text
    ("contact", "tier", "Customer tier", "choice", list(TIERS), "Service level agreed with the customer."),
    ("account", "vat_number", "VAT number", "text", [], ""),
    ("deal", "competitor", "Main competitor", "text", [], "Who else the customer is talking to."),
]


def load_demo_custom_fields(cursor: Any, *, tenant_id: int) -> None:
    for position, (entity, key, label, field_type, choices, help_text) in enumerate(DEMO_FIELDS):
        cursor.execute(
            "INSERT INTO customers_customfield (tenant_id, entity, key, label, field_type, choices, required, "
            "help_text, position, created_at) VALUES (%s, %s, %s, %s, %s, %s, false, %s, %s, now())",
            [tenant_id, entity, key, label, field_type, choices, help_text, position],
        )
