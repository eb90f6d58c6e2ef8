"""Credentials at rest (SMTP/IMAP passwords, SMS gateway tokens): Fernet, keyed from settings.

``CREDENTIALS_KEYS`` (comma-separated Fernet keys, newest first) rotates without re-encrypting:
MultiFernet encrypts with the first key and decrypts with any. Without it the key is derived
from SECRET_KEY, so a development install works out of the box.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret no configured key can open (the keys were changed or the value was tampered with)."""


@cache
def _cipher() -> MultiFernet:
    keys = [key.strip() for key in getattr(settings, "CREDENTIALS_KEYS", []) if key.strip()]
    if not keys:
        digest = hashlib.sha256(f"crm-credentials:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_secret(plaintext: str) -> str:
    """The token to store; empty stays empty so "no password" needs no special case."""
    if not plaintext:
        return ""
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("A stored credential could not be decrypted; enter it again.") from error
