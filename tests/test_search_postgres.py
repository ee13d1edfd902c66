"""The PostgreSQL search backend (full-text and pgvector in the database) beside the embedded
one: the same answers on the demo corpus, a change seen by every index at once, a safe first
start with several processes at once, and migration 0009 on every kind of database. Real
SQLite files, a real PostgreSQL 16 with pgvector (pgserver's) and Debian's PostgreSQL 15."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy import text as sql

from healthqa.config import load_settings
from healthqa.ingest import import_demo, import_jsonl
from healthqa.kb import open_kb
from healthqa.search.ask import _best_of, ask
from healthqa.search.backends import backend_name, postgres
from healthqa.search.documents import MemoryDocs, StoredDocs, ids_by_topic
from healthqa.search.index import SearchIndex
from healthqa.search.lexical import terms
from healthqa.search.semantic import _insert_new
from healthqa.store.models import Question
from healthqa.web.app import create_app
from healthqa.web.service import question_url
from tests.pg import create_database, pgvector_server  # noqa: F401  (the fixture)

QUESTIONS = [
    ("lower back pain since my IUD was put in, what should I do?", "demo-0001"),
    ("the coil is giving me cramps and backache", "demo-0001"),
]
MORE = [
    "is it safe to take painkillers while pregnant",
    "my child has a fever and a rash",
    "how much sleep does a teenager need",
    "can I drink alcohol with antibiotics",
]
TITLE = "Can a hummingbird feeder spread salmonella to people?"
NEW = {
    "id": "pg-0001",
    "title": TITLE,
    "topic": "infections",
    "focus": "Salmonella",
    "answers": [{"body": "Wash your hands after cleaning the feeder."}],
}
_names = count()


@pytest.fixture
def pg_url(pgvector_server: str) -> str:  # noqa: F811
    """A fresh, empty database on the PostgreSQL with pgvector."""
    return create_database(pgvector_server, f"search_{os.getpid()}_{next(_names)}")


@pytest.fixture
def pg_demo(pg_url: str) -> Iterator[Engine]:
    engine = open_kb(pg_url)
    import_demo(engine)
    yield engine
    engine.dispose()


def open_search(engine: Engine, folder: Path) -> SearchIndex:
    url = engine.url.render_as_string(hide_password=False)
    return SearchIndex.open(engine, load_settings(database_url=url, index_dir=folder))


def test_migration_makes_the_search_tables_where_pgvector_is(pg_url: str, db_url: str) -> None:
    with_pgvector, other = open_kb(pg_url), open_kb(db_url)  # other: SQLite, Debian's PG 15
    assert backend_name(with_pgvector) == "postgresql"
    assert {"search_lexemes", "search_vectors"} <= set(inspect(with_pgvector).get_table_names())
    assert backend_name(other) == "embedded"
    assert "search_vectors" not in inspect(other).get_table_names()
    with with_pgvector.connect() as conn:  # planned per call: imports grow linearly (0011)
        settings = conn.scalar(
            sql("SELECT proconfig FROM pg_proc WHERE proname = 'search_index_question'")
        )
    assert settings == ["plan_cache_mode=force_custom_plan"]
    open_kb(pg_url).dispose()  # and again: nothing left to do
    with_pgvector.dispose()
    other.dispose()


def test_both_backends_give_the_same_top_match(
    pg_demo: Engine, sqlite_engine: Engine, tmp_path: Path
) -> None:
    import_demo(sqlite_engine)
    pg, embedded = open_search(pg_demo, tmp_path / "pg"), open_search(sqlite_engine, tmp_path / "e")
    assert (pg.backend.name, embedded.backend.name) == ("postgresql", "embedded")
    # the documents stay in the database beside the database's indexes: a worker's memory
    # does not grow with the base
    assert isinstance(pg.docs, StoredDocs) and isinstance(embedded.docs, MemoryDocs)
    assert len(pg.docs) == len(embedded.docs) and pg.concepts == embedded.concepts
    for text, expected in QUESTIONS:
        assert ask(pg, text).matches[0].id == expected
        assert pg.focus.match(text) == embedded.focus.match(text)
    # Questions the demo corpus answers only loosely: the backends score words differently on
    # purpose (ts_rank against BM25), so near-ties may swap; each one's first is near the top
    # of the other's.
    for text in MORE:
        on_pg, on_embedded = ([m.id for m in ask(i, text).matches[:3]] for i in (pg, embedded))
        assert on_pg[0] in on_embedded and on_embedded[0] in on_pg, (text, on_pg, on_embedded)


def test_cosines_and_nearest_match_the_embedded_backend_in_one_round_trip_each(
    pg_demo: Engine, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """One round trip each on PostgreSQL (cosines, nearest); the same cosines as the
    embedded backend's, one per query vector, a repeated vector too."""
    import_demo(sqlite_engine)
    pg, embedded = open_search(pg_demo, tmp_path / "pg"), open_search(sqlite_engine, tmp_path / "e")
    two = pg.embedder.embed([TITLE, "my child has a fever and a stiff neck"])
    query = np.concatenate([two, two[:1]])  # a message that is its one question: row 0 twice
    by_external = {d.external_id: d.id for d in pg.docs.values()}
    ids = sorted(by_external.values())[:30]
    found = pg.backend.semantic.cosines(query, [*ids, 10**9])  # an unknown id: left out
    assert sorted(found) == ids
    embedded_ids = {d.external_id: d.id for d in embedded.docs.values()}
    expected = embedded.backend.semantic.cosines(
        query, [embedded_ids[pg.docs[i].external_id] for i in ids]
    )
    for i in ids:
        other = embedded_ids[pg.docs[i].external_id]
        assert found[i].shape == (3,) and found[i][0] == found[i][2]
        assert found[i] == pytest.approx(expected[other], abs=1e-5)
    vector = pg.embedder.embed([pg.docs[ids[0]].embed_text])[0]
    assert found[ids[0]] == pytest.approx([float(v @ vector) for v in query], abs=1e-5)
    # nearest to several vectors in one statement: each one's nearest, the best cosine kept
    merged: dict[int, float] = {}
    for vector in query:
        for i, score in pg.backend.semantic.search(vector[None, :], 10):
            merged[i] = max(score, merged.get(i, -1.0))
    best = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:10]
    found_best = pg.backend.semantic.search(query, 10)
    assert [i for i, _ in found_best] == [i for i, _ in best]
    assert [s for _, s in found_best] == pytest.approx([s for _, s in best])
    # and as ask searches them, the whole message early and its questions after, merged
    early, later = (pg.backend.semantic.search(v, 10) for v in (query[:1], query[1:]))
    assert _best_of([early, later], 10) == found_best


def test_a_change_is_seen_by_another_index_at_once(pg_demo: Engine, tmp_path: Path) -> None:
    writer, reader = open_search(pg_demo, tmp_path / "a"), open_search(pg_demo, tmp_path / "b")
    words = terms("hummingbird feeder salmonella")
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(NEW) + "\n")
    import_jsonl(pg_demo, path)
    with pg_demo.connect() as conn:
        new_id = conn.scalar(select(Question.id).where(Question.external_id == "pg-0001"))
    assert reader.lexical.search(words, 3)[0][0] == new_id  # no refresh: the database knows
    writer.refresh(force=True)  # the first server to look embeds it, for every server
    vector = reader.embedder.embed([TITLE])
    assert reader.semantic.search(vector, 1)[0][0] == new_id
    reader.refresh(force=True)
    assert ask(reader, "hummingbird feeder salmonella").matches[0].id == "pg-0001"

    with pg_demo.begin() as conn:  # an edit: the new words are found, the old ones are not
        conn.execute(update(Question).where(Question.id == new_id).values(title="Parrot fever"))
    assert new_id in [i for i, _ in reader.lexical.search(["parrot"], 3)]
    assert new_id not in [i for i, _ in reader.lexical.search(["hummingbird"], 3)]

    with pg_demo.begin() as conn:  # a removal: gone from both indexes, before any refresh
        conn.execute(update(Question).where(Question.id == new_id).values(status="hidden"))
    assert new_id not in [i for i, _ in reader.lexical.search(["parrot"], 3)]
    assert new_id not in [i for i, _ in reader.semantic.search(vector, 10)]


def test_a_first_build_indexes_the_vectors_after_writing_them(
    pg_demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "BULK_FROM", 10)  # as a base of thousands of questions does
    index = open_search(pg_demo, tmp_path)
    assert "ix_search_vectors" in {
        i["name"] for i in inspect(pg_demo).get_indexes("search_vectors")
    }
    assert ask(index, QUESTIONS[0][0]).matches[0].id == QUESTIONS[0][1]


def _state(engine: Engine) -> tuple[str, int, object] | None:
    with engine.connect() as conn:
        row = conn.execute(sql("SELECT model, deletions, last_update FROM search_state")).first()
    return None if row is None else (row[0], row[1], row[2])


def _vector_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sql("SELECT count(*) FROM search_vectors")) or 0)


def test_a_worker_trusts_the_state_of_the_last_build_and_scans_only_when_it_lags(
    pg_demo: Engine, tmp_path: Path
) -> None:
    """After a build, `search_state` holds the base it caught up with: the next worker reads
    no documents (a vector dropped behind its back is not looked for). When the base has moved
    on since, the next worker scans and writes what is missing."""
    first = open_search(pg_demo, tmp_path / "a")
    mark = first._mark
    assert mark is not None and mark.deletions == 0  # none deleted outright yet
    assert _state(pg_demo) == (first.embedder.name, 0, mark.last_update)

    with pg_demo.begin() as conn:  # behind the index's back: the state is trusted
        conn.execute(sql("DELETE FROM search_vectors WHERE question_id = (SELECT min(id)"
                         " FROM questions)"))  # fmt: skip
    open_search(pg_demo, tmp_path / "b")
    assert _vector_count(pg_demo) == 51

    with pg_demo.begin() as conn:  # the base moves on: the state lags, the next worker scans
        edit = {"title": "Is it normal to feel tired?", "updated_at": datetime.now(UTC)}
        conn.execute(update(Question).where(Question.external_id == "demo-0002").values(edit))
    later = open_search(pg_demo, tmp_path / "c")
    assert _vector_count(pg_demo) == 52
    assert later._mark is not None and later._mark != mark
    assert _state(pg_demo) == (later.embedder.name, 0, later._mark.last_update)


def test_a_catch_up_moves_the_state_on_so_the_next_worker_starts_without_a_scan(
    pg_demo: Engine, tmp_path: Path
) -> None:
    running = open_search(pg_demo, tmp_path / "a")
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(NEW) + "\n")
    import_jsonl(pg_demo, path)
    before = running._mark
    assert before is not None and _state(pg_demo) == (running.embedder.name, 0, before.last_update)
    assert running.refresh(force=True) == 1  # embeds the new question, for every server
    assert running._mark is not None and running._mark.last_update != before.last_update
    assert _state(pg_demo) == (running.embedder.name, 0, running._mark.last_update)
    with pg_demo.begin() as conn:  # were the next worker to scan, it would write this back
        conn.execute(sql("DELETE FROM search_vectors WHERE question_id = (SELECT min(id)"
                         " FROM questions)"))  # fmt: skip
    next_one = open_search(pg_demo, tmp_path / "b")
    assert _vector_count(pg_demo) == 52  # 53 questions: no scan
    vector = next_one.embedder.embed([TITLE])
    assert ask(next_one, "hummingbird feeder salmonella").matches[0].id == "pg-0001"
    assert next_one.semantic.search(vector, 1)[0][1] > 0.99


def test_a_build_that_stops_half_way_leaves_no_state_so_the_next_one_scans(
    pg_demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_search(pg_demo, tmp_path / "a")

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a kill while the rebuild counts the words

    monkeypatch.setattr(postgres.PostgresBackend, "_count_terms", killed)
    with pytest.raises(KeyboardInterrupt):
        SearchIndex.open(pg_demo, load_settings(database_url=_url(pg_demo),
                         index_dir=tmp_path / "b"), rebuild=True)  # fmt: skip
    assert _state(pg_demo) is None
    monkeypatch.undo()
    with pg_demo.begin() as conn:
        conn.execute(sql("DELETE FROM search_vectors WHERE question_id = (SELECT min(id)"
                         " FROM questions)"))  # fmt: skip
    open_search(pg_demo, tmp_path / "c")
    assert _vector_count(pg_demo) == 52
    assert _state(pg_demo) is not None


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _open_in_process(url: str, folder: str) -> int:
    """Run in a fresh process: open the index as a web worker does; its number of vectors."""
    engine = open_kb(url)
    index = SearchIndex.open(engine, load_settings(database_url=url, index_dir=Path(folder)))
    return len(index.semantic)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_several_processes_start_at_once_on_a_fresh_base(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'kb.db'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    )
    engine = open_kb(url)
    import_demo(engine)  # a base whose index was never built
    engine.dispose()
    spawn = multiprocessing.get_context("spawn")  # as separate as separate servers
    with spawn.Pool(3) as pool:
        found = pool.starmap(_open_in_process, [(url, str(tmp_path / "index"))] * 3)
    assert found == [52, 52, 52]


def test_the_embedding_cache_skips_keys_it_has(engine: Engine) -> None:
    rows = [{"key": "k1", "vector": b"\0" * 8}, {"key": "k2", "vector": b"\0" * 8}]
    for _ in range(2):  # the second time, as a second worker would, changes nothing and fails not
        with engine.begin() as conn:
            conn.execute(_insert_new(engine), rows)


def test_an_article_on_the_database_backend_reads_its_neighbours_from_the_database(
    pg_demo: Engine, tmp_path: Path
) -> None:
    index = open_search(pg_demo, tmp_path)
    client = TestClient(create_app(pg_demo, index, tally=False))
    by_topic = ids_by_topic(pg_demo)
    ids = max(by_topic.values(), key=len).tolist()
    page, before, after = (index.docs[i] for i in (ids[1], ids[0], ids[2]))
    response = client.get(question_url(page.external_id, page.display_title))
    assert response.status_code == 200
    assert f'rel="prev" href="{question_url(before.external_id, before.display_title)}"' in (
        response.text
    )
    assert f'rel="next" href="{question_url(after.external_id, after.display_title)}"' in (
        response.text
    )
