"""Rate limits kept in the database, so that every worker process sees the same counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from healthqa.people import limits
from healthqa.store.models import RateEvent

THREE_A_MINUTE = limits.Limit("test", 3, timedelta(minutes=1), "you did this a lot")


def test_a_limit_allows_its_count_then_says_when_to_retry(engine: Engine) -> None:
    for _ in range(3):
        limits.take(engine, "someone", THREE_A_MINUTE)
    with pytest.raises(
        limits.RateLimited, match="you did this a lot: please try again in 1 minute"
    ):
        limits.take(engine, "someone", THREE_A_MINUTE)
    limits.take(engine, "someone else", THREE_A_MINUTE)  # keys are counted apart
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RateEvent)) == 4


def test_a_refused_action_is_not_counted_and_clear_resets(engine: Engine) -> None:
    for _ in range(3):
        limits.take(engine, "k", THREE_A_MINUTE)
    for _ in range(5):
        with pytest.raises(limits.RateLimited) as refused:
            limits.take(engine, "k", THREE_A_MINUTE)
    assert 1 <= refused.value.retry_after <= 60
    limits.clear(engine, "test", "k")
    limits.take(engine, "k", THREE_A_MINUTE)


def test_addresses_are_kept_only_as_keyed_hashes(sqlite_engine: Engine) -> None:
    key = limits.address_key(sqlite_engine, "203.0.113.7")
    assert key == limits.address_key(sqlite_engine, "203.0.113.7")
    assert key != limits.address_key(sqlite_engine, "203.0.113.8")
    assert "203.0.113" not in key and len(key) == 64
