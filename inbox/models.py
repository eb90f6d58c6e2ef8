"""Incoming email: the dropbox, the IMAP poller and the signed HTTP endpoint."""

from django.db import models  # noqa: F401
