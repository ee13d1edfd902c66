"""Asking in Spanish and Chinese: the blind-written language set, read and scored over a small
real base (the set's own 329 MedQuAD questions, title and focus), in the multilingual index
and in the English engine. The whole-base figures are `healthqa eval languages`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from healthqa.config import load_settings
from healthqa.ingest.jsonl import import_jsonl
from healthqa.kb import open_kb
from healthqa.search.ask import ask as ask_english
from healthqa.search.index import SearchIndex
from healthqa.search.languages import (
    DATA,
    LanguageSetError,
    read_set,
    relevant,
    score,
)
from healthqa.search.multilingual import MultilingualIndex, ask_in_language


@pytest.fixture(scope="module")
def small_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, SearchIndex]]:
    """A base of the set's MedQuAD questions (title and focus only: no answer text)."""
    folder = tmp_path_factory.mktemp("languages")
    lines = []
    for line in (DATA / "items.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        lines.append({"id": item["external_id"], "title": item["title"], "focus": item["focus"]})
    path = folder / "items.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    url = f"sqlite:///{folder / 'kb.db'}"
    engine = open_kb(url)
    import_jsonl(engine, path)
    settings = load_settings(database_url=url, index_dir=folder / "index")
    yield engine, SearchIndex.open(engine, settings)
    engine.dispose()


def test_the_set_has_every_message_in_three_languages() -> None:
    asked = read_set("all")
    assert len(asked) == 3 * 329
    dev = read_set("dev")
    assert {a.language for a in dev} == {"en", "es", "zh"}
    assert len(dev) == 3 * 100 and all(a.split == "dev" for a in dev)


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    for name in ("items.jsonl", "en.jsonl", "es.jsonl", "zh.jsonl", "SHA256SUMS"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    with (tmp_path / "es.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"key": "ml001", "text": "otra"}\n')
    with pytest.raises(LanguageSetError, match="es.jsonl: changed since it was frozen"):
        read_set("dev", tmp_path)
    with pytest.raises(LanguageSetError, match="split must be one of"):
        read_set("train")


def test_spanish_and_chinese_find_their_question_in_the_multilingual_index(
    small_base: tuple[Engine, SearchIndex],
) -> None:
    _, index = small_base
    multilingual = MultilingualIndex.of(index)
    asked = read_set("dev")
    wanted = relevant(index.docs, {a.external_id for a in asked})
    assert len(wanted) == 100

    def rank(text: str) -> list[str]:
        return [m.id for m in ask_in_language(index, multilingual, text, "es", 10).matches]

    scores = {s.language: s for s in score(asked, rank, wanted)}
    # over 329 questions the right one comes first for most messages in every language
    assert scores["es"].r_at_1 >= 0.6 and scores["zh"].r_at_1 >= 0.6
    assert scores["en"].r_at_1 >= 0.6


def test_the_english_engine_alone_does_not_read_chinese(
    small_base: tuple[Engine, SearchIndex],
) -> None:
    _, index = small_base
    asked = [a for a in read_set("dev") if a.language == "zh"]
    wanted = relevant(index.docs, {a.external_id for a in asked})

    def rank(text: str) -> list[str]:
        return [m.id for m in ask_english(index, text, 10).matches]

    (chinese,) = score(asked, rank, wanted)
    multilingual = MultilingualIndex.of(index)

    def rank_multilingual(text: str) -> list[str]:
        return [m.id for m in ask_in_language(index, multilingual, text, "zh", 10).matches]

    (better,) = score(asked, rank_multilingual, wanted)
    assert better.mrr > chinese.mrr + 0.2


def test_index_builds_the_multilingual_index_where_the_site_reads_other_languages(
    tmp_path: Path,
) -> None:
    """`healthqa index` with HEALTHQA_LANGUAGES=en,es embeds every question for the
    multilingual index (so no asker waits for it) and caches the vectors: a second run
    embeds nothing new. Without other languages it builds none."""
    import os
    import subprocess
    import sys

    from sqlalchemy import func, select

    from healthqa.store.models import Embedding

    db = f"sqlite:///{tmp_path / 'kb.db'}"
    env = {**os.environ, "HEALTHQA_HOME": str(tmp_path / "home"), "HEALTHQA_NO_PROGRESS": "1"}
    cli = [str(Path(sys.executable).with_name("healthqa")), "--db", db]
    subprocess.run([*cli, "import", "demo"], env=env, check=True, capture_output=True)
    english = subprocess.run([*cli, "index"], env=env, check=True, capture_output=True, text=True)
    assert "multilingual" not in english.stdout
    engine = open_kb(db)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Embedding)).scalar_one()
    env["HEALTHQA_LANGUAGES"] = "en,es"
    runs = [
        subprocess.run([*cli, "index"], env=env, check=True, capture_output=True, text=True)
        for _ in range(2)
    ]
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(Embedding)).scalar_one()
    engine.dispose()
    assert all("multilingual index of 52 questions" in run.stdout for run in runs)
    assert after - before == 52  # one passage vector per question, kept once
