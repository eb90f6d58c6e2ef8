"""Template tags for the interaction partials other apps' pages include."""

from __future__ import annotations

from django import template

from customers.models import Deal
from interactions.models import Interaction
from interactions.selectors import deal_interactions

register = template.Library()


@register.simple_tag
def deal_interaction_rows(deal: Deal) -> list[Interaction]:
    """The latest interactions about ``deal`` (scoped: tenant and record visibility)."""
    return deal_interactions(deal)
