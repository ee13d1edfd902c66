"""The home page's Popular questions: those read most on this site over the last 30 days
(counted by `counting.py`, stored by `healthqa.store.counts`), and where too little has been
read for that, the curated list of `featured.toml` (or the site's own file), whose comments say
where it comes from and which rule fills what it leaves empty."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import Engine

from healthqa.store.counts import most_read
from healthqa.store.models import Question
from healthqa.store.queries import first_of_each_topic, published_by_ids

FEATURED_FILE = Path(__file__).with_name("featured.toml")
WINDOW_DAYS = 30  # reading counted over the last 30 days, today included
AT_LEAST = 3  # views in that window before a question is ranked by reading
# How long a worker keeps the list before it asks the database again: the home page stays
# cached, and what people read shows there within this (plus a worker's flush interval).
REFRESH_SECONDS = 120


class FeaturedFileError(Exception):
    """The curated list cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Popular:
    questions: list[Question]
    counted: int  # how many of `questions`, first, are ranked by reading; the rest curated


def popular(
    engine: Engine, limit: int, featured_file: Path | None = None, today: date | None = None
) -> Popular:
    """Up to `limit` questions: the most read first, then the curated ones not among them."""
    today = today or datetime.now(UTC).date()
    since = today - timedelta(days=WINDOW_DAYS - 1)
    read = most_read(engine, since, limit, at_least=AT_LEAST)
    if len(read) >= limit:
        return Popular(read, len(read))
    shown = {q.id for q in read}
    chosen = published_by_ids(engine, load_featured(featured_file))
    if len(chosen) < limit:
        chosen += first_of_each_topic(engine)
    questions = list(read)
    for q in chosen:
        if len(questions) < limit and q.id not in shown:
            questions.append(q)
            shown.add(q.id)
    return Popular(questions, len(read))


def load_featured(path: Path | None = None) -> list[str]:
    """The question ids of `path`, or of the bundled featured.toml; each file read once."""
    return list(_featured(Path(path or FEATURED_FILE).resolve()))


@cache
def _featured(path: Path) -> tuple[str, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        message = f"{path}: cannot read the featured questions ({error.strerror})"
        raise FeaturedFileError(message) from error
    except tomllib.TOMLDecodeError as error:
        raise FeaturedFileError(f"{path}: not valid TOML: {error}") from error
    ids = data.get("ids")
    if not (isinstance(ids, list) and all(isinstance(i, str) and i for i in ids)):
        raise FeaturedFileError(f'{path}: needs a list of question ids: ids = ["demo-0001", ...]')
    return tuple(ids)
