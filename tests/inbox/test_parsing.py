"""The MIME parser on small raw messages: addresses, bodies, charsets, forwards, automatic mail."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from inbox.parsing import AUTO_REPLY, BOUNCE, MimeParseError, parse_email, raw_message_id


def test_plain_message_headers_and_body():
    raw = (
        b"From: Mei Lin <Mei.Lin@Example.COM>\r\n"
        b"To: Sales <sales@acme.example>, bob@acme.example\r\n"
        b"Cc: Boss <boss@example.com>\r\n"
        b"Subject: Quote for 200 units\r\n"
        b"Date: Tue, 24 Nov 2026 09:30:00 +0800\r\n"
        b"Message-ID: <abc123@mail.example.com>\r\n"
        b"In-Reply-To: <out-1@crm.example>\r\n"
        b"References: <out-0@crm.example> <out-1@crm.example>\r\n"
        b"\r\n"
        b"Hello,\r\nplease send the quote.\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.message_id == "<abc123@mail.example.com>"
    assert parsed.from_address == "mei.lin@example.com"
    assert parsed.from_name == "Mei Lin"
    assert parsed.to == ["sales@acme.example", "bob@acme.example"]
    assert parsed.cc == ["boss@example.com"]
    assert parsed.subject == "Quote for 200 units"
    assert parsed.date == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    assert parsed.in_reply_to == "<out-1@crm.example>"
    assert parsed.references == ["<out-0@crm.example>", "<out-1@crm.example>"]
    assert parsed.text == "Hello,\nplease send the quote."
    assert parsed.html == ""
    assert not parsed.is_automatic


def test_missing_message_id_gets_a_stable_hash_of_the_bytes():
    raw = b"From: a@example.com\r\nSubject: no id\r\n\r\nbody\r\n"
    assert parse_email(raw).message_id == parse_email(raw).message_id == raw_message_id(raw)
    assert parse_email(raw + b"more").message_id != raw_message_id(raw)


def test_gbk_body_and_encoded_subject():
    body = "您好，请报价。谢谢！".encode("gbk")  # noqa: RUF001
    subject = base64.b64encode("询价：二百台".encode("gbk")).decode()  # noqa: RUF001
    raw = (
        b"From: =?GBK?B?" + base64.b64encode("王伟".encode("gbk")) + b"?= <wang@example.cn>\r\n"
        b"Subject: =?GBK?B?" + subject.encode() + b"?=\r\n"
        b"Content-Type: text/plain; charset=GBK\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "询价：二百台"  # noqa: RUF001
    assert parsed.from_name == "王伟"
    assert parsed.text == "您好，请报价。谢谢！"  # noqa: RUF001


def test_gb2312_label_on_gbk_only_characters_still_decodes():
    # 镕 is in GBK but not in GB2312: mail clients label such text gb2312 all the time.
    body = "朱镕基".encode("gbk")
    raw = b"From: a@example.cn\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n" + body
    assert parse_email(raw).text == "朱镕基"


def test_big5_and_iso_2022_jp():
    big5 = b"From: a@example.tw\r\nContent-Type: text/plain; charset=big5\r\n\r\n" + "臺灣報價單".encode("big5")
    assert parse_email(big5).text == "臺灣報價單"
    jp_subject = base64.b64encode("見積もり".encode("iso-2022-jp")).decode().encode()
    jp = (
        b"From: a@example.jp\r\nSubject: =?ISO-2022-JP?B?" + jp_subject + b"?=\r\n"
        b"Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + "よろしくお願いします".encode("iso-2022-jp")
    )
    parsed = parse_email(jp)
    assert parsed.subject == "見積もり"
    assert parsed.text == "よろしくお願いします"


def test_wrong_declared_charset_falls_back():
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + "Grüße, 报价".encode()
    assert parse_email(raw).text == "Grüße, 报价"


def test_unknown_charset_and_absent_charset_do_not_crash():
    unknown = b"From: a@example.com\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\n" + "café".encode()
    assert parse_email(unknown).text == "café"
    absent = b"From: a@example.cn\r\nSubject: " + "报价".encode("gbk") + b"\r\n\r\n" + "请报价".encode("gbk")
    parsed = parse_email(absent)
    assert parsed.text == "请报价"
    assert parsed.subject == "报价"


def test_html_only_mail_becomes_text_and_keeps_sanitised_html():
    raw = (
        b"From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Hi <b>there</b></p>"
        b"<script>alert(1)</script><p onclick='x()'>Line&nbsp;two<br>three</p>"
        b"<a href='javascript:evil()'>x</a><img src='http://track/p.gif'></body></html>"
    )
    parsed = parse_email(raw)
    assert parsed.text == "Hi there\n\nLine two\nthree\nx"
    assert "<b>there</b>" in parsed.html
    for unsafe in ("script", "alert", "onclick", "javascript:", "<img", "track"):
        assert unsafe not in parsed.html


def test_alternative_prefers_plain_and_keeps_html():
    raw = (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain version\r\n"
        b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML version</p>\r\n"
        b"--b1--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.text == "Plain version"
    assert parsed.html == "<p>HTML version</p>"


def test_attachments_with_names_types_and_bytes():
    pdf = b"%PDF-1.4 fake"
    raw = (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--m\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="quote.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(pdf) + b"\r\n"
        b"--m\r\nContent-Type: text/csv\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7.csv\r\n\r\n"
        b"a,b\r\n"
        b"--m--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.text == "See attached."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("quote.pdf", "application/pdf"),
        ("报价.csv", "text/csv"),
    ]
    assert parsed.attachments[0].content == pdf


def test_forwarded_message_rfc822_part_recovers_the_original_sender():
    raw = (
        b"From: Rep <rep@acme.example>\r\nSubject: Fwd: Order\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="f"\r\n\r\n'
        b"--f\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: Customer Co <buyer@customer.example>\r\nSubject: Order\r\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nWe want 10 more.\r\n"
        b"--f--\r\n"
    )
    parsed = parse_email(raw)
    assert len(parsed.forwarded) == 1
    original = parsed.forwarded[0]
    assert original.from_address == "buyer@customer.example"
    assert original.from_name == "Customer Co"
    assert original.subject == "Order"
    assert original.text == "We want 10 more."
    assert parsed.attachments[0].content_type == "message/rfc822"


@pytest.mark.parametrize(
    ("block", "address", "name"),
    [
        (
            "---------- Forwarded message ---------\nFrom: Jane Buyer <jane@customer.example>\n"
            "Date: Mon, 23 Nov 2026 at 10:00\nSubject: Order\nTo: rep@acme.example\n\nWe want 10 more.",
            "jane@customer.example",
            "Jane Buyer",
        ),
        (
            "-----Original Message-----\nFrom: Jane Buyer [mailto:jane@customer.example]\n"
            "Sent: Monday, November 23, 2026 10:00 AM\nTo: Rep\nSubject: Order\n\nWe want 10 more.",
            "jane@customer.example",
            "Jane Buyer",
        ),
        (
            "Begin forwarded message:\n\n> From: jane@customer.example\n> Subject: Order\n>\n> We want 10 more.",
            "jane@customer.example",
            "",
        ),
    ],
)
def test_inline_forward_blocks_recover_the_original_sender(block, address, name):
    raw = f"From: rep@acme.example\r\nSubject: Fwd: Order\r\n\r\nSee below.\r\n\r\n{block}\r\n".encode()
    parsed = parse_email(raw)
    assert [(f.from_address, f.from_name) for f in parsed.forwarded] == [(address, name)]
    assert "We want 10 more." in parsed.forwarded[0].text


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ("Auto-Submitted: auto-replied", "Re: Quote"),
        ("X-Autoreply: yes", "Re: Quote"),
        ("X-Autorespond: yes", "Re: Quote"),
        ("Precedence: auto_reply", "Re: Quote"),
        ("Precedence: bulk", "Newsletter"),
        ("Precedence: junk", "Re: Quote"),
        ("X-Mailer: x", "Out of Office: Re: Quote"),
        ("X-Mailer: x", "Automatic reply: Quote"),
        ("X-Mailer: x", "自动回复: 报价"),
    ],
)
def test_auto_replies_are_recognised(headers, subject):
    raw = f"From: a@example.com\r\n{headers}\r\nSubject: {subject}\r\n\r\nI am away.\r\n".encode()
    parsed = parse_email(raw)
    assert parsed.auto_kind == AUTO_REPLY
    assert parsed.auto_reason


def test_auto_submitted_no_is_a_person():
    raw = b"From: a@example.com\r\nAuto-Submitted: no\r\nSubject: Re: Quote\r\n\r\nYes please.\r\n"
    assert parse_email(raw).auto_kind == ""


def test_delivery_status_report_is_a_bounce():
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--r--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.auto_kind == BOUNCE
    assert "delivery-status" in parsed.auto_reason


def test_postmaster_sender_is_a_bounce():
    raw = b"From: postmaster@example.com\r\nSubject: Delivery failure\r\n\r\nNo such user.\r\n"
    assert parse_email(raw).auto_kind == BOUNCE


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (
            b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n--x--\r\n",
            "no usable boundary",
        ),
        (
            b'From: a@example.com\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n'
            b"--m\r\nContent-Type: text/plain\r\n\r\nCut off here",
            "truncated",
        ),
        (b"", "empty"),
        (b"just some text with no headers at all", "no headers"),
    ],
)
def test_broken_mime_is_a_clear_parse_error(raw, words):
    with pytest.raises(MimeParseError, match=words):
        parse_email(raw)


def test_garbage_bytes_never_crash():
    raw = b'From: \xff\xfe@@\r\nSubject: \x00\x81\r\nContent-Type: text/plain; charset="\xff"\r\n\r\n\xff\xfe\xfd'
    parsed = parse_email(raw)
    assert parsed.text


COMPLEX = (
    b"From: =?GBK?B?" + base64.b64encode("王伟".encode("gbk")) + b"?= <wang@example.cn>\r\nSubject: Fwd: x\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    b"--inner\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode("请报价".encode("gbk"))
    + b"\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"<p>=E4=BD=A0=E5=A5=BD</p>\r\n--inner--\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: buyer@customer.example\r\nSubject: "
    + "原始".encode("gbk")
    + b'\r\n\r\nbody\r\n--outer\r\nContent-Type: application/pdf; name="a.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer--\r\n"
)


def test_the_complex_message_parses():
    parsed = parse_email(COMPLEX)
    assert parsed.text == "请报价"
    assert parsed.forwarded[0].from_address == "buyer@customer.example"
    assert [a.filename for a in parsed.attachments][-1] == "a.pdf"


@pytest.mark.parametrize("cut", range(1, len(COMPLEX), 23))
def test_every_truncation_is_parsed_or_refused_never_a_crash(cut):
    try:
        parse_email(COMPLEX[:cut])
    except MimeParseError as error:
        assert str(error)


@pytest.mark.parametrize("position", range(0, len(COMPLEX), 29))
def test_corrupted_bytes_are_parsed_or_refused_never_a_crash(position):
    corrupted = COMPLEX[:position] + b"\xff\x00\x81" + COMPLEX[position + 3 :]
    try:
        parse_email(corrupted)
    except MimeParseError as error:
        assert str(error)
