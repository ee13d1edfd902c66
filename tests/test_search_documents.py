"""The searchable questions as the indexes see them: all in memory, or read from the database
on demand (StoredDocs, beside the PostgreSQL backend), and the per-focus facts read without
loading the questions. On SQLite and PostgreSQL, with the demo corpus."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine, select, update

from healthqa.ingest.demo import import_demo
from healthqa.search.documents import (
    MemoryDocs,
    SearchDoc,
    StoredDocs,
    focus_rows,
    ids_by_topic,
    load_docs,
    neighbours_in_topic,
    question_types,
)
from healthqa.search.index import _concepts, _focus_names
from healthqa.store.models import Question, Topic


def demo(engine: Engine) -> list[int]:
    import_demo(engine)
    return [d.id for d in load_docs(engine)]


def test_stored_documents_are_the_loaded_ones_read_in_any_order(engine: Engine) -> None:
    ids = demo(engine)
    loaded = {d.id: d for d in load_docs(engine)}
    stored = StoredDocs(engine, cache=5)
    assert len(stored) == len(loaded) and list(stored) == sorted(loaded)
    wanted = [ids[7], ids[2], 10**9, ids[7], ids[30]]  # unknown and repeated ids too
    assert list(stored.fetch(wanted).items()) == [(i, loaded[i]) for i in (ids[7], ids[2], ids[30])]
    assert stored[ids[3]] == loaded[ids[3]] and stored.get(10**9) is None
    assert ids[3] in stored and 10**9 not in stored and "x" not in stored
    assert list(stored.values()) == list(loaded.values())  # read in batches, in id order
    assert dict(stored.items()) == loaded
    assert len(stored._cache) <= 5  # kept: the most recent only


def test_stored_documents_follow_changes(engine: Engine) -> None:
    ids = demo(engine)
    stored, memory = StoredDocs(engine), MemoryDocs((d.id, d) for d in load_docs(engine))
    before = stored[ids[0]]
    changed = dataclasses.replace(before, title="Changed title")
    for docs in (stored, memory):
        docs.apply([changed], [ids[1]])
        assert docs[ids[0]].title == "Changed title"
        assert ids[1] not in docs and docs.get(ids[1]) is None and len(docs) == len(ids) - 1


def test_focus_facts_read_from_the_database_are_those_of_the_documents(engine: Engine) -> None:
    demo(engine)
    with engine.begin() as conn:  # two questions of one focus with other concepts
        first, second = conn.scalars(select(Question.id).order_by(Question.id).limit(2))
        conn.execute(
            update(Question)
            .where(Question.id == second)
            .values(focus="Back pain", cuis=["C0004604", "C9999999"], synonyms=["Backache"])
        )
        conn.execute(update(Question).where(Question.id == first).values(focus="Back pain"))
    docs = load_docs(engine)
    rows = focus_rows(engine)
    assert _focus_names(rows) == _names_from(docs)
    assert _concepts(rows) == _concepts_from(docs)
    assert question_types(engine) == sorted({d.question_type for d in docs if d.question_type})
    by_topic = {t: ids.tolist() for t, ids in ids_by_topic(engine).items()}
    assert by_topic == {t: sorted(d.id for d in docs if d.topic == t) for t in by_topic}
    assert sum(map(len, by_topic.values())) == len(docs)


def _names_from(docs: list[SearchDoc]) -> list[tuple[str, str]]:
    """What the index read from the documents themselves before focus_rows."""
    names: dict[tuple[str, str], None] = {}
    for doc in docs:
        if doc.focus:
            names[(doc.focus, doc.focus)] = None
            for synonym in doc.synonyms:
                names[(synonym, doc.focus)] = None
    return list(names)


def _concepts_from(docs: list[SearchDoc]) -> dict[str, tuple[frozenset[str], str | None]]:
    found: dict[str, tuple[set[str], str | None]] = {}
    for doc in docs:
        if doc.focus and (doc.cuis or doc.semantic_group):
            cuis, _ = found.setdefault(doc.focus.lower(), (set(), doc.semantic_group))
            cuis.update(doc.cuis)
    return {f: (frozenset(c), g) for f, (c, g) in found.items()}


def test_the_neighbours_read_from_the_database_are_those_of_the_kept_ids(engine: Engine) -> None:
    """What a worker of a base in the database reads for previous/next is what the others
    find in their ids by topic, also once a question in between is hidden."""
    demo(engine)
    with engine.begin() as conn:
        conn.execute(update(Question).where(Question.external_id == "demo-0002")
                     .values(status="hidden"))  # fmt: skip
        query = select(Question.id, Topic.slug).join(Topic, Topic.id == Question.topic_id)
        pages: list[tuple[int, str]] = [(i, slug) for i, slug in conn.execute(query)]
    by_topic = ids_by_topic(engine)
    for question_id, slug in pages:
        ids = by_topic[slug].tolist() if slug in by_topic else []
        before = [i for i in ids if i < question_id]
        after = [i for i in ids if i > question_id]
        expected = (before[-1] if before else None, after[0] if after else None)
        assert neighbours_in_topic(engine, question_id) == expected
    assert neighbours_in_topic(engine, 10**9) == (None, None)
