"""Sends through an HTTP SMS gateway with the JSON contract of docs/sms-gateway.md (stdlib only).

POST {to, from, body, client_reference} with ``Authorization: Bearer <token>``; a 2xx answer is
{id, status}. 4xx means the gateway refused this message or our token: permanent (except 408 and
429, which ask us to come back later). 5xx, timeouts and network errors are transient.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from sms.backends.base import OutgoingSms, SendResult, SmsBackend, SmsError

MAX_RESPONSE_BYTES = 64 * 1024
TRANSIENT_4XX = {408, 425, 429}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET without its body: treat it as an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _detail(raw: bytes) -> str:
    """The gateway's explanation from an error body: its JSON error/message, else the text."""
    text = raw[:2000].decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "reason"):
            if isinstance(data.get(key), str) and data[key].strip():
                return data[key].strip()[:200]
    return text[:200]


class HttpGatewayBackend(SmsBackend):
    name = "http"

    def __init__(self, *, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc or self.url

    def send(self, message: OutgoingSms) -> SendResult:
        payload = {"to": message.to, "from": message.sender, "body": message.body,
                   "client_reference": message.client_reference}  # fmt: skip
        request = urllib.request.Request(  # noqa: S310  (the scheme is checked to be http(s) by the settings form)
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "crm-sms/1",
            },
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            raise self._http_error(error.code, error.read(MAX_RESPONSE_BYTES)) from None
        except TimeoutError as error:
            raise SmsError(
                f"The gateway at {self.host} did not answer within {self.timeout:g} s.", permanent=False
            ) from error
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                problem = f"The gateway at {self.host} did not answer within {self.timeout:g} s."
            else:
                problem = (
                    f"The gateway at {self.host} could not be reached: {getattr(reason, 'strerror', None) or reason}."
                )
            raise SmsError(problem, permanent=False) from error
        except (http.client.HTTPException, ConnectionError, OSError) as error:
            raise SmsError(f"The connection to the gateway at {self.host} failed: {error}.", permanent=False) from error
        return self._result(raw)

    def _http_error(self, code: int, raw: bytes) -> SmsError:
        detail = _detail(raw)
        suffix = f": {detail}" if detail else "."
        if code in (401, 403):
            return SmsError(f"The gateway refused the token (HTTP {code}){suffix}", permanent=True)
        if 300 <= code < 400:
            return SmsError(f"The gateway redirected (HTTP {code}); enter its final URL{suffix}", permanent=True)
        if 400 <= code < 500 and code not in TRANSIENT_4XX:
            return SmsError(f"The gateway refused the message (HTTP {code}){suffix}", permanent=True)
        return SmsError(f"The gateway had a problem (HTTP {code}){suffix}", permanent=False)

    def _result(self, raw: bytes) -> SendResult:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        status = str(data.get("status") or "accepted").lower()
        if status in ("failed", "rejected", "undeliverable"):
            detail = data.get("error") or data.get("message") or status
            raise SmsError(f"The gateway refused the message: {str(detail)[:200]}", permanent=True)
        # Accepted, but its answer is unreadable: it was sent all the same, and callbacks can still
        # name it by client_reference, so it must not be retried (that could send it twice).
        return SendResult(
            provider_id=str(data.get("id") or "")[:100], status="delivered" if status == "delivered" else "sent"
        )
