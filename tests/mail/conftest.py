"""A real SMTP server (aiosmtpd) per test, and a tenant whose outgoing mail points at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from crm.celery import app as celery_app
from crm.secrets import encrypt_secret
from crm.tenancy.context import tenant_context
from mail.models import MailSettings, SmtpSecurity
from tests.peers import Collector, SmtpServer, free_port, smtp_peer  # noqa: F401  (re-exported for the mail tests)

SMTP_USER, SMTP_PASSWORD = "crm-sender", "s3cret-pa55word"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _start(**options: Any) -> Iterator[SmtpServer]:
    with smtp_peer(**options) as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server that takes any message."""
    yield from _start()


@pytest.fixture
def auth_smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server that requires AUTH (LOGIN/PLAIN) with SMTP_USER / SMTP_PASSWORD, without TLS."""
    yield from _start(authenticator=_authenticator, auth_required=True, auth_require_tls=False)


def configure_mail(
    tenant: Any, server: SmtpServer | None = None, *, port: int | None = None, **extra: Any
) -> MailSettings:
    with tenant_context(tenant.id):
        MailSettings.objects.filter(tenant=tenant).delete()
        password = extra.pop("password", "")
        return MailSettings.objects.create(
            tenant=tenant,
            host=server.host if server else "127.0.0.1",
            port=port or (server.port if server else free_port()),
            security=SmtpSecurity.NONE,
            from_name="Acme Sales",
            from_email="sales@acme.example",
            timeout=5,
            password_encrypted=encrypt_secret(password),
            **extra,
        )


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _self_signed_certificate(folder: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 (key and cert PEM paths), trusted by the test through SSL_CERT_FILE."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


@pytest.fixture
def starttls_smtp_server(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS before AUTH, the usual port-587 setup; its certificate is
    trusted only by this test (SSL_CERT_FILE)."""
    import ssl

    key_path, cert_path = _self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert_path)
    yield from _start(tls_context=context, require_starttls=True, authenticator=_authenticator, auth_required=True)
