"""Reading counts in the database, on a SQLite file and a PostgreSQL server: batches add up,
exactly, however many workers add to the same rows at once."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, delete, inspect, select, update

from healthqa.ingest import import_jsonl
from healthqa.store import connect
from healthqa.store.counts import Reads, add_counts, most_read
from healthqa.store.models import Base, Question, ReadingCount

DAY = date(2026, 3, 2)
IDS = [f"r-{n}" for n in range(1, 6)]
ROUNDS = 40  # batches each worker adds in the concurrency tests


def questions(engine: Engine, folder: Path, ids: list[str] = IDS) -> None:
    """Published questions with these ids, one answer each."""
    lines = [
        {"id": i, "title": f"Question {i}?", "topic": "medicines", "answers": [{"body": "Yes."}]}
        for i in ids
    ]
    (folder / "counts.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    import_jsonl(engine, folder / "counts.jsonl")


def stored(engine: Engine) -> dict[tuple[str, date], tuple[int, int]]:
    query = select(
        Question.external_id, ReadingCount.day, ReadingCount.views, ReadingCount.asks
    ).join(Question, Question.id == ReadingCount.question_id)
    with engine.connect() as conn:
        return {(ext, day): (views, asks) for ext, day, views, asks in conn.execute(query)}


def batch() -> dict[tuple[str, date], Reads]:
    """What one worker might flush: every question on two days, a view or two, some asks."""
    return {
        (i, DAY + timedelta(days=d)): Reads(views=n + d + 1, asks=d)
        for n, i in enumerate(IDS)
        for d in (0, 1)
    }


def expected(workers: int) -> dict[tuple[str, date], tuple[int, int]]:
    rounds = workers * ROUNDS
    return {key: (r.views * rounds, r.asks * rounds) for key, r in batch().items()}


def test_batches_add_to_the_rows_of_each_question_and_day(engine: Engine, tmp_path: Path) -> None:
    questions(engine, tmp_path)
    add_counts(engine, {("r-1", DAY): Reads(2, 1), ("r-2", DAY): Reads(1, 0)})
    add_counts(engine, {("r-1", DAY): Reads(3, 0), ("r-1", DAY + timedelta(days=1)): Reads(1, 1)})
    assert stored(engine) == {
        ("r-1", DAY): (5, 1),
        ("r-2", DAY): (1, 0),
        ("r-1", DAY + timedelta(days=1)): (1, 1),
    }


def test_counts_of_a_question_gone_before_the_flush_are_skipped(
    engine: Engine, tmp_path: Path
) -> None:
    questions(engine, tmp_path)
    add_counts(engine, {("r-1", DAY): Reads(1, 0), ("no-such-question", DAY): Reads(4, 4)})
    assert stored(engine) == {("r-1", DAY): (1, 0)}


def test_a_row_holds_the_question_the_day_and_two_numbers_and_nothing_about_visitors(
    engine: Engine,
) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("reading_counts")}
    assert columns == {"question_id", "day", "views", "asks"}


def test_the_migration_creates_the_table_the_model_describes(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "reading_counts" in repr(d)] == []


def test_deleting_a_question_deletes_its_counts(engine: Engine, tmp_path: Path) -> None:
    questions(engine, tmp_path)
    add_counts(engine, {("r-1", DAY): Reads(1, 0), ("r-2", DAY): Reads(1, 0)})
    with engine.begin() as conn:
        conn.execute(delete(Question).where(Question.external_id == "r-1"))
    assert list(stored(engine)) == [("r-2", DAY)]


def test_most_read_ranks_views_then_asks_then_the_older_question(
    engine: Engine, tmp_path: Path
) -> None:
    questions(engine, tmp_path)
    old = DAY - timedelta(days=40)
    add_counts(
        engine,
        {
            ("r-1", DAY): Reads(3, 0),
            ("r-2", DAY): Reads(5, 0),
            ("r-3", DAY): Reads(3, 2),  # as many views as r-1, more asks
            ("r-4", DAY): Reads(3, 0),  # a tie with r-1 in everything: the lower id first
            ("r-5", DAY): Reads(2, 9),  # under `at_least`
            ("r-5", old): Reads(50, 0),  # before the window
        },
    )
    since = DAY - timedelta(days=29)
    assert [q.external_id for q in most_read(engine, since, 10, at_least=3)] == [
        "r-2", "r-3", "r-1", "r-4",
    ]  # fmt: skip
    assert [q.external_id for q in most_read(engine, since, 2, at_least=3)] == ["r-2", "r-3"]
    with engine.begin() as conn:
        conn.execute(update(Question).where(Question.external_id == "r-2").values(status="hidden"))
    assert [q.external_id for q in most_read(engine, since, 2, at_least=3)] == ["r-3", "r-1"]


def _add_rounds(url: str, start: Any) -> None:
    """One worker with an engine of its own: wait for the others, then add ROUNDS batches."""
    engine = connect(url)
    try:
        start.wait(timeout=60)
        for _ in range(ROUNDS):
            add_counts(engine, batch())
    finally:
        engine.dispose()


def test_two_threads_with_their_own_engines_adding_at_once_lose_no_count(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    questions(engine, tmp_path)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            _add_rounds(db_url, start)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored(engine) == expected(workers=2)


def test_two_processes_adding_at_once_lose_no_count(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    questions(engine, tmp_path)
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    workers = [spawn.Process(target=_add_rounds, args=(db_url, start)) for _ in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
    assert [p.exitcode for p in workers] == [0, 0]
    assert stored(engine) == expected(workers=2)


@pytest.mark.parametrize("empty", [{}, {("r-1", DAY): Reads(0, 0)}])
def test_an_empty_batch_writes_nothing(
    engine: Engine, tmp_path: Path, empty: dict[tuple[str, date], Reads]
) -> None:
    questions(engine, tmp_path)
    add_counts(engine, empty)
    assert stored(engine) == {}
