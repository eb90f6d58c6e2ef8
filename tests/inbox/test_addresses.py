"""Which workspace an address on the inbound domain belongs to: the dropbox and the support address."""

from __future__ import annotations

from inbox.services import token_from_address


def test_dropbox_and_support_addresses_carry_the_workspace_token(settings):
    settings.INBOUND_MAIL_DOMAIN = "inbound.example.com"
    assert token_from_address("dropbox+a1b2@inbound.example.com") == "a1b2"
    assert token_from_address("Support+A1B2@Inbound.Example.com") == "a1b2"  # mail systems change case
    assert token_from_address("support+a1b2@other.example.com") is None
    assert token_from_address("sales+a1b2@inbound.example.com") is None
    assert token_from_address("support+@inbound.example.com") is None
