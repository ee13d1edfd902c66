"""The site's limits, each defined here once (the forms, the API schema and the checks read
them from here): how long each text people send may be, and how often one person may act.

Rate limits are shared by every worker process: each counted action is a row in `rate_events`,
so two workers (or two machines on one PostgreSQL) see the same counts.

A limit is a number of actions per window for one key (an account, or a hash of an address);
`RateLimited` says when to try again. Rows older than the longest window are pruned as limits
are checked, so the table stays small.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from healthqa.store.models import RateEvent, SiteKey

KEEP = timedelta(days=1)  # the longest window of any limit

# How long the texts people send may be, in characters.
TITLE_CHARS = 300  # a question
DETAILS_CHARS = 5_000  # what the asker adds to it
ANSWER_CHARS = 20_000  # an expert's answer, in Markdown
MIN_ANSWER_CHARS = 20  # an answer says something
NOTE_CHARS = 1_000  # a report's note, a moderator's reason
EMAIL_CHARS = 320  # the longest address RFC 5321 allows
NAME_CHARS = 200  # a person's name, a profile field
COUNTRY_CHARS = 100  # the country of an expert's licence
PASSWORD_MIN_CHARS = 10
PASSWORD_CHARS = 1_000  # argon2 is slow on purpose: a megabyte of password must not reach it


class RateLimited(Exception):
    """Too many actions of one kind from one person; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is counted, e.g. "question"
    count: int
    window: timedelta
    message: str  # what the person is told, e.g. "you have sent many questions"


# The limits of the site. Sign-in limits count failures only (see accounts.sessions).
QUESTIONS_PER_HOUR = Limit("question", 5, timedelta(hours=1), "you sent several questions")
QUESTIONS_PER_DAY = Limit("question", 20, timedelta(days=1), "you sent many questions today")
ANSWERS_PER_HOUR = Limit("answer", 30, timedelta(hours=1), "you wrote many answers")
FLAGS_PER_HOUR = Limit("flag", 20, timedelta(hours=1), "you sent many reports")
MAILS_PER_HOUR = Limit("mail", 5, timedelta(hours=1), "we sent several messages")
SIGN_IN_FAILURES = Limit("sign-in", 5, timedelta(minutes=15), "too many failed sign-ins")
SIGN_IN_FAILURES_PER_ADDRESS = Limit(
    "sign-in-address", 30, timedelta(minutes=15), "too many failed sign-ins"
)


def check(engine: Engine, limit: Limit, key: str) -> None:
    """RateLimited when `key` already used up `limit`."""
    now = datetime.now(UTC)
    since = now - limit.window
    with engine.connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(RateEvent.at)).where(
                RateEvent.bucket == limit.bucket, RateEvent.key == key, RateEvent.at > since
            )
        ).one()
    if count >= limit.count:
        wait = math.ceil((oldest + limit.window - now).total_seconds())
        minutes = max(1, math.ceil(wait / 60))
        raise RateLimited(
            f"{limit.message}: please try again in {minutes} minute{'s' * (minutes > 1)}",
            max(1, wait),
        )


def count(engine: Engine, bucket: str, key: str) -> None:
    """Record one action; prunes rows no limit looks at any more."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(RateEvent).values(bucket=bucket, key=key, at=now))
        conn.execute(delete(RateEvent).where(RateEvent.at < now - KEEP))


def take(engine: Engine, key: str, *limits: Limit) -> None:
    """Check every limit, then count one action in their bucket(s)."""
    for limit in limits:
        check(engine, limit, key)
    for bucket in dict.fromkeys(limit.bucket for limit in limits):
        count(engine, bucket, key)


def clear(engine: Engine, bucket: str, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(RateEvent).where(RateEvent.bucket == bucket, RateEvent.key == key))


def address_key(engine: Engine, address: str) -> str:
    """A keyed hash of a network address: limits work without storing the address itself."""
    return hmac.new(site_key(engine, "address"), address.encode(), hashlib.sha256).hexdigest()


_keys: dict[tuple[str, str], bytes] = {}


def site_key(engine: Engine, name: str) -> bytes:
    """A random secret made on first use and kept in the database, shared by every worker."""
    cache_key = (engine.url.render_as_string(hide_password=False), name)
    if cache_key not in _keys:
        _keys[cache_key] = _site_key(engine, name)
    return _keys[cache_key]


def _site_key(engine: Engine, name: str) -> bytes:
    with engine.connect() as conn:
        value = conn.scalar(select(SiteKey.value).where(SiteKey.name == name))
    if value is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(SiteKey).values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another worker made it first
        with engine.connect() as conn:
            value = conn.scalar(select(SiteKey.value).where(SiteKey.name == name))
    assert value is not None
    return bytes.fromhex(value)
