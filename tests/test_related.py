"""Related questions on the demo corpus and on small hand-made bases: on topic, spread,
deterministic, cached until the base changes, honest snippets."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from healthqa.config import load_settings
from healthqa.ingest import import_demo, import_jsonl
from healthqa.kb import open_index, open_kb
from healthqa.related import MAX_PER_TYPE, MIN_ITEMS, SIMILAR, RelatedError, related, similarity
from healthqa.related.lists import FILL_SIMILAR, PAGE_K, _neighbourhood
from healthqa.search.index import SearchIndex


def open_tmp_index(engine: Engine, folder: Path) -> SearchIndex:
    url = engine.url.render_as_string(False)
    return open_index(engine, load_settings(database_url=url, index_dir=folder / "index"))


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(line) for line in lines))
    return path


def question_id(index: SearchIndex, external_id: str) -> int:
    return next(d.id for d in index.docs.values() if d.external_id == external_id)


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """One demo base for the tests that only read it (embedding 52 questions takes seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    engine = open_kb(f"sqlite:///{folder / 'kb.db'}")
    import_demo(engine)
    yield engine, folder
    engine.dispose()


@pytest.fixture
def demo_index(demo_base: tuple[Engine, Path]) -> SearchIndex:
    return open_tmp_index(*demo_base)


def test_the_iud_question_lists_only_close_questions_of_its_topic(demo_index: SearchIndex) -> None:
    """The demo holds no other IUD question and nothing close from another area: the list is
    the few women's-health questions near it (period pain, heavy periods), not 8 of anything."""
    page = demo_index.docs[question_id(demo_index, "demo-0001")]
    items = related(demo_index, page.id)
    assert 2 <= len(items) < MIN_ITEMS
    assert "demo-0001" not in [i.id for i in items]
    ids = {d.external_id: d.id for d in demo_index.docs.values()}
    scores = similarity(demo_index, page.id, [ids[i.id] for i in items])
    for item in items:
        assert item.topic == page.topic and item.reason == "same topic", item
        assert scores[ids[item.id]] >= FILL_SIMILAR and item.why == "also in womens-health"
        assert len(item.snippet) <= 61 and item.snippet.endswith("…"), item.snippet
    assert "demo-0008" in {i.id for i in items}  # "My period pain is so bad I miss work"
    assert Counter(i.question_type for i in items).most_common(1)[0][1] <= MAX_PER_TYPE


PARALYSES = [  # two sibling disorders (MeSH C05.651.701: periodic paralyses) in two topics
    ("hyper", "Hyperkalemic periodic paralysis", "genetic-conditions"),
    ("hypo", "Hypokalemic periodic paralysis", "bones-joints-muscles"),
]


def test_sibling_disorders_are_linked_through_mesh_across_topics(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    lines: list[dict[str, Any]] = [
        {"id": i, "title": f"What are the symptoms of {f}?", "focus": f, "topic": t}
        for i, f, t in PARALYSES
    ]
    lines.append(
        {"id": "gout", "title": "What are the symptoms of gout?", "focus": "Gout", "topic": "x"}
    )
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "mesh.jsonl", lines))
    index = open_tmp_index(sqlite_engine, tmp_path)
    items = related(index, question_id(index, "hyper"))
    assert [(i.id, i.reason) for i in items] == [("hypo", "same family")]
    assert items[0].why == "Hypokalemic periodic paralysis: filed under the same MeSH heading"


def test_lists_are_the_same_across_calls_and_openings(
    demo_base: tuple[Engine, Path], demo_index: SearchIndex
) -> None:
    pages = [question_id(demo_index, f"demo-{n:04d}") for n in (1, 12, 29, 46)]
    first = [related(demo_index, p) for p in pages]
    second = [related(demo_index, p) for p in pages]
    assert second == first and second[0][0] is first[0][0]  # the same objects: from the cache
    again = open_tmp_index(*demo_base)
    assert [related(again, p) for p in pages] == first


def test_lists_built_by_two_processes_are_the_lists_of_one(demo_index: SearchIndex) -> None:
    """`healthqa index` shares the blocks among forked processes: the lists are the same as
    computed here, page by page, and come back for every page."""
    hood = _neighbourhood(demo_index)
    ids = sorted(demo_index.docs)
    forked = dict(hood.many(ids, PAGE_K, workers=2))
    assert sorted(forked) == ids
    assert forked == {i: related(demo_index, i, PAGE_K) for i in ids}


def test_bad_k_is_refused_and_unknown_questions_have_no_list(demo_index: SearchIndex) -> None:
    with pytest.raises(RelatedError, match="k must be between"):
        related(demo_index, question_id(demo_index, "demo-0001"), k=0)
    assert related(demo_index, 999_999) == []


def test_a_new_question_shows_up_once_the_index_catches_up(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import_demo(sqlite_engine)
    index = open_tmp_index(sqlite_engine, tmp_path)
    page = question_id(index, "demo-0001")
    before = related(index, page)
    assert all(i.reason != "same focus" for i in before)  # the demo has one IUD question
    line = {
        "id": "site-iud",
        "title": "How soon can I check my IUD strings after it is fitted?",
        "topic": "womens-health",
        "question_type": "exams and tests",
        "focus": "Intrauterine device",
        "answers": [{"body": "After your next period. Feel high in the vagina for the threads."}],
    }
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "new.jsonl", [line]))
    index.refresh(force=True)
    after = related(index, page)
    assert after[0].id == "site-iud" and after[0].reason == "same focus"


def test_snippets_never_invent_an_answer(sqlite_engine: Engine, tmp_path: Path) -> None:
    source = {"kind": "source", "key": "drugsite", "name": "Drug Leaflets"}
    base = {"topic": "medicines", "focus": "Ibuprofen", "source": "drugsite"}
    lines = [
        source,
        base | {"id": "ibu-1", "title": "What is ibuprofen used for?", "question_type": "usage"},
        base | {"id": "ibu-2", "title": "Ibuprofen side effects?", "question_type": "side effects"},
        base
        | {
            "id": "ibu-3",
            "title": "Can I take ibuprofen with a cold?",
            "question_type": "precautions",
            "body": "I have a bad cold with a sore throat and a temperature and wonder whether it "
            "is fine to take ibuprofen",
        },
    ]
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "drugs.jsonl", lines))
    index = open_tmp_index(sqlite_engine, tmp_path)
    items = {i.id: i for i in related(index, question_id(index, "ibu-1"))}
    assert items["ibu-2"].snippet == "Answer on Drug Leaflets"
    assert items["ibu-3"].snippet == "I have a bad cold with a sore throat and a temperature and…"
    assert {i.reason for i in items.values()} == {"same focus"}


GYNECOLOGY = [
    ("g1", "Heavy periods with big clots every month — is this normal?", "Menorrhagia"),
    ("g2", "Spotting between periods while on the pill", "Breakthrough bleeding"),
    ("g3", "Period pain so bad I have to miss work", "Dysmenorrhea"),
    ("g4", "Itching and thick white discharge", "Vaginal thrush"),
]


def test_an_unrelated_question_with_similar_words_is_not_listed(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    lines: list[dict[str, Any]] = [
        {"id": i, "title": t, "focus": f, "topic": "womens-health"} for i, t, f in GYNECOLOGY
    ]
    lines.append(
        {
            "id": "sales",
            "title": "Phone sales are heavy every month, then a slow period — is this normal?",
            "focus": "Retail work",
            "topic": "general-health",
        }
    )
    lines.append(
        {
            "id": "postpartum",
            "title": "Heavy periods with big clots every month since my baby — is this normal?",
            "focus": "Postpartum bleeding",
            "topic": "pregnancy",
        }
    )
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "tiny.jsonl", lines))
    index = open_tmp_index(sqlite_engine, tmp_path)
    page = question_id(index, "g1")
    items = {i.id: i.reason for i in related(index, page)}
    # menorrhagia and breakthrough bleeding (metrorrhagia): siblings in MeSH; period pain is
    # near in words; thrush shares the topic only, and is too far from heavy periods for filler
    listed = {"g2": "same family", "g3": "same topic"}
    assert items == listed | {"postpartum": "similar question"}
    sales, postpartum, g4 = (question_id(index, i) for i in ("sales", "postpartum", "g4"))
    scores = similarity(index, page, [sales, postpartum, g4])
    # closer in words than a listed question, yet from another area: never filler
    assert scores[g4] < scores[sales] < SIMILAR <= scores[postpartum]


SUBJECTS = [  # (id, focus, topic): one subject in three names, and two look-alike pairs
    ("aaa", "Abdominal aortic aneurysm", "heart-and-blood"),
    ("repair", "Abdominal aortic aneurysm repair - open", "older-adults"),
    ("discharge", "Abdominal aortic aneurysm repair - open - discharge", "general-health"),
    ("sjogren", "Sjogren syndrome", "bones-joints-muscles"),
    ("larsson", "Sjogren-Larsson syndrome", "genetic-conditions"),
    ("insulin", "Insulin", "medicines"),
    ("insulinoma", "Insulinoma", "cancer"),
]


def test_parts_of_one_subject_are_linked_by_whole_words_only(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    lines = [
        {"id": i, "title": f"Do you have information about {f}", "focus": f, "topic": t}
        for i, f, t in SUBJECTS
    ]
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "subjects.jsonl", lines))
    index = open_tmp_index(sqlite_engine, tmp_path)

    def listed(external_id: str) -> dict[str, str]:
        return {i.id: i.reason for i in related(index, question_id(index, external_id))}

    assert listed("repair") == {"aaa": "same subject", "discharge": "same subject"}
    assert listed("aaa") == {"repair": "same subject", "discharge": "same subject"}
    for name in ("sjogren", "larsson", "insulin", "insulinoma"):
        # (this base is too small for its titles to count as templates: the question rule may
        # still pair the look-alikes, the subject rule never does)
        assert "same subject" not in listed(name).values(), name
