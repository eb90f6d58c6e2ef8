"""Raw MIME in, a plain dataclass out: no Django here, so it is tested on bytes alone.

``parse_email`` never raises anything but ``MimeParseError``: wrong or missing charsets fall back
to a sensible decoding, broken structure (a multipart without its boundary, a truncated message)
is refused with a message that says what is wrong.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import nh3


class MimeParseError(ValueError):
    """The bytes are not a message we can read; the message says why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ForwardedMessage:
    """The original of a forwarded mail: who wrote it, so it lands on that customer."""

    from_address: str
    from_name: str = ""
    subject: str = ""
    date: datetime | None = None
    text: str = ""


@dataclass
class ParsedEmail:
    message_id: str
    from_address: str
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    subject: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""  # sanitised with nh3, safe to display
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[ForwardedMessage] = field(default_factory=list)
    auto_kind: str = ""  # "", "auto_reply" or "bounce"
    auto_reason: str = ""

    @property
    def is_automatic(self) -> bool:
        return bool(self.auto_kind)


AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"

# Declared charsets that are really a wider one in practice: mail labelled GB2312 is routinely GBK,
# and Big5 from Hong Kong uses the HKSCS extensions.
_CHARSET_UPGRADES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
# Tried in order when the declared charset is absent or wrong; the last one never fails.
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs", "shift_jis", "euc-kr", "cp1252")

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def normalise_address(address: str) -> str:
    """The form addresses are compared in: no display name, no spaces, lower case."""
    return parseaddr(address)[1].strip().lower() if address else ""


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: the declared charset if it decodes cleanly, else the first fallback that does."""
    candidates: list[str] = []
    if declared:
        name = declared.strip().strip('"').lower()
        candidates.append(_CHARSET_UPGRADES.get(name, name))
    candidates.extend(_FALLBACKS)
    for charset in candidates:
        try:
            codecs.lookup(charset)
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")  # not reached: cp1252 with replace below covers all


def _fix_header_text(value: str) -> str:
    """Headers carrying raw 8-bit text (no encoded-words) arrive as surrogate escapes: decode them."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        return decode_bytes(value.encode("utf-8", "surrogateescape"))
    return value


def _raw_values(message: Message, name: str) -> list[str]:
    """Header values as received: raw 8-bit text is still there as surrogate escapes, which the
    policy's parsed headers would already have turned into U+FFFD."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _header(message: Message, name: str) -> str:
    values = _raw_values(message, name)
    if not values:
        return ""
    text = values[0]
    if any("\udc80" <= char <= "\udcff" for char in text):
        text = _fix_header_text(text)
    else:
        try:
            text = str(message.get(name, ""))
        except Exception:  # a header the policy cannot parse: decode its encoded-words ourselves
            text = values[0]
        if "=?" in text:  # encoded-words with an unknown charset are left undecoded by the policy
            text = _decode_words(text)
    return " ".join(text.split())


_ENCODED_WORD = re.compile(r"=\?([^?]+)\?([bBqQ])\?([^?]*)\?=")


def _decode_words(text: str) -> str:
    import base64
    import quopri

    def replace(match: re.Match[str]) -> str:
        charset, encoding, payload = match.groups()
        try:
            if encoding.lower() == "b":
                data = base64.b64decode(payload + "=" * (-len(payload) % 4))
            else:
                data = quopri.decodestring(payload.replace("_", " ").encode(), header=True)
        except ValueError:
            return match.group(0)
        return decode_bytes(data, charset)

    return _ENCODED_WORD.sub(replace, text)


def _addresses(message: Message, name: str) -> list[str]:
    values = [_fix_header_text(_decode_words(raw) if "=?" in raw else raw) for raw in _raw_values(message, name)]
    found = []
    for _display, address in getaddresses(values):
        normalised = address.strip().lower()
        if "@" in normalised and normalised not in found:
            found.append(normalised)
    return found


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" means unknown zone: treat as UTC
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    return decode_bytes(payload, part.get_content_charset())


class _TextFromHtml(HTMLParser):
    """Readable text from HTML: paragraphs and line breaks kept, scripts and styles dropped."""

    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextFromHtml()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sanitise_html(markup: str) -> str:
    # nh3 keeps formatting and links, drops scripts, styles, event handlers and javascript: URLs;
    # remote images would be tracking pixels, so img is not allowed.
    tags = set(nh3.ALLOWED_TAGS) - {"img"}
    return nh3.clean(markup, tags=tags, link_rel="noopener noreferrer nofollow")


# --- Automatic mail -----------------------------------------------------------------------------

_OUT_OF_OFFICE = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|autoreply|auto:|out of (the )?office|"
    r"ooo\b|away from (the )?office|on vacation|abwesenheitsnotiz|réponse automatique|"
    r"respuesta automática|自动回复|自動回覆|自動応答|不在)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(able|ed)|delivery status notification \(failure\)|mail delivery failed|"
    r"returned mail|failure notice|delivery failure)",
    re.IGNORECASE,
)


def classify_automatic(message: Message, from_address: str, subject: str) -> tuple[str, str]:
    """("bounce"|"auto_reply"|"", why). Bounces first: they often also say Auto-Submitted."""
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type") or "").lower() if content_type == "multipart/report" else ""
    if content_type == "multipart/report" and report_type == "delivery-status":
        return BOUNCE, "Delivery status report (multipart/report; report-type=delivery-status)"
    if from_address.startswith(_BOUNCE_SENDERS):
        return BOUNCE, f"Sent by the mail system ({from_address})"
    if not from_address and _BOUNCE_SUBJECT.match(subject):
        return BOUNCE, "A delivery failure notice with no sender"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"):
        if name in message and name != "X-Auto-Response-Suppress-Reply":
            return AUTO_REPLY, f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return AUTO_REPLY, f"Precedence: {precedence}"
    if _OUT_OF_OFFICE.match(subject):
        return AUTO_REPLY, f"Out-of-office subject: {subject[:80]}"
    return "", ""


# --- Forwarded messages ---------------------------------------------------------------------------

_FORWARD_MARKERS = re.compile(
    r"^[>\s]*(-{5,}\s*(forwarded message|original message|转发邮件|原始邮件)\s*-{5,}|"
    r"begin forwarded message:|-{5,}\s*forwarded by)",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(
    r"^[>\s]*\*?(from|发件人|sent|date|发送时间|subject|主题|to|收件人|cc)\*?\s*[:：]\s*(.*)$",  # noqa: RUF001
    re.I,
)
_MAILTO = re.compile(r"\[mailto:([^\]]+)\]")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+")


def _inline_forwards(text: str) -> list[ForwardedMessage]:
    found = []
    for marker in _FORWARD_MARKERS.finditer(text):
        block = text[marker.end() :].lstrip("\r\n")
        headers: dict[str, str] = {}
        lines = block.splitlines()
        consumed = 0
        for consumed, line in enumerate(lines[:12]):  # noqa: B007
            match = _HEADER_LINE.match(line)
            if match:
                key = {"发件人": "from", "发送时间": "date", "sent": "date", "主题": "subject"}.get(
                    match.group(1).lower(), match.group(1).lower()
                )
                headers.setdefault(key, match.group(2).strip())
            elif headers and not line.strip(" >\t"):
                break
        sender = headers.get("from", "")
        address = ""
        mailto = _MAILTO.search(sender)
        if mailto:
            address = mailto.group(1)
            sender = _MAILTO.sub("", sender)
        else:
            match = _ADDRESS.search(sender)
            address = match.group(0) if match else ""
        if not address:
            continue
        name = parseaddr(sender)[0] or sender.split("<")[0].strip().strip('"')
        if "@" in name:
            name = ""
        body = "\n".join(line.lstrip("> ") for line in lines[consumed + 1 :]).strip()
        found.append(
            ForwardedMessage(
                from_address=address.strip().lower(),
                from_name=name.strip(),
                subject=headers.get("subject", ""),
                date=_date(headers.get("date", "")),
                text=body,
            )
        )
    return found


# --- The walk -------------------------------------------------------------------------------------


def _check_structure(message: Message) -> None:
    for part in message.walk():
        for defect in part.defects:
            name = type(defect).__name__
            if name in ("NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect"):
                raise MimeParseError(
                    f"The message is broken: the {part.get_content_type()} part has no usable boundary, "
                    "so its parts cannot be separated."
                )
            if name == "CloseBoundaryNotFoundDefect":
                raise MimeParseError(
                    f"The message is truncated: the {part.get_content_type()} part never reaches its closing boundary."
                )
            if name == "MultipartInvariantViolationDefect":
                raise MimeParseError(f"The message is broken: {part.get_content_type()} is not really multipart.")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return _fix_header_text(_decode_words(str(name)) if "=?" in str(name) else str(name)).strip()
    return ""


def _walk(
    message: Message,
    texts: list[str],
    htmls: list[str],
    attachments: list[Attachment],
    forwarded: list[ForwardedMessage],
) -> None:
    content_type = message.get_content_type()
    disposition = (message.get_content_disposition() or "").lower()
    filename = _filename(message)
    if content_type == "message/rfc822":
        payload = message.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            forwarded.append(_forwarded_from(inner))
            try:
                raw = inner.as_bytes(policy=policy.SMTP) if isinstance(inner, EmailMessage) else inner.as_bytes()
            except (ValueError, LookupError, TypeError):  # 8-bit headers the generator refuses to fold
                raw = inner.as_string().encode("utf-8", "surrogateescape")
            name = filename or (_header(inner, "Subject") or "forwarded message") + ".eml"
            attachments.append(Attachment(name, "message/rfc822", raw))
        return
    if message.is_multipart():
        if content_type == "multipart/alternative":
            parts = [p for p in message.get_payload() if isinstance(p, Message)]  # type: ignore[union-attr]
            plain = [p for p in parts if p.get_content_type() == "text/plain"]
            rich = [p for p in parts if p.get_content_type() == "text/html"]
            others = [p for p in parts if p not in plain and p not in rich]
            if plain:
                texts.append(_part_text(plain[-1]))
            if rich:
                htmls.append(_part_text(rich[-1]))
            for part in others:
                _walk(part, texts, htmls, attachments, forwarded)
            return
        for child in message.get_payload():  # type: ignore[union-attr]
            if isinstance(child, Message):
                _walk(child, texts, htmls, attachments, forwarded)
        return
    if disposition != "attachment" and not filename and content_type in ("text/plain", "text/html"):
        (texts if content_type == "text/plain" else htmls).append(_part_text(message))
        return
    if disposition == "inline" and not filename:
        return  # an unnamed inline part (a signature image): not worth keeping
    content = message.get_payload(decode=True)
    if not isinstance(content, bytes):
        content = b""
    attachments.append(Attachment(filename or f"attachment-{len(attachments) + 1}", content_type, content))


def _forwarded_from(inner: Message) -> ForwardedMessage:
    name, address = parseaddr(_header(inner, "From"))
    texts: list[str] = []
    htmls: list[str] = []
    _walk(inner, texts, htmls, [], [])
    text = "\n\n".join(t.strip() for t in texts if t.strip()) or html_to_text("\n".join(htmls))
    return ForwardedMessage(
        from_address=address.strip().lower(),
        from_name=name,
        subject=_header(inner, "Subject"),
        date=_date(_header(inner, "Date")),
        text=text,
    )


def raw_message_id(raw: bytes) -> str:
    """A stable id for mail without a Message-ID: the same bytes always give the same id."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def parse_email(raw: bytes) -> ParsedEmail:
    if not raw or not raw.strip():
        raise MimeParseError("The message is empty.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it still raises is a broken message
        raise MimeParseError(f"The message could not be read: {error}") from error
    if not message.keys():
        raise MimeParseError("The message has no headers (expected at least From and a blank line before the body).")
    _check_structure(message)
    try:
        return _build(message, raw)
    except MimeParseError:
        raise
    except (LookupError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise MimeParseError(f"The message could not be read: {error}") from error


def _build(message: Message, raw: bytes) -> ParsedEmail:
    from_name, from_address = parseaddr(_header(message, "From"))
    subject = _header(message, "Subject")
    message_ids = _message_ids(_header(message, "Message-ID"))
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    forwarded: list[ForwardedMessage] = []
    _walk(message, texts, htmls, attachments, forwarded)
    html_source = "\n".join(htmls)
    text = "\n\n".join(t.strip("\r\n") for t in texts if t.strip())
    if not text and html_source:
        text = html_to_text(html_source)
    text = text.replace("\r\n", "\n")
    if not forwarded:
        forwarded = _inline_forwards(text)
    auto_kind, auto_reason = classify_automatic(message, from_address.lower(), subject)
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else raw_message_id(raw),
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        date=_date(_header(message, "Date")),
        subject=subject,
        in_reply_to=next(iter(_message_ids(_header(message, "In-Reply-To"))), ""),
        references=_message_ids(_header(message, "References")),
        text=text,
        html=sanitise_html(html_source) if html_source else "",
        attachments=attachments,
        forwarded=forwarded,
        auto_kind=auto_kind,
        auto_reason=auto_reason,
    )


def text_excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(html.unescape(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
