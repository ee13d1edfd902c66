"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, for tests that send mail.

It keeps every message it receives, parsed. It can speak TLS ("starttls" or "ssl", with a
throwaway self-signed certificate made by the openssl command) and accept logins.
Used by the test fixtures; never by the library itself.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


class SmtpServer:
    """What a test sees of the server: where it listens and what it received."""

    def __init__(self, users: dict[str, str]) -> None:
        self.host = HOST
        self.port = 0  # known once the server listens
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []  # the users that logged in, in order
        self.cert_file: Path | None = None  # with TLS: the certificate clients must trust
        self._users = users
        self._arrived = threading.Condition()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until `n` messages have arrived and return them all; TimeoutError if not."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= n, timeout):
                raise TimeoutError(f"{len(self.messages)} of {n} messages came in {timeout} s")
            return list(self.messages)

    # aiosmtpd calls what follows, from the server's thread.

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Line ends as a mail store keeps them (LF), not as SMTP carried them (CRLF).
        data = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = BytesParser(policy=default_policy).parsebytes(data)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        # handled=False: aiosmtpd then answers the refusal itself (535).
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        if self._users.get(user) != password:
            return AuthResult(success=False, handled=False)
        self.logins.append(user)
        return AuthResult(success=True)


class _Controller(Controller):
    """Listens on port 0, so the system picks a free port and no other test can race for it."""

    def _trigger_server(self) -> None:
        # start() connects once to check the server answers: it must know the chosen port first.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(tls: str = "none", users: dict[str, str] | None = None) -> Iterator[SmtpServer]:
    """Run a server until the block ends.

    `tls`: "none", "starttls" (required before MAIL) or "ssl" (TLS from the first byte).
    `users`: name -> password of the accounts that may log in; logging in is never required.
    """
    if tls not in ("none", "starttls", "ssl"):
        raise ValueError(f"tls must be none, starttls or ssl, not {tls!r}")
    server = SmtpServer(users or {})
    with tempfile.TemporaryDirectory(prefix="healthqa-smtp-") as folder:
        options: dict[str, Any] = {}
        if tls != "none":
            server.cert_file, key_file = _self_signed_certificate(Path(folder))
            context = _server_context(server.cert_file, key_file)
            options = {"ssl_context": context} if tls == "ssl" else {"tls_context": context}
            options["require_starttls"] = tls == "starttls"
        controller = _Controller(
            server,
            hostname=HOST,
            port=0,
            # Without it aiosmtpd looks up this machine's name (slow without DNS).
            server_hostname="localhost",
            authenticator=server.authenticate,
            # Lets tests log in over plain SMTP; aiosmtpd warns only when login is required.
            auth_require_tls=False,
            **options,
        )
        controller.start()
        server.port = controller.port
        try:
            yield server
        finally:
            controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server for one test (no TLS, no accounts)."""
    with smtp_server() as server:
        yield server


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed: it makes the test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subject = "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
    args = f"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 {subject}"
    subprocess.run(
        [openssl, *args.split(), "-keyout", key, "-out", cert], check=True, capture_output=True
    )
    return cert, key


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
