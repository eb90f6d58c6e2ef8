"""How many SMS parts a text takes (no Django here).

GSM 03.38 text is packed in 7-bit septets: 160 fit one SMS, 153 each part of a longer one (the user
data header takes the rest). The extension table's characters (``€ [ ] { } ^ ~ \\ |``) take two
septets. Any other character makes the whole message UCS-2: 70 UTF-16 units in one SMS, 67 per part
(an emoji is two units).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7 = "gsm7"
UCS2 = "ucs2"

SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
PART_LIMIT = {GSM7: 153, UCS2: 67}
MAX_SEGMENTS = 10  # gateways commonly refuse longer concatenated messages


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # GSM7 or UCS2
    length: int  # in septets (GSM-7) or UTF-16 units (UCS-2)
    segments: int
    per_segment: int  # the limit that applies: 160/153 or 70/67

    @property
    def remaining(self) -> int:
        """Units left before the message needs another part."""
        return self.segments * self.per_segment - self.length if self.length else self.per_segment

    @property
    def max_length(self) -> int:
        return MAX_SEGMENTS * PART_LIMIT[self.encoding]


def non_gsm_characters(text: str) -> list[str]:
    """The characters that force UCS-2, in first-seen order."""
    seen: list[str] = []
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION and char not in seen:
            seen.append(char)
    return seen


def segment_info(text: str) -> SegmentInfo:
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        encoding = GSM7
        length = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    else:
        encoding = UCS2
        length = len(text.encode("utf-16-le")) // 2
    if length <= SINGLE_LIMIT[encoding]:
        return SegmentInfo(encoding, length, 1 if length else 0, SINGLE_LIMIT[encoding])
    per_part = PART_LIMIT[encoding]
    return SegmentInfo(encoding, length, -(-length // per_part), per_part)
