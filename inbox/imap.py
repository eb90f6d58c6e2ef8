"""The IMAP poller: read new mail from a tenant's mailbox, incrementally, and ingest it.

Incremental by UID within one UIDVALIDITY (a new UIDVALIDITY means the server renumbered the
folder: start again from the first UID; Message-ID idempotency makes that harmless). The mailbox
is opened read-only and messages are fetched with BODY.PEEK, so polling never changes what the
tenant's people see in their mail client.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Tenant
from crm.secrets import SecretUnreadable, decrypt_secret
from inbox.models import InboxSettings, PollStatus, Source

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20
BATCH = 50  # messages fetched per round trip


class ImapError(Exception):
    """Talking to the IMAP server failed. ``permanent``: retrying will not help (refused login)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class ImapParams:
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str


def params_for(config: InboxSettings, *, password: str | None = None) -> ImapParams:
    if not (config.imap_host and config.imap_username):
        raise ImapError(_("Enter the IMAP server and username first."), permanent=True)
    if password is None:
        try:
            password = decrypt_secret(config.imap_password_encrypted)
        except SecretUnreadable as error:
            raise ImapError(str(error), permanent=True) from error
    return ImapParams(
        host=config.imap_host,
        port=config.imap_port,
        security=config.imap_security,
        username=config.imap_username,
        password=password,
        folder=config.imap_folder or "INBOX",
    )


def connect(params: ImapParams) -> imaplib.IMAP4:
    """A logged-in connection with the folder selected read-only; ImapError saying what went wrong."""
    where = f"{params.host}:{params.port}"
    try:
        if params.security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                params.host, params.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
            )
        else:
            client = imaplib.IMAP4(params.host, params.port, timeout=TIMEOUT_SECONDS)
            if params.security == "starttls":
                client.starttls(ssl_context=ssl.create_default_context())
    except ssl.SSLError as error:
        raise ImapError(
            _("Could not set up a secure connection to %(where)s (%(error)s); check the security setting and port.")
            % {"where": where, "error": error.reason or error},
            permanent=False,
        ) from error
    except TimeoutError as error:
        raise ImapError(
            _("The IMAP server %(where)s did not answer in time.") % {"where": where}, permanent=False
        ) from error
    except socket.gaierror as error:
        raise ImapError(
            _("The IMAP server %(host)s could not be found.") % {"host": params.host}, permanent=False
        ) from error
    except OSError as error:
        raise ImapError(
            _("The IMAP server %(where)s is unreachable (%(error)s).")
            % {"where": where, "error": error.strerror or error},
            permanent=False,
        ) from error
    except imaplib.IMAP4.error as error:
        raise ImapError(
            _("The IMAP server %(where)s refused the connection: %(error)s") % {"where": where, "error": error},
            permanent=False,
        ) from error
    try:
        client.login(params.username, params.password)
    except imaplib.IMAP4.error as error:
        _logout(client)
        raise ImapError(_("The IMAP server refused the username or password."), permanent=True) from error
    except OSError as error:
        _logout(client)
        raise ImapError(
            _("The connection to %(where)s dropped during login.") % {"where": where}, permanent=False
        ) from error
    try:
        status, _data = client.select(_quoted(params.folder), readonly=True)
    except imaplib.IMAP4.error as error:
        status = "NO"
        logger.info("inbox: select %s failed: %s", params.folder, error)
    if status != "OK":
        _logout(client)
        raise ImapError(
            _("The folder “%(folder)s” does not exist on the server.") % {"folder": params.folder}, permanent=True
        )
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        client.logout()


def imap_connection_test(params: ImapParams) -> str:
    """Log in and open the folder; the folder's message count on success, ImapError otherwise."""
    client = connect(params)
    try:
        count = _uidvalidity_and_count(client)[1]
    finally:
        _logout(client)
    return _("Connected: %(folder)s has %(count)s messages.") % {"folder": params.folder, "count": count}


def _uidvalidity_and_count(client: imaplib.IMAP4) -> tuple[int | None, int]:
    validity = client.untagged_responses.get("UIDVALIDITY", [None])[-1]
    exists = client.untagged_responses.get("EXISTS", [b"0"])[-1]
    return (int(validity) if isinstance(validity, bytes) else None), (int(exists) if isinstance(exists, bytes) else 0)


_UID = re.compile(rb"UID (\d+)")


def _new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    status, data = client.uid("SEARCH", f"UID {after + 1}:*")
    if status != "OK":
        raise ImapError(_("The IMAP server refused to list new messages."), permanent=False)
    # "n:*" always includes the highest UID even when it is below n: keep only the really new ones.
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > after)


def _fetch(client: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    status, data = client.uid("FETCH", ",".join(str(uid) for uid in uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise ImapError(_("The IMAP server refused to send messages."), permanent=False)
    found = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = _UID.search(item[0])
            if match:
                found.append((int(match.group(1)), item[1]))
    return sorted(found)


def imap_poll(*, tenant: Tenant) -> int:
    """Ingest what arrived since the last poll; returns how many new messages were stored.

    Progress (the last UID) is saved after every message, so an interrupted poll resumes where it
    stopped. Raises ImapError (after recording it on the settings) when the server fails.
    """
    from inbox.services import inbound_message_ingest, inbox_settings_for

    config = inbox_settings_for(tenant)
    if not config.imap_enabled:
        return 0
    try:
        client = connect(params_for(config))
    except ImapError as error:
        _record(config, status=PollStatus.AUTH_FAILED if error.permanent else PollStatus.ERROR, message=str(error))
        raise
    stored = 0
    try:
        validity, _count = _uidvalidity_and_count(client)
        if validity != config.imap_uidvalidity:
            config.imap_uidvalidity = validity
            config.imap_last_uid = 0
            config.save(update_fields=["imap_uidvalidity", "imap_last_uid"])
        uids = _new_uids(client, config.imap_last_uid)
        for start in range(0, len(uids), BATCH):
            for uid, raw in _fetch(client, uids[start : start + BATCH]):
                result = inbound_message_ingest(tenant=tenant, raw=raw, source=Source.IMAP)
                stored += int(result.created)
                config.imap_last_uid = uid
                config.save(update_fields=["imap_last_uid"])
    except (imaplib.IMAP4.error, OSError) as error:
        failure = ImapError(
            _("The IMAP connection failed while reading mail: %(error)s") % {"error": error}, permanent=False
        )
        _record(config, status=PollStatus.ERROR, message=str(failure), count=stored)
        raise failure from error
    except ImapError as error:
        _record(config, status=PollStatus.ERROR, message=str(error), count=stored)
        raise
    finally:
        _logout(client)
    _record(
        config,
        status=PollStatus.OK,
        message=_("%(count)s new messages.") % {"count": stored},
        count=stored,
    )
    return stored


def _record(config: InboxSettings, *, status: str, message: str, count: int = 0) -> None:
    config.last_poll_at = timezone.now()
    config.last_poll_status = status
    config.last_poll_message = message
    config.last_poll_count = count
    config.save(update_fields=["last_poll_at", "last_poll_status", "last_poll_message", "last_poll_count"])
