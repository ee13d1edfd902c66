"""Backups taken while the site writes, restored into another database: every write acknowledged
before the backup began is there, and no transaction is there by halves. Then a whole site moved
between databases, interrupted and resumed. Real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from healthqa.ingest.demo import import_demo
from healthqa.kb import open_kb
from healthqa.store import copy as store_copy
from healthqa.store.backup import BackupError, backup, restore
from healthqa.store.copy import CopyMismatch, copy_database
from healthqa.store.models import Answer, AuditEntry, Base, Question, Source, Topic
from tests.pg import create_database

_names = count()


@pytest.fixture
def second_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Another fresh database of the same kind as `db_url`."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'second.db'}"
    return create_database(
        request.getfixturevalue("pg_server"), f"second_{os.getpid()}_{next(_names)}"
    )


def log(engine: Engine, action: str) -> None:
    """One audit-log entry: a row that the demo corpus does not have."""
    with engine.begin() as conn:
        conn.execute(insert(AuditEntry).values(actor="t", action=action, target="x", target_id="1"))


class Writer(threading.Thread):
    """Writes a question with its answer per transaction until stopped, and remembers which
    commits returned (acknowledged writes)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.stop, self.acknowledged = engine, threading.Event(), list[str]()
        with engine.connect() as conn:
            self.source = conn.scalar(select(Source.id).limit(1))
            self.topic = conn.scalar(select(Topic.id).limit(1))

    def run(self) -> None:
        for n in count():
            if self.stop.is_set():
                return
            external_id = f"written-{n}"
            with self.engine.begin() as conn:
                question_id = conn.execute(
                    insert(Question)
                    .values(
                        external_id=external_id, title=f"Question {n}?", source_id=self.source,
                        topic_id=self.topic, status="published", content_hash=str(n),
                    )
                    .returning(Question.id)
                ).scalar_one()  # fmt: skip
                conn.execute(insert(Answer).values(question_id=question_id, body=f"Answer {n}."))
            self.acknowledged.append(external_id)


@pytest.fixture
def busy(engine: Engine) -> Iterator[Writer]:
    import_demo(engine)
    writer = Writer(engine)
    writer.start()
    while len(writer.acknowledged) < 20:
        time.sleep(0.01)
    yield writer
    writer.stop.set()
    writer.join(timeout=30)


def test_a_backup_taken_during_writes_holds_every_acknowledged_write(
    engine: Engine, busy: Writer, second_url: str, tmp_path: Path
) -> None:
    before = list(busy.acknowledged)
    file = backup(engine, tmp_path / "site.backup")
    time.sleep(0.2)  # writes go on after the backup too
    busy.stop.set()
    busy.join(timeout=30)
    assert len(busy.acknowledged) > len(before)

    restored = open_kb(second_url)
    restore(restored, file)
    with restored.connect() as conn:
        written = set(
            conn.scalars(select(Question.external_id).where(Question.external_id.like("written-%")))
        )
        without_answer = conn.scalar(
            select(func.count()).select_from(Question).where(~Question.answers.any())
        )
        demo = conn.scalar(select(func.count()).where(Question.source_id != busy.source))
    assert set(before) <= written  # every acknowledged write
    assert written <= set(busy.acknowledged)  # nothing that was never written
    assert without_answer == 0  # no transaction by halves
    assert demo is not None
    restored.dispose()


def test_restore_replaces_what_is_there(engine: Engine, tmp_path: Path) -> None:
    import_demo(engine)
    file = backup(engine, tmp_path / "site.backup")
    log(engine, "after")
    restore(engine, file)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert conn.scalar(select(func.count()).select_from(Question)) > 40


def test_a_missing_backup_file_is_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such backup file"):
        restore(engine, tmp_path / "nothing.backup")


def test_a_site_moves_between_databases_and_resumes_when_interrupted(
    engine: Engine, second_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_demo(engine)
    log(engine, "approve")
    target = open_kb(second_url)
    monkeypatch.setattr(store_copy, "BATCH", 7)  # several batches per table

    calls = count()

    def interrupt(table: str, rows: int) -> None:
        if table == "questions" and next(calls) == 3:
            raise KeyboardInterrupt  # as if the operator stopped it mid-table

    with pytest.raises(KeyboardInterrupt):
        copy_database(engine, target, interrupt)
    report = copy_database(engine, target)  # run again: resumes
    by_table = {r.table: r for r in report}
    assert {t.name for t in Base.metadata.sorted_tables} == set(by_table)
    assert all(r.source_rows == r.target_rows for r in report)
    assert 0 < by_table["questions"].copied < by_table["questions"].source_rows  # resumed
    log(target, "new")  # ids continue after the copied ones
    target.dispose()


def test_a_copy_whose_counts_differ_says_so(engine: Engine, second_url: str) -> None:
    import_demo(engine)
    target = open_kb(second_url)
    copy_database(engine, target)
    log(target, "x")
    with pytest.raises(CopyMismatch, match="audit_log 0 -> 1"):
        copy_database(engine, target)
    target.dispose()
