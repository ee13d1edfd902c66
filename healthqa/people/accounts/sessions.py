"""Signing in and out: server-side sessions behind a random cookie token.

Only a hash of each token is stored, so a copy of the database does not sign anyone in.
Failed sign-ins are throttled per email and per network address; the messages are the same
whether or not the email has an account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from healthqa.people import limits
from healthqa.people.accounts.users import COLUMNS, Account, authenticate
from healthqa.store.models import SignInSession, User

SESSION_LIFETIME = timedelta(days=30)


class SignInFailed(Exception):
    """The email and password do not match an enabled account (which one is not said)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def sign_in(engine: Engine, email: str, password: str, address: str) -> tuple[Account, str]:
    """The account and a new session token; SignInFailed or limits.RateLimited otherwise."""
    email_key = limits.address_key(engine, "email:" + email.strip().lower())
    address_key = limits.address_key(engine, address)
    limits.check(engine, limits.SIGN_IN_FAILURES, email_key)
    limits.check(engine, limits.SIGN_IN_FAILURES_PER_ADDRESS, address_key)
    account = authenticate(engine, email, password)
    if account is None:
        limits.count(engine, limits.SIGN_IN_FAILURES.bucket, email_key)
        limits.count(engine, limits.SIGN_IN_FAILURES_PER_ADDRESS.bucket, address_key)
        raise SignInFailed("that email and password do not match an account")
    limits.clear(engine, limits.SIGN_IN_FAILURES.bucket, email_key)
    return account, start_session(engine, account.id)


def start_session(engine: Engine, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(SignInSession).values(
                id=token_hash(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        conn.execute(delete(SignInSession).where(SignInSession.expires_at < now))
    return token


def session_account(engine: Engine, token: str) -> Account | None:
    """The enabled account signed in with `token`, if the session has not ended."""
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(*COLUMNS)
            .join(SignInSession, SignInSession.user_id == User.id)
            .where(
                SignInSession.id == token_hash(token),
                SignInSession.expires_at > datetime.now(UTC),
                User.disabled.is_(False),
            )
        ).first()
    return Account(*row) if row is not None else None


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(SignInSession).where(SignInSession.id == token_hash(token)))


def end_all_sessions(engine: Engine, user_id: int) -> int:
    """Sign an account out in every browser; returns how many sessions ended."""
    with engine.begin() as conn:
        result = conn.execute(delete(SignInSession).where(SignInSession.user_id == user_id))
    return result.rowcount or 0
