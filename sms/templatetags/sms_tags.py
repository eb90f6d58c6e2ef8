"""The contact page's "Send SMS" button: offered, or disabled with the reason."""

from __future__ import annotations

from typing import Any

from django import template

from sms.selectors import sms_availability

register = template.Library()


@register.inclusion_tag("sms/_contact_button.html", takes_context=True)
def sms_contact_action(context: template.Context, contact: Any) -> dict[str, Any]:
    capabilities = context.get("capabilities") or frozenset()
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if "interactions.edit" not in capabilities or tenant is None:
        return {"show": False}
    return {
        "show": True,
        "contact": contact,
        "availability": sms_availability(tenant=tenant, contact=contact),
        "can_configure": "tenant.configure" in capabilities,
    }
