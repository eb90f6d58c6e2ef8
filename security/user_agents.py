"""A short, human label for a browser's User-Agent ("Firefox on Windows")."""

from __future__ import annotations

from django.utils.translation import gettext as _

_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl")]  # fmt: skip
_SYSTEMS = [("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]  # fmt: skip


def describe_user_agent(user_agent: str) -> str:
    if not user_agent:
        return _("Unknown device")
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if "HeadlessChrome" in user_agent:
        browser = "Headless Chrome"
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or user_agent[:60]
