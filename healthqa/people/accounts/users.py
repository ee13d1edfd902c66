"""Accounts and roles: who may answer, moderate and administer.

Asking never needs an account (health questions are private). Passwords are hashed with
argon2id (argon2-cffi, its recommended parameters); a hash made with older parameters is
upgraded at the next successful sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from healthqa.errors import NotFound, Refused
from healthqa.people.audit import Actor, record
from healthqa.people.limits import EMAIL_CHARS, NAME_CHARS, PASSWORD_CHARS, PASSWORD_MIN_CHARS
from healthqa.store.models import SignInSession, User

COMMAND_LINE = Actor(None, "command line")

ROLES = ("asker", "expert", "moderator", "admin")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

_hasher = PasswordHasher()
# Verifying against this keeps an unknown email as slow as a wrong password, so timing does
# not reveal whether an email has an account.
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


class AccountError(Refused):
    """An account operation a user can correct; the message says what to change."""


class UnknownUser(AccountError, NotFound):
    """No account has this email."""


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    display_name: str
    disabled: bool
    created_at: datetime

    @property
    def actor(self) -> Actor:
        """How the audit log names this account."""
        return Actor(self.id, self.email)

    @property
    def label(self) -> str:
        return self.display_name or self.email.split("@")[0]


def add_user(
    engine: Engine, email: str, password: str, role: str = "asker", display_name: str = ""
) -> Account:
    """Create an account; AccountError for a taken or malformed email, weak password or role."""
    email = _email(email)
    _check_role(role)
    _check_password(password)
    row = {
        "email": email,
        "password_hash": _hasher.hash(password),
        "role": role,
        "display_name": display_name.strip()[:NAME_CHARS],
        "disabled": False,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(User).values(**row))
    except IntegrityError:
        raise AccountError(f"an account for {email} already exists") from None
    return get_user(engine, email)


COLUMNS = (User.id, User.email, User.role, User.display_name, User.disabled, User.created_at)


def get_account(engine: Engine, user_id: int) -> Account:
    with engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).where(User.id == user_id)).first()
    if row is None:
        raise UnknownUser(f"no account #{user_id}")
    return Account(*row)


def set_password(engine: Engine, user_id: int, password: str) -> None:
    _check_password(password)
    with engine.begin() as conn:
        conn.execute(
            update(User).where(User.id == user_id).values(password_hash=_hasher.hash(password))
        )


def get_user(engine: Engine, email: str) -> Account:
    with engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).where(User.email == email.strip().lower())).first()
    if row is None:
        raise UnknownUser(f"no account for {email}")
    return Account(*row)


def list_users(engine: Engine, role: str | None = None) -> list[Account]:
    query = select(*COLUMNS).order_by(User.email)
    if role is not None:
        _check_role(role)
        query = query.where(User.role == role)
    with engine.connect() as conn:
        return [Account(*row) for row in conn.execute(query)]


def set_role(engine: Engine, email: str, role: str, actor: Actor = COMMAND_LINE) -> Account:
    """Change an account's role (recorded in the audit log)."""
    _check_role(role)
    account = get_user(engine, email)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == account.id).values(role=role))
        record(
            conn, actor, "role", "account", account.id, f"{account.email}: {account.role} -> {role}"
        )
    return get_user(engine, email)


def set_disabled(
    engine: Engine, user_id: int, disabled: bool, actor: Actor = COMMAND_LINE
) -> Account:
    """Disable an account (it is signed out everywhere and cannot sign in) or enable it again."""
    account = get_account(engine, user_id)
    with engine.begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(disabled=disabled))
        if disabled:
            conn.execute(delete(SignInSession).where(SignInSession.user_id == user_id))
        record(conn, actor, "disable" if disabled else "enable", "account", user_id, account.email)
    return get_account(engine, user_id)


def authenticate(engine: Engine, email: str, password: str) -> Account | None:
    """The account when the email and password match and it is enabled, else None.

    Takes the same time whether or not the email has an account."""
    with engine.connect() as conn:
        row = conn.execute(
            select(*COLUMNS, User.password_hash).where(User.email == email.strip().lower())
        ).first()
    stored = row[-1] if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:PASSWORD_CHARS])
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    account = Account(*row[:-1])
    if account.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        with engine.begin() as conn:
            new_hash = _hasher.hash(password)
            conn.execute(update(User).where(User.id == account.id).values(password_hash=new_hash))
    return account


def check_email(email: str) -> str:
    """The email, normalised; AccountError when it is not an email address."""
    return _email(email)


def _email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > EMAIL_CHARS or not EMAIL.match(email):
        raise AccountError(f"not an email address: {email!r}")
    return email


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        raise AccountError(f"the password needs at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_CHARS:
        raise AccountError(f"the password may have at most {PASSWORD_CHARS} characters")
