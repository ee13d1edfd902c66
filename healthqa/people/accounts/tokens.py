"""One-time links sent by mail (finish signing up, reset a password) and API tokens.

Both are random tokens stored only as hashes. A mailed link works once and for a short while;
asking for one says the same thing whether or not the email has an account, so the site
never reveals who has one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from healthqa.config import Settings
from healthqa.people import limits
from healthqa.people.accounts.sessions import end_all_sessions, token_hash
from healthqa.people.accounts.users import (
    COLUMNS,
    Account,
    AccountError,
    UnknownUser,
    add_user,
    check_email,
    get_user,
    set_password,
)
from healthqa.people.mail import Links, Mail, send
from healthqa.store.models import ApiToken, EmailToken, User

LINK_LIFETIME = {"sign-up": timedelta(hours=24), "reset": timedelta(hours=1)}
SCOPES = ("read", "ask", "answer", "moderate")
# Which scopes each role may give its tokens; answering also needs a verified profile.
ROLE_SCOPES = {
    "asker": ("read", "ask"),
    "expert": ("read", "ask", "answer"),
    "moderator": ("read", "ask", "moderate"),
    "admin": ("read", "ask", "moderate"),
}
TOKEN_PREFIX = "hqa_"
LAST_USED_EVERY = timedelta(minutes=1)  # how exactly "last used" is kept


class InvalidLink(AccountError):
    """The link is unknown, used already or too old."""


# ----- mailed links -----


# The mailed links: (purpose of the link, subject, text). The text names the site and the link.
_MESSAGES = {
    "sign-up": (
        "sign-up",
        "Finish signing up",
        "Someone, probably you, asked for an account on {site} with this email.\n\n"
        "To choose your password and finish, open this link within 24 hours:\n{link}\n\n"
        "If it was not you, ignore this message: no account is made without it.",
    ),
    "has-account": (
        "reset",
        "You already have an account",
        "Someone asked for a new account on {site} with this email, which has one already.\n\n"
        "To sign in, use your password. If you forgot it, choose a new one here within an "
        "hour:\n{link}\n\nIf it was not you, ignore this message.",
    ),
    "reset": (
        "reset",
        "Reset your password",
        "Someone, probably you, asked to reset the password of your account on {site}.\n\n"
        "Choose a new password here within an hour (the link works once):\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.",
    ),
}


def request_sign_up(engine: Engine, settings: Settings, email: str, links: Links) -> None:
    """Mail a link to finish signing up, or, when the email has an account already, a link
    to reset its password. The caller cannot tell which."""
    email = _may_mail(engine, email)
    message = "has-account" if _has_account(engine, email) else "sign-up"
    _mail_link(engine, settings, email, links, message)


def finish_sign_up(engine: Engine, token: str, password: str, display_name: str = "") -> Account:
    email = _check_link(engine, "sign-up", token)
    account = add_user(engine, email, password, "asker", display_name)  # checks the password
    _use_link(engine, token)
    return account


def request_password_reset(engine: Engine, settings: Settings, email: str, links: Links) -> None:
    """Mail a reset link when the email has an account; otherwise do nothing, silently.
    (A malformed address is an AccountError: its form says nothing about who has an account.)"""
    email = _may_mail(engine, email)
    if _has_account(engine, email):
        _mail_link(engine, settings, email, links, "reset")


def _mail_link(engine: Engine, settings: Settings, email: str, links: Links, message: str) -> None:
    purpose, subject, text = _MESSAGES[message]
    token = _make_link(engine, purpose, email)
    link = links.sign_up(token) if purpose == "sign-up" else links.reset(token)
    send(settings, Mail(email, subject, text.format(site=links.site, link=link)))


def _may_mail(engine: Engine, email: str) -> str:
    """The address, checked, once the mail limit for it allows one more message."""
    email = check_email(email)
    limits.take(engine, "email:" + email, limits.MAILS_PER_HOUR)
    return email


def _has_account(engine: Engine, email: str) -> bool:
    try:
        get_user(engine, email)
    except UnknownUser:
        return False
    return True


def reset_password(engine: Engine, token: str, password: str) -> Account:
    """Set a new password from a reset link; every session of the account ends."""
    account = get_user(engine, _check_link(engine, "reset", token))
    set_password(engine, account.id, password)
    _use_link(engine, token)
    end_all_sessions(engine, account.id)
    return account


def check_link(engine: Engine, purpose: str, token: str) -> str:
    """The email a valid, unused link was sent to; InvalidLink otherwise."""
    return _check_link(engine, purpose, token)


def _make_link(engine: Engine, purpose: str, email: str) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(delete(EmailToken).where(EmailToken.expires_at < now))  # dead links
        conn.execute(
            insert(EmailToken).values(
                id=token_hash(token),
                purpose=purpose,
                email=email,
                expires_at=now + LINK_LIFETIME[purpose],
            )
        )
    return token


def _check_link(engine: Engine, purpose: str, token: str) -> str:
    with engine.connect() as conn:
        email = conn.scalar(
            select(EmailToken.email).where(
                EmailToken.id == token_hash(token),
                EmailToken.purpose == purpose,
                EmailToken.used_at.is_(None),
                EmailToken.expires_at > datetime.now(UTC),
            )
        )
    if email is None:
        raise InvalidLink("this link does not work any more: ask for a new one")
    return email


def _use_link(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(EmailToken)
            .where(EmailToken.id == token_hash(token))
            .values(used_at=datetime.now(UTC))
        )


# ----- API tokens -----


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


def create_api_token(
    engine: Engine, account: Account, name: str, scopes: list[str]
) -> tuple[TokenInfo, str]:
    """A new token (shown once) limited to `scopes`, which the account's role must allow."""
    name = " ".join(name.split())[:100] or "API token"
    wanted = sorted(set(scopes))
    if not wanted:
        raise AccountError("choose at least one scope")
    for scope in wanted:
        if scope not in SCOPES:
            raise AccountError(f"unknown scope {scope!r}: use {', '.join(SCOPES)}")
        if scope not in ROLE_SCOPES[account.role]:
            raise AccountError(f"the {account.role} role cannot give the {scope!r} scope")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(
            insert(ApiToken)
            .values(user_id=account.id, name=name, token_hash=token_hash(token), scopes=wanted)
            .returning(ApiToken.id)
        ).scalar_one()
    return next(t for t in list_api_tokens(engine, account.id) if t.id == token_id), token


def list_api_tokens(engine: Engine, user_id: int) -> list[TokenInfo]:
    query = (
        select(
            ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.created_at, ApiToken.last_used_at
        )
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    )
    with engine.connect() as conn:
        return [TokenInfo(*row) for row in conn.execute(query)]


def revoke_api_token(engine: Engine, user_id: int, token_id: int) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.user_id == user_id)
            .where(ApiToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(result.rowcount)


def token_account(engine: Engine, token: str) -> tuple[Account, list[str]] | None:
    """The enabled account and scopes of a live API token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(
            select(*COLUMNS, ApiToken.last_used_at, ApiToken.scopes)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(
                ApiToken.token_hash == digest,
                ApiToken.revoked_at.is_(None),
                User.disabled.is_(False),
            )
        ).first()
    if row is None:
        return None
    now, last_used = datetime.now(UTC), row[-2]
    if last_used is None or now - last_used > LAST_USED_EVERY:  # not a write per API call
        with engine.begin() as conn:
            conn.execute(
                update(ApiToken).where(ApiToken.token_hash == digest).values(last_used_at=now)
            )
    return Account(*row[:-2]), list(row[-1])
