"""Talking to a workspace's SMTP server, and turning what goes wrong into a sentence and a verdict.

The verdict decides what the sending task does: a transient failure (the server is unreachable,
or answered 4xx) is retried with backoff; a permanent one (5xx, refused credentials, a TLS or
configuration problem) fails the email at once with the reason shown to the user.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext as _

from crm.secrets import SecretUnreadable, decrypt_secret
from mail.models import MailSettings, SmtpSecurity


@dataclass
class MailFailure(Exception):
    """A send or a check that did not work: ``reason`` is for people, ``permanent`` for the retry logic."""

    reason: str
    permanent: bool

    def __str__(self) -> str:
        return self.reason


def connection_for(config: MailSettings) -> EmailBackend:
    """Django's SMTP backend pointed at the tenant's server (never the site-wide EMAIL_* settings)."""
    try:
        password = decrypt_secret(config.password_encrypted)
    except SecretUnreadable as error:
        raise MailFailure(str(error), permanent=True) from error
    return get_connection(  # type: ignore[return-value]
        "django.core.mail.backends.smtp.EmailBackend",
        host=config.host,
        port=config.port,
        username=config.username or None,
        password=password or None,
        use_tls=config.security == SmtpSecurity.STARTTLS,
        use_ssl=config.security == SmtpSecurity.SSL,
        timeout=config.timeout,
        fail_silently=False,
    )


def _server_said(error: smtplib.SMTPResponseException) -> str:
    message = (
        error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    )
    return f"{error.smtp_code} {message}".strip()


def classify(error: BaseException, config: MailSettings) -> MailFailure:
    """A sentence naming what failed, and whether trying again later could help."""
    where = f"{config.host}:{config.port}"
    if isinstance(error, MailFailure):
        return error
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailFailure(
            _("The server refused the username or password (%(reply)s).") % {"reply": _server_said(error)},
            permanent=True,
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        if "AUTH" in str(error):
            return MailFailure(
                _(
                    "%(where)s does not offer signing in on this connection. Clear the username and password, "
                    "or choose STARTTLS or SSL/TLS if the server only accepts sign-in over an encrypted connection."
                )
                % {"where": where},
                permanent=True,
            )
        if "STARTTLS" in str(error):
            return MailFailure(
                _("%(where)s does not offer STARTTLS. Choose SSL/TLS or None, or check the port.") % {"where": where},
                permanent=True,
            )
        return MailFailure(
            _("%(where)s does not support what the settings ask for (%(detail)s). Check the security setting.")
            % {"where": where, "detail": error},
            permanent=True,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.items())
        transient = all(400 <= code < 500 for _address, (code, _msg) in replies)
        refused = "; ".join(
            f"{address}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for address, (code, msg) in replies
        )
        return MailFailure(_("The server refused the recipients (%(refused)s).") % {"refused": refused}, not transient)
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        if code == 530:
            return MailFailure(
                _("The server requires signing in (%(reply)s). Enter a username and password.")
                % {"reply": _server_said(error)},
                permanent=True,
            )
        return MailFailure(
            _("The server refused the message (%(reply)s).") % {"reply": _server_said(error)},
            permanent=not 400 <= code < 500,
        )
    if isinstance(error, ssl.SSLError):
        return MailFailure(
            _("Could not start a secure connection to %(where)s (%(detail)s). Check the security setting and port.")
            % {"where": where, "detail": error.reason or error},
            permanent=True,
        )
    if isinstance(error, socket.gaierror):
        return MailFailure(_("Could not find the server %(host)s.") % {"host": config.host}, permanent=False)
    if isinstance(error, (TimeoutError, socket.timeout)):
        return MailFailure(
            _("Could not connect to %(where)s: no answer within %(seconds)s seconds.")
            % {"where": where, "seconds": config.timeout},
            permanent=False,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailFailure(
            _("%(where)s closed the connection unexpectedly (%(detail)s).") % {"where": where, "detail": error or "-"},
            permanent=False,
        )
    if isinstance(error, OSError):
        detail = error.strerror or str(error)
        return MailFailure(
            _("Could not connect to %(where)s: %(detail)s") % {"where": where, "detail": detail}, permanent=False
        )
    return MailFailure(_("Sending failed: %(detail)s") % {"detail": error}, permanent=True)
