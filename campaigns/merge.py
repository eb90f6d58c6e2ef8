"""Merge fields in campaign subjects and bodies, built on the mail app's sandbox idea.

Not a template engine: ``{{ first_name }}`` and ``{{ first_name|default:"there" }}`` are looked up in
a dictionary of plain strings built from whitelisted contact fields, custom fields and scores, so a
template can never reach other attributes, call methods or run tags. Anything else in double braces,
and any ``{% tag %}``, is a problem reported with its line when the campaign is edited.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Mapping

from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
FIELD = re.compile(r"""^\s*([A-Za-z_][\w.]*)\s*(?:\|\s*default\s*:\s*("[^"]*"|'[^']*'))?\s*$""")
TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
CUSTOM_PREFIX = "custom."

STANDARD_FIELDS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "full_name": gettext_lazy("Full name"),
    "email": gettext_lazy("Email address"),
    "phone": gettext_lazy("Phone"),
    "title": gettext_lazy("Job title"),
    "city": gettext_lazy("City"),
    "account": gettext_lazy("Account (company) name"),
    "score.churn_probability": gettext_lazy("Churn probability (%)"),
    "score.risk_band": gettext_lazy("Churn risk"),
    "score.predicted_value": gettext_lazy("Predicted value"),
    "score.rfm_segment": gettext_lazy("RFM segment"),
    "unsubscribe_url": gettext_lazy("Unsubscribe link (added at the bottom if not used)"),
    "preferences_url": gettext_lazy("Email and SMS preferences link"),
}


def allowed_fields(custom_keys: Iterable[str]) -> dict[str, str]:
    fields = {name: str(label) for name, label in STANDARD_FIELDS.items()}
    for key in custom_keys:
        fields[f"{CUSTOM_PREFIX}{key}"] = _("Custom field “%(key)s”") % {"key": key}
    return fields


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def problems(text: str, *, allowed: Iterable[str]) -> list[str]:
    """What is wrong with ``text`` as a template, each problem naming its line."""
    names = set(allowed)
    found: list[str] = []
    for match in BRACES.finditer(text):
        line = _line_of(text, match.start())
        parsed = FIELD.match(match.group(1))
        if parsed is None:
            found.append(
                _('Line %(line)d: “%(text)s” is not a merge field; write {{ name }} or {{ name|default:"text" }}.')
                % {"line": line, "text": match.group(0)}
            )
        elif parsed.group(1) not in names:
            found.append(
                _("Line %(line)d: unknown merge field {{ %(field)s }}. Use one of the fields listed next to the form.")
                % {"line": line, "field": parsed.group(1)}
            )
    for match in TAG.finditer(text):
        found.append(
            _("Line %(line)d: template tags such as %(tag)s are not supported; only {{ fields }}.")
            % {"line": _line_of(text, match.start()), "tag": match.group(0)}
        )
    if "{{" in BRACES.sub("", text):
        found.append(_("A “{{” is never closed with “}}”."))
    return found


def uses(text: str, name: str) -> bool:
    return any((m := FIELD.match(match.group(1))) and m.group(1) == name for match in BRACES.finditer(text))


def render(text: str, values: Mapping[str, str], *, html: bool = False) -> str:
    """Replace each field by its value (its default when empty; HTML-escaped in HTML); others stay as typed."""

    def replace(match: re.Match[str]) -> str:
        parsed = FIELD.match(match.group(1))
        if parsed is None or parsed.group(1) not in values:
            return match.group(0)
        value = values[parsed.group(1)]
        if not value and parsed.group(2):
            value = parsed.group(2)[1:-1]
        return escape(value) if html else value

    return BRACES.sub(replace, text)


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>|</tr>")
_LINK = re.compile(r"""(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>""")


def text_from_html(source: str) -> str:
    """A readable plain-text part for an HTML body: links as "text (url)", one line per block."""
    with_links = _LINK.sub(
        lambda m: f"{strip_tags(m.group(2)).strip()} ({m.group(1)})" if strip_tags(m.group(2)).strip() else m.group(1),
        source,
    )
    with_breaks = _BLOCK_END.sub("\n", with_links)
    text = html_lib.unescape(strip_tags(with_breaks))
    lines = [line.strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
