"""Reading counts: how often each question was read, and opened from the ask page, per day.

A row is (question, day, views, asks) and nothing else: no address, no user agent, no row per
visitor. The web workers count in memory and add their counts here in batches (`add_counts`);
the home page's Popular list reads them back (`most_read`).

Two workers, or two servers, adding at once never lose a count: each row is one upsert whose
`views = views + added` the database computes under the row's write lock (SQLite's one writer,
PostgreSQL's row lock). Nothing is read into Python, added to and written back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Engine, Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from healthqa.store.models import Question, ReadingCount
from healthqa.store.queries import PUBLISHED


@dataclass
class Reads:
    """What was counted for one question on one day."""

    views: int = 0
    asks: int = 0


def add_counts(engine: Engine, counts: Mapping[tuple[str, date], Reads]) -> None:
    """Add `counts`, keyed by (question external id, day), to the stored rows in one
    transaction. A question that no longer exists is skipped.

    Rows are written in key order: two transactions adding to the same rows on PostgreSQL
    then wait for each other instead of deadlocking."""
    rows = [
        {"external_id": external_id, "day": day, "views": reads.views, "asks": reads.asks}
        for (external_id, day), reads in sorted(counts.items())
        if reads.views or reads.asks
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(_upsert(engine), rows)


def _upsert(engine: Engine) -> Any:
    """INSERT ... SELECT the question's id by external id ... ON CONFLICT add to the row."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    question = select(
        Question.id,
        bindparam("day", type_=Date),
        bindparam("views", type_=Integer),
        bindparam("asks", type_=Integer),
    ).where(Question.external_id == bindparam("external_id"))
    insert = dialect.insert(ReadingCount).from_select(
        ["question_id", "day", "views", "asks"], question
    )
    return insert.on_conflict_do_update(
        index_elements=["question_id", "day"],
        set_={
            "views": ReadingCount.views + insert.excluded.views,
            "asks": ReadingCount.asks + insert.excluded.asks,
        },
    )


def most_read(engine: Engine, since: date, limit: int, at_least: int = 1) -> list[Question]:
    """Published questions viewed at least `at_least` times from `since` (a UTC day, included)
    on, most viewed first; equal views: more asks first, then the older question (lower id)."""
    views, asks = func.sum(ReadingCount.views), func.sum(ReadingCount.asks)
    totals = (
        select(ReadingCount.question_id, views.label("views"), asks.label("asks"))
        .where(ReadingCount.day >= since)
        .group_by(ReadingCount.question_id)
        .having(views >= at_least)
        .subquery()
    )
    query = (
        select(Question)
        .join(totals, totals.c.question_id == Question.id)
        .where(Question.status == PUBLISHED)
        .options(selectinload(Question.topic), selectinload(Question.source))
        .order_by(totals.c.views.desc(), totals.c.asks.desc(), Question.id)
        .limit(limit)
    )
    with Session(engine) as s:
        return list(s.scalars(query))
