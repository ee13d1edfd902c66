"""Related lists kept in the database, on SQLite and PostgreSQL: built for every question,
read back as computed, made again when their question changes or the rules do, and never
listing a question that is no longer published."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from healthqa.ingest import import_demo
from healthqa.kb import open_kb
from healthqa.related import related, stored
from healthqa.related.lists import PAGE_K
from healthqa.search.index import SearchIndex
from healthqa.store.models import Question, RelatedList
from tests.pg import create_database
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
