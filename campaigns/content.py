"""What one recipient receives: merge values, the email (tracked links, open pixel, unsubscribe
link and headers) and the SMS text. Pure building, no writes."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from typing import cast

from django.core.mail import EmailMultiAlternatives
from django.utils.html import escape
from django.utils.translation import gettext as _

from campaigns import merge, tokens
from campaigns.models import Campaign, CampaignDelivery
from customers.custom_fields.selectors import active_custom_fields
from customers.custom_fields.values import display_value
from customers.models import Contact, CustomFieldEntity

_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"'\s]+)\2""", re.IGNORECASE)


def custom_fields() -> list[object]:
    """The workspace's active contact custom fields (merge fields custom.<key>)."""
    return list(active_custom_fields(CustomFieldEntity.CONTACT))


def custom_keys() -> list[str]:
    return [field.key for field in active_custom_fields(CustomFieldEntity.CONTACT)]


def merge_field_names() -> dict[str, str]:
    return merge.allowed_fields(custom_keys())


def merge_values(contact: Contact, *, custom_fields: Iterable[object] = ()) -> dict[str, str]:
    """Plain strings of the whitelisted fields (``contact`` with ``account`` and ``score`` joined)."""
    score = getattr(contact, "score", None) if _has_score(contact) else None
    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": f"{contact.first_name} {contact.last_name}".strip(),
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "city": contact.city,
        "account": contact.account.name if contact.account_id and contact.account else "",
        "score.churn_probability": (
            f"{score.churn_probability * 100:.0f}" if score and score.churn_probability is not None else ""
        ),
        "score.risk_band": score.get_risk_band_display() if score and score.risk_band else "",
        "score.predicted_value": f"{score.predicted_value}" if score and score.predicted_value is not None else "",
        "score.rfm_segment": score.rfm_segment if score else "",
    }
    for field in custom_fields:
        key = field.key  # type: ignore[attr-defined]
        values[f"{merge.CUSTOM_PREFIX}{key}"] = display_value(field, (contact.custom_fields or {}).get(key))  # type: ignore[arg-type]
    return values


def _has_score(contact: Contact) -> bool:
    try:
        return contact.score is not None  # type: ignore[attr-defined]
    except Exception:  # RelatedObjectDoesNotExist: not scored yet
        return False


def _tenant_id(campaign: Campaign) -> int:
    return cast(int, campaign.tenant_id)


def variant_content(campaign: Campaign, variant: str) -> tuple[str, str, str]:
    """(subject, HTML body, SMS text) of variant ``a`` or ``b`` (B falls back to A where left empty)."""
    if variant == "b" and campaign.ab_enabled:
        return (
            campaign.ab_subject_b or campaign.subject,
            campaign.ab_html_body_b or campaign.html_body,
            campaign.ab_sms_body_b or campaign.sms_body,
        )
    return campaign.subject, campaign.html_body, campaign.sms_body


def campaign_links(campaign: Campaign) -> set[str]:
    """Every literal http(s) link of the campaign's bodies: the only places a click redirect may lead."""
    links: set[str] = set()
    for body in (campaign.html_body, campaign.ab_html_body_b):
        for match in _HREF.finditer(body or ""):
            if "{{" not in match.group(3):
                links.add(html_lib.unescape(match.group(3)))
    return links


def message_id_for(campaign: Campaign, delivery_id: int, domain: str) -> str:
    """Deterministic: a resend of the same delivery carries the same Message-ID, so receivers can drop it."""
    return f"<campaign-{campaign.pk}-{delivery_id}.{campaign.tenant_id}@{domain}>"


def render_email(
    *,
    campaign: Campaign,
    contact: Contact,
    variant: str,
    delivery_id: int | None,
    custom_fields: Iterable[object] = (),
    track: bool = True,
) -> tuple[str, str, str]:
    """(subject, HTML, text) for one recipient. Without a delivery (preview, test send) links are not tracked
    and the unsubscribe links point nowhere real."""
    subject_template, html_template, _sms = variant_content(campaign, variant)
    values = merge_values(contact, custom_fields=custom_fields)
    if delivery_id is not None:
        unsubscribe = tokens.unsubscribe_url(_tenant_id(campaign), delivery_id)
        preferences = tokens.preferences_url(_tenant_id(campaign), contact.pk)
    else:
        unsubscribe = preferences = "#"
    values["unsubscribe_url"], values["preferences_url"] = unsubscribe, preferences
    subject = merge.render(subject_template, values)
    html = merge.render(html_template, values, html=True)
    text = merge.render(campaign.text_body, values) if campaign.text_body and variant != "b" else ""
    if not text:
        text = merge.text_from_html(html)
    if track and delivery_id is not None:
        allowed = campaign_links(campaign)

        def rewrite(match: re.Match[str]) -> str:
            url = html_lib.unescape(match.group(3))
            if url not in allowed:
                return match.group(0)
            tracked = tokens.click_url(_tenant_id(campaign), delivery_id, url)
            return f"{match.group(1)}{match.group(2)}{escape(tracked)}{match.group(2)}"

        html = _HREF.sub(rewrite, html)
    if not merge.uses(html_template, "unsubscribe_url"):
        footer = _("You receive this email because you agreed to hear from us.")
        html += (
            f'<p style="font-size:12px;color:#6c757d;margin-top:24px">{escape(footer)} '
            f'<a href="{escape(unsubscribe)}">{escape(_("Unsubscribe"))}</a> · '
            f'<a href="{escape(preferences)}">{escape(_("Preferences"))}</a></p>'
        )
        text += f"\n\n--\n{footer}\n{_('Unsubscribe')}: {unsubscribe}\n{_('Preferences')}: {preferences}"
    if track and delivery_id is not None:
        pixel = f'<img src="{escape(tokens.open_url(_tenant_id(campaign), delivery_id))}" width="1" height="1" alt="">'
        html = html.replace("</body>", f"{pixel}</body>") if "</body>" in html else html + pixel
    return subject, html, text


def build_email(
    *,
    campaign: Campaign,
    delivery: CampaignDelivery,
    from_header: str,
    reply_to: str,
    message_id: str,
    custom_fields: Iterable[object] = (),
) -> EmailMultiAlternatives:
    subject, html, text = render_email(
        campaign=campaign,
        contact=delivery.contact,
        variant=delivery.variant,
        delivery_id=delivery.pk,
        custom_fields=custom_fields,
    )
    unsubscribe = tokens.unsubscribe_url(_tenant_id(campaign), delivery.pk)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_header,
        to=[delivery.address],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Message-ID": message_id,
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the https URL.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def render_sms(*, campaign: Campaign, contact: Contact, variant: str, custom_fields: Iterable[object] = ()) -> str:
    _subject, _html, body = variant_content(campaign, variant)
    return merge.render(body, merge_values(contact, custom_fields=custom_fields))
