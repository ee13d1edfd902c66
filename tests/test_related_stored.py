"""Related lists kept in the database, on SQLite and PostgreSQL: built for every question,
read back as computed, made again when their question changes or the rules do, and never
listing a question that is no longer published."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, update

from healthqa.ingest import import_demo, import_jsonl
from healthqa.kb import open_kb
from healthqa.related import RelatedError, lists, related, stored
from healthqa.related.lists import PAGE_K
from healthqa.search.index import SearchIndex
from healthqa.store.models import Question, RelatedList
from tests.pg import create_database, pgvector_server  # noqa: F401  (the fixture)
from tests.test_related import open_tmp_index, question_id

_databases = iter(range(1_000))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def base(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, SearchIndex]]:
    """One demo base of each kind for the module (embedding it takes seconds); the tests that
    change it put it back."""
    folder = tmp_path_factory.mktemp("stored")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'kb.db'}"
    else:
        url = create_database(request.getfixturevalue("pg_server"), f"stored_{next(_databases)}")
    engine = open_kb(url)
    import_demo(engine)
    yield engine, open_tmp_index(engine, folder)
    engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_every_list_is_kept_and_read_back_as_computed(
    base: tuple[Engine, SearchIndex], workers: int
) -> None:
    """Also when forked processes compute them: the database connections the parent holds
    still work after."""
    engine, index = base
    assert stored.build_all(index, workers=workers) == len(index.docs)
    for doc in index.docs.values():
        assert stored.read(engine, doc.id) == related(index, doc.id, PAGE_K), doc.external_id


def test_a_list_is_made_again_when_its_question_changes(base: tuple[Engine, SearchIndex]) -> None:
    engine, index = base
    page = question_id(index, "demo-0008")
    before = stored.kept(index, page)
    assert stored.read(engine, page) == before
    with engine.begin() as conn:  # the question was edited after its list was made
        conn.execute(update(RelatedList).values(made_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert stored.read(engine, page) is None
    assert stored.kept(index, page) == before  # made again (same base, same list) and kept
    assert stored.read(engine, page) == before


def test_a_list_of_other_rules_is_made_again(base: tuple[Engine, SearchIndex]) -> None:
    engine, index = base
    page = question_id(index, "demo-0008")
    stored.kept(index, page)
    with engine.begin() as conn:
        conn.execute(update(RelatedList).values(version="0"))
    assert stored.read(engine, page) is None
    stored.build_all(index)


def test_an_unpublished_question_is_never_read_back(base: tuple[Engine, SearchIndex]) -> None:
    engine, index = base
    page = question_id(index, "demo-0008")
    items = stored.kept(index, page)
    assert items
    gone = question_id(index, items[0].id)
    with engine.begin() as conn:
        conn.execute(update(Question).where(Question.id == gone).values(status="hidden"))
    try:
        assert [i.id for i in stored.read(engine, page) or []] == [i.id for i in items[1:]]
    finally:
        with engine.begin() as conn:
            conn.execute(update(Question).where(Question.id == gone).values(status="published"))


def test_workers_keeping_the_same_list_at_once_never_fail(
    base: tuple[Engine, SearchIndex],
) -> None:
    engine, index = base
    pages = [question_id(index, f"demo-{n:04d}") for n in range(1, 21)]
    lists = {p: related(index, p, PAGE_K) for p in pages}
    errors: list[BaseException] = []

    def keep() -> None:
        try:
            for p in pages:
                stored.write(engine, {p: lists[p]})
        except BaseException as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    threads = [threading.Thread(target=keep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(stored.read(engine, p) == lists[p] for p in pages)


# ----- a base too large for a web worker to hold (PostgreSQL) -----


@pytest.fixture(scope="module")
def in_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, SearchIndex]]:
    """The demo on the PostgreSQL search backend, every list kept as `healthqa index` keeps
    them (the tests shrink HELD_IN_MEMORY below its size)."""
    admin = request.getfixturevalue("pgvector_server")
    engine = open_kb(create_database(admin, f"stored_held_{next(_databases)}"))
    import_demo(engine)
    folder = tmp_path_factory.mktemp("held")
    (folder / "iud.jsonl").write_text("".join(json.dumps(q) + "\n" for q in SAME_FOCUS))
    import_jsonl(engine, folder / "iud.jsonl")
    index = open_tmp_index(engine, folder)
    assert index.semantic.in_database
    stored.build_all(index)
    lists._neighbourhoods.pop(index, None)  # from here on, a web worker that has built nothing
    yield engine, index
    engine.dispose()


# Questions without answers about the focus of demo-0001: the demo has one question a focus.
SAME_FOCUS = [
    {"id": f"held-{n}", "title": title, "focus": "Intrauterine device", "question_type": kind}
    for n, (title, kind) in enumerate(
        [
            ("How is an intrauterine device put in?", "treatment"),
            ("Can an intrauterine device move out of place?", "complications"),
            ("How long does an intrauterine device last?", "information"),
        ]
    )
]


def _shared_focus(index: SearchIndex) -> int:
    """A question whose focus at least two others have."""
    by_focus = Counter(d.focus.lower() for d in index.docs.values() if d.focus)
    return next(d.id for d in index.docs.values() if d.focus and by_focus[d.focus.lower()] >= 3)


def test_a_worker_of_a_large_base_shows_a_stale_list_rather_than_hold_the_base(
    in_database: tuple[Engine, SearchIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, index = in_database
    monkeypatch.setattr(stored, "HELD_IN_MEMORY", 10)
    page = _shared_focus(index)
    before = stored.read(engine, page)
    assert before
    with engine.begin() as conn:  # the question was edited after its list was made
        conn.execute(update(RelatedList).values(made_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert stored.read(engine, page) is None
    assert stored.listed(index, page) == before  # the kept one, until the next healthqa index
    assert stored.listed(index, page, 3) == before[:3]
    assert index not in lists._neighbourhoods
    monkeypatch.undo()  # a base it can hold: made again at once, as before
    assert stored.listed(index, page) == before
    assert stored.read(engine, page) == before
    lists._neighbourhoods.pop(index, None)


def test_a_worker_of_a_large_base_lists_the_focus_of_a_question_without_a_list(
    in_database: tuple[Engine, SearchIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, index = in_database
    monkeypatch.setattr(stored, "HELD_IN_MEMORY", 10)
    page = _shared_focus(index)
    with engine.begin() as conn:  # published since the last healthqa index
        conn.execute(delete(RelatedList).where(RelatedList.question_id == page))
    found = stored.listed(index, page)
    by_external = {d.external_id: d for d in index.docs.values()}
    focus = index.docs[page].focus.lower()
    assert len(found) >= 2
    assert all(i.reason == "same focus" and by_external[i.id].focus.lower() == focus for i in found)
    assert index.docs[page].external_id not in {i.id for i in found}
    assert len({i.title.lower() for i in found}) == len(found)
    assert stored.read(engine, page) == found  # kept: the next view reads it
    assert index not in lists._neighbourhoods
    with pytest.raises(RelatedError):
        stored.listed(index, page, 0)
