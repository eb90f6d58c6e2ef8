"""System checks for settings a deployment must not forget."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register()
def site_url_is_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.SITE_URL or settings.DEBUG:
        return []
    return [
        Warning(
            "SITE_URL is not set: links in mail sent by workers (task reminders) will be relative.",
            hint="Set SITE_URL to the address users open, e.g. https://crm.example.com.",
            id="crm.W001",
        )
    ]
