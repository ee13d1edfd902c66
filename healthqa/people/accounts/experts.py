"""Expert profiles: who an expert is, what they are licensed as, and whether a moderator has
checked it. Only a verified expert may answer; changing a credential asks for a new check."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from healthqa.people.accounts.users import Account, AccountError, get_account
from healthqa.people.audit import Actor, record
from healthqa.people.limits import COUNTRY_CHARS, NAME_CHARS
from healthqa.store.models import ExpertProfile, User

SPECIALITIES_FILE = Path(__file__).with_name("specialities.toml")
CREDENTIALS = ("name", "profession", "speciality", "licence", "country")
CREDENTIAL_CHARS = {
    name: COUNTRY_CHARS if name == "country" else NAME_CHARS for name in CREDENTIALS
}


@dataclass(frozen=True)
class Profile:
    user_id: int
    email: str
    name: str
    profession: str
    speciality: str
    licence: str
    country: str
    verified_at: datetime | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def credential(self) -> str:
        """How an answer names its author's qualification, e.g. "Nurse, Paediatrics"."""
        return f"{self.profession}, {self.speciality}"


@cache
def specialities() -> dict[str, tuple[str, ...]]:
    """Speciality name -> the topic slugs it answers first ("*" for every topic)."""
    with SPECIALITIES_FILE.open("rb") as fh:
        table = tomllib.load(fh)["specialities"]
    return {name: tuple(slugs) for name, slugs in table.items()}


def save_profile(engine: Engine, user_id: int, **fields: str) -> Profile:
    """Create or change a profile. A change to a credential clears the verification."""
    account = get_account(engine, user_id)
    if account.role != "expert":
        raise AccountError("only an expert account has a profile")
    values = {name: " ".join(str(fields.get(name, "")).split()) for name in CREDENTIALS}
    for name, value in values.items():
        if not value:
            raise AccountError(f"{name}: fill this in")
        if len(value) > CREDENTIAL_CHARS[name]:
            raise AccountError(f"{name}: at most {CREDENTIAL_CHARS[name]} characters")
    if values["speciality"] not in specialities():
        raise AccountError("speciality: choose one from the list")
    before = get_profile(engine, user_id)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if before is None:
            conn.execute(insert(ExpertProfile).values(user_id=user_id, updated_at=now, **values))
        else:
            changed = any(getattr(before, name) != values[name] for name in CREDENTIALS)
            reset = {"verified_at": None, "verified_by": None} if changed else {}
            conn.execute(
                update(ExpertProfile)
                .where(ExpertProfile.user_id == user_id)
                .values(updated_at=now, **values, **reset)
            )
    profile = get_profile(engine, user_id)
    assert profile is not None
    return profile


QUERY = select(
    ExpertProfile.user_id,
    User.email,
    ExpertProfile.name,
    ExpertProfile.profession,
    ExpertProfile.speciality,
    ExpertProfile.licence,
    ExpertProfile.country,
    ExpertProfile.verified_at,
).join(User, User.id == ExpertProfile.user_id)


def get_profile(engine: Engine, user_id: int) -> Profile | None:
    with engine.connect() as conn:
        row = conn.execute(QUERY.where(ExpertProfile.user_id == user_id)).first()
    return Profile(*row) if row is not None else None


def list_profiles(engine: Engine, verified: bool | None = None) -> list[Profile]:
    query = QUERY.where(User.role == "expert").order_by(ExpertProfile.updated_at)
    if verified is not None:
        column = ExpertProfile.verified_at
        query = query.where(column.is_not(None) if verified else column.is_(None))
    with engine.connect() as conn:
        return [Profile(*row) for row in conn.execute(query)]


def is_verified(engine: Engine, account: Account) -> bool:
    if account.role != "expert":
        return False
    profile = get_profile(engine, account.id)
    return profile is not None and profile.verified


def verify(engine: Engine, moderator: Actor, user_id: int, verified: bool = True) -> Profile:
    """Mark a profile as checked (or no longer checked); recorded in the audit log."""
    profile = get_profile(engine, user_id)
    if profile is None:
        raise AccountError("this expert has no profile yet")
    when = datetime.now(UTC) if verified else None
    with engine.begin() as conn:
        conn.execute(
            update(ExpertProfile)
            .where(ExpertProfile.user_id == user_id)
            .values(verified_at=when, verified_by=moderator.id if verified else None)
        )
        detail = f"{profile.name}, {profile.credential}, licence {profile.licence}"
        record(conn, moderator, "verify" if verified else "unverify", "expert", user_id, detail)
    result = get_profile(engine, user_id)
    assert result is not None
    return result
