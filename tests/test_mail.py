"""healthqa.people.mail against a real SMTP server (tests/smtp.py) and a real outbox folder."""

from __future__ import annotations

import warnings
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from healthqa.config import Settings
from healthqa.people.mail import HeaderError, Mail, MailError, send
from tests.smtp import SmtpServer, smtp_server

RESET = Mail(to="ana@example.org", subject="Reset your password", text="Follow this link.")


def through(server: SmtpServer, **settings: Any) -> Settings:
    return Settings(smtp_host=server.host, smtp_port=server.port, **settings)


def test_send_delivers_headers_and_body(smtp: SmtpServer) -> None:
    send(through(smtp, mail_from="Health Q&A <noreply@healthqa.example>"), RESET)

    [message] = smtp.wait_for(1)
    assert message["From"] == "Health Q&A <noreply@healthqa.example>"
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == "Reset your password"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].endswith("@healthqa.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Follow this link.\n"  # set_content ends the last line


def test_unicode_travels_as_seven_bit(smtp: SmtpServer) -> None:
    mail = Mail(to="zoe@example.org", subject="Réponse 🩺", text="Café, été 👍\nÀ bientôt")
    send(through(smtp), mail)

    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Réponse 🩺"
    assert message.get_content() == "Café, été 👍\nÀ bientôt\n"
    assert message["Content-Transfer-Encoding"] in {"quoted-printable", "base64"}
    assert message.get_content_charset() == "utf-8"


def test_without_smtp_host_mail_goes_to_the_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "new" / "outbox"  # created on the first message
    settings = Settings(smtp_host=None, outbox_dir=outbox)
    send(settings, RESET)
    send(settings, Mail(to="bo@example.org", subject="Second", text="é"))

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    messages = [BytesParser(policy=default_policy).parsebytes(f.read_bytes()) for f in files]
    assert {m["Subject"] for m in messages} == {"Reset your password", "Second"}
    first = next(m for m in messages if m["To"] == "ana@example.org")
    assert first.get_content() == "Follow this link.\n"
    assert first["Message-ID"] and first["Auto-Submitted"] == "auto-generated"


def test_an_unwritable_outbox_names_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(MailError, match=f"outbox {blocker}"):
        send(Settings(outbox_dir=blocker), RESET)


def test_a_dead_port_names_host_and_port() -> None:
    with smtp_server() as server:
        settings = through(server)  # the port was free a moment ago and is again now
    with pytest.raises(MailError, match=f"127.0.0.1:{server.port}: ConnectionRefusedError"):
        send(settings, RESET)


@pytest.mark.parametrize(
    "mail",
    [
        Mail(to="ana@example.org\r\nBcc: all@example.org", subject="Hi", text="x"),
        Mail(to="ana@example.org\n", subject="Hi", text="x"),
        Mail(to="ana@example.org", subject="Hi\nBcc: all@example.org", text="x"),
        Mail(to="ana@example.org", subject="Hi\r\n\r\nanother body", text="x"),
        Mail(to="ana@example.org, all@example.org", subject="Hi", text="x"),
        Mail(to="not an address", subject="Hi", text="x"),
    ],
)
def test_header_injection_is_refused(smtp: SmtpServer, mail: Mail) -> None:
    with pytest.raises(HeaderError):
        send(through(smtp), mail)
    assert smtp.messages == []


def test_login_when_a_user_is_set() -> None:
    with smtp_server(users={"robot": "s3cret-pw"}) as server:
        send(through(server, smtp_user="robot", smtp_password="s3cret-pw"), RESET)
        assert server.logins == ["robot"]
        assert len(server.wait_for(1)) == 1


def test_a_refused_login_never_shows_the_password() -> None:
    with smtp_server(users={"robot": "s3cret-pw"}) as server:
        settings = through(server, smtp_user="robot", smtp_password="wrong-pw")
        with pytest.raises(MailError, match="535") as raised:
            send(settings, RESET)
    assert "wrong-pw" not in str(raised.value)
    assert server.messages == []


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_with_a_trusted_certificate(tls: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(tls=tls, users={"robot": "pw"}) as server:
        # OpenSSL reads the certificates to trust from here when the context is made.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
        send(through(server, smtp_tls=tls, smtp_user="robot", smtp_password="pw"), RESET)
        [message] = server.wait_for(1)
    assert message["Subject"] == "Reset your password"
    assert server.logins == ["robot"]


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_refuses_an_unknown_certificate(tls: str) -> None:
    with smtp_server(tls=tls) as server, pytest.raises(MailError, match="CERTIFICATE_VERIFY"):
        send(through(server, smtp_tls=tls), RESET)


def test_plain_smtp_to_a_server_requiring_starttls_fails_clearly() -> None:
    with smtp_server(tls="starttls") as server, pytest.raises(MailError, match="530"):
        send(through(server), RESET)


def test_an_unknown_tls_mode_names_the_setting(smtp: SmtpServer) -> None:
    with pytest.raises(MailError, match="smtp_tls"):
        send(through(smtp, smtp_tls="tls"), RESET)


@pytest.mark.parametrize("tls", ["none", "starttls", "ssl"])
def test_the_server_raises_no_warning(tls: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Records warnings from every thread, the server's included: none may appear, since
    # pytest turns warnings into errors.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with smtp_server(tls=tls, users={"robot": "pw"}) as server:
            monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
            send(through(server, smtp_tls=tls, smtp_user="robot", smtp_password="pw"), RESET)
            server.wait_for(1)
    assert [str(w.message) for w in caught] == []
