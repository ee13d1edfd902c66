"""Plain-text mail (password resets, answer notices): through SMTP, or into an outbox folder.

Without `smtp_host` each message is written as an .eml file into `settings.outbox_dir`, so a
fresh development site works without a mail server and no message is lost.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from healthqa.config import Settings

TIMEOUT = 10.0  # seconds for connecting and for each reply of the server
TLS_MODES = ("none", "starttls", "ssl")

# Some relays still lack 8BITMIME and smtplib never announces an 8-bit body: a body in
# 7-bit (quoted-printable or base64 when it is not ASCII) travels everywhere.
_POLICY = default_policy.clone(cte_type="7bit")


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server or written to the outbox."""


class HeaderError(ValueError):
    """A To or Subject that is not one plain header line, or a To that is not one address.

    A ValueError rather than a MailError: it is a bad argument (likely hostile input that
    should have been refused earlier), not a delivery failure worth retrying.
    """


class Links(Protocol):
    """Where the site's pages are, for the links in mail. The web layer makes it: the library
    knows no URL paths."""

    @property
    def site(self) -> str:
        """The site's public address, named in mail ("an account on https://...")."""

    def question(self, external_id: str) -> str:
        """A question's public page."""

    def sign_up(self, token: str) -> str:
        """The page that finishes a sign-up."""

    def reset(self, token: str) -> str:
        """The page that sets a new password."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str  # plain text only: we send no HTML mail


def send(settings: Settings, mail: Mail) -> None:
    """Send `mail` from `settings.mail_from`, or write it to the outbox when no SMTP host is set.

    Raises HeaderError for an unsafe To or Subject, MailError when delivery fails.
    """
    message = build_message(settings, mail)
    if settings.smtp_host is None:
        write_to_outbox(settings.outbox_dir, message)
    else:
        _send_smtp(settings, settings.smtp_host, message)


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    """The message as it will be sent, with the headers a well-behaved robot adds."""
    _check_header("to", mail.to)
    _check_header("subject", mail.subject)
    if len(getaddresses([mail.to])) != 1 or "@" not in parseaddr(mail.to)[1]:
        raise HeaderError(f"to must be one mail address, not {mail.to!r}")
    message = EmailMessage(policy=_POLICY)
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    # The sender's domain, not this machine's name: it is stable and needs no DNS lookup.
    message["Message-ID"] = make_msgid(domain=_domain(settings.mail_from))
    # RFC 3834: tells vacation responders not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    return message


def write_to_outbox(folder: Path, message: EmailMessage) -> Path:
    """Write `message` as a new .eml file in `folder` (created if needed); return its path."""
    # The timestamp sorts the files by time; the random part keeps two in one microsecond apart.
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as fh:
            fh.write(message.as_bytes())
    except OSError as exc:
        raise MailError(f"cannot write mail to the outbox {folder}: {exc}") from exc
    return path


def _send_smtp(settings: Settings, host: str, message: EmailMessage) -> None:
    if settings.smtp_tls not in TLS_MODES:
        raise MailError(
            f"smtp_tls must be one of {', '.join(TLS_MODES)}, not {settings.smtp_tls!r}"
        )
    # The server's certificate is verified against the system's certificate authorities.
    context = ssl.create_default_context()
    try:
        with _connect(settings, host, context) as client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        cause = _redact(_describe(exc), settings.smtp_password)
        raise MailError(f"cannot send mail through {host}:{settings.smtp_port}: {cause}") from exc


def _connect(settings: Settings, host: str, context: ssl.SSLContext) -> smtplib.SMTP:
    if settings.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(host, settings.smtp_port, timeout=TIMEOUT, context=context)
    return smtplib.SMTP(host, settings.smtp_port, timeout=TIMEOUT)


def _describe(exc: BaseException) -> str:
    """One line saying what went wrong, the server's reply when there was one."""
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        reply = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {reply}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients.items()
        return "; ".join(
            f"{to} refused: {code} {reply.decode(errors='replace')}"
            for to, (code, reply) in refused
        )
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _check_header(field: str, value: str) -> None:
    # A line break would let the value start new headers (Bcc: ...) or the body.
    if "\r" in value or "\n" in value:
        raise HeaderError(f"{field} must be one line, without CR or LF: {value!r}")


def _redact(text: str, secret: str | None) -> str:
    # Servers rarely echo credentials, but a message that reaches a log must never hold one.
    return text.replace(secret, "***") if secret else text


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
