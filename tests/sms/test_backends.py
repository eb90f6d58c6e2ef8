"""The backends against real peers: an HTTP gateway (pytest-httpserver), a folder, standard output."""

from __future__ import annotations

import json
import socket
import time

import pytest
from werkzeug import Request, Response

from sms.backends import OutgoingSms, SmsError
from sms.backends.console import ConsoleBackend
from sms.backends.file import FileBackend
from sms.backends.http_gateway import HttpGatewayBackend
from sms.segments import segment_info

MESSAGE = OutgoingSms(to="+4915112345678", sender="ACME", body="Your order has shipped.", client_reference="ref-1")


def backend(gateway, **kwargs) -> HttpGatewayBackend:
    return HttpGatewayBackend(url=gateway.url_for("/v1/messages"), token="tok-123", **kwargs)


def test_the_gateway_gets_the_documented_json_with_the_bearer_token(gateway):
    gateway.expect_request(
        "/v1/messages", method="POST", headers={"Authorization": "Bearer tok-123", "Content-Type": "application/json"},
        json={"to": "+4915112345678", "from": "ACME", "body": "Your order has shipped.", "client_reference": "ref-1"},
    ).respond_with_json({"id": "gw-42", "status": "accepted"})  # fmt: skip

    result = backend(gateway).send(MESSAGE)

    assert (result.provider_id, result.status) == ("gw-42", "sent")
    gateway.check_assertions()


@pytest.mark.parametrize(
    ("status", "answer", "permanent", "says"),
    [
        (
            400,
            {"error": "Invalid destination number"},
            True,
            "refused the message (HTTP 400): Invalid destination number",
        ),
        (401, {"error": "bad token"}, True, "refused the token (HTTP 401): bad token"),
        (422, "number blocked", True, "refused the message (HTTP 422): number blocked"),
        (429, {"error": "slow down"}, False, "had a problem (HTTP 429): slow down"),
        (500, "", False, "had a problem (HTTP 500)."),
        (503, {"message": "maintenance"}, False, "had a problem (HTTP 503): maintenance"),
    ],
)
def test_4xx_answers_are_permanent_and_5xx_transient(gateway, status, answer, permanent, says):
    response = json.dumps(answer) if isinstance(answer, dict) else answer
    gateway.expect_request("/v1/messages").respond_with_data(response, status=status)
    with pytest.raises(SmsError) as refused:
        backend(gateway).send(MESSAGE)
    assert refused.value.permanent is permanent
    assert says in refused.value.message


def test_a_gateway_answering_failed_with_200_is_a_permanent_refusal(gateway):
    gateway.expect_request("/v1/messages").respond_with_json({"id": "x", "status": "rejected", "error": "opted out"})
    with pytest.raises(SmsError, match="opted out") as refused:
        backend(gateway).send(MESSAGE)
    assert refused.value.permanent


def test_a_slow_gateway_is_a_transient_timeout(gateway):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps({"id": "late"}), content_type="application/json")

    gateway.expect_request("/v1/messages").respond_with_handler(slow)
    with pytest.raises(SmsError, match=r"did not answer within 0\.3 s") as refused:
        backend(gateway, timeout=0.3).send(MESSAGE)
    assert not refused.value.permanent


def test_an_unreachable_gateway_is_transient_and_says_where():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = HttpGatewayBackend(url=f"http://127.0.0.1:{port}/v1/messages", token="t", timeout=2)
    with pytest.raises(SmsError, match=rf"The gateway at 127\.0\.0\.1:{port} could not be reached") as refused:
        unreachable.send(MESSAGE)
    assert not refused.value.permanent


def test_a_redirect_is_not_followed(gateway):
    gateway.expect_request("/v1/messages").respond_with_data("", status=302, headers={"Location": "/elsewhere"})
    with pytest.raises(SmsError, match="redirected") as refused:
        backend(gateway).send(MESSAGE)
    assert refused.value.permanent
    assert [request.path for request, _ in gateway.log] == ["/v1/messages"]


def test_the_file_backend_appends_one_json_line_per_message(tmp_path):
    outbox = FileBackend(tmp_path / "acme")
    first = outbox.send(MESSAGE)
    outbox.send(OutgoingSms(to="+4915187654321", sender="", body="Grüße 👋", client_reference="ref-2"))

    lines = (tmp_path / "acme" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    written = json.loads(lines[0])
    assert written["id"] == first.provider_id and first.status == "sent"
    assert {k: written[k] for k in ("to", "from", "body", "client_reference")} == {
        "to": "+4915112345678", "from": "ACME", "body": "Your order has shipped.", "client_reference": "ref-1",
    }  # fmt: skip
    assert json.loads(lines[1])["body"] == "Grüße 👋"


def test_the_file_backend_reports_a_folder_it_cannot_write(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(SmsError, match="Could not write to") as refused:
        FileBackend(blocker / "acme").send(MESSAGE)
    assert not refused.value.permanent


def test_the_console_backend_prints_the_message(capsys):
    result = ConsoleBackend().send(MESSAGE)
    printed = capsys.readouterr().out
    assert printed.startswith("SMS {") and '"to": "+4915112345678"' in printed and "Your order has shipped." in printed
    assert result.provider_id.startswith("console-")


@pytest.mark.parametrize(
    ("text", "encoding", "length", "segments"),
    [
        ("", "gsm7", 0, 0),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),  # 153 per part once it is split
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # extension characters take two septets
        ("Grüße aus Köln", "gsm7", 14, 1),  # ü and ö are in the GSM alphabet
        ("ç" * 70, "ucs2", 70, 1),  # lower-case ç is not (only Ç is)
        ("你好" * 35, "ucs2", 70, 1),
        ("你好" * 36, "ucs2", 72, 2),  # 67 per part
        ("👋" * 35, "ucs2", 70, 1),  # an emoji is two UTF-16 units
    ],
)
def test_length_and_parts_follow_gsm7_and_ucs2_limits(text, encoding, length, segments):
    info = segment_info(text)
    assert (info.encoding, info.length, info.segments) == (encoding, length, segments)
