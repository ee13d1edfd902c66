"""The synthetic base of the scale benchmark (bench/synthetic.py), made here from the demo
corpus: the same file for the same seed, a smaller base the start of a larger one, answers
copied word for word, and a file `healthqa import jsonl` takes whole."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select

from bench import synthetic
from healthqa.ingest import jsonl
from healthqa.ingest.demo import CORPUS
from healthqa.store.models import Question

BASE, _, _ = jsonl.read(CORPUS)


def lines(size: int, seed: int = 1) -> list[dict[str, object]]:
    return list(synthetic.generate(BASE, size, seed))


def test_the_same_seed_gives_the_same_base_and_a_smaller_base_is_the_start_of_a_larger() -> None:
    size = 3 * len(BASE) + 7
    assert lines(size) == lines(size)
    assert lines(size)[: len(BASE) + 1] == lines(len(BASE))
    assert lines(size) != lines(size, seed=2)


def test_every_question_is_copied_once_before_any_is_copied_twice_and_answers_are_kept() -> None:
    by_title = {r.title: r for r in BASE}
    first = lines(len(BASE))[1:]
    assert sorted(q["title"] for q in first) == sorted(r.title for r in BASE)  # copy 0: as is
    originals = {r.external_id: r for r in BASE}
    later = lines(3 * len(BASE))[1 + len(BASE) :]
    reworded = sum(q["title"] not in by_title for q in later)
    assert reworded > len(later) // 2
    answers = {a.body for r in originals.values() for a in r.answers}
    for question in later:
        assert all(a["body"] in answers for a in question["answers"])  # type: ignore[attr-defined]


def test_the_file_imports_whole(tmp_path: Path, sqlite_engine: Engine) -> None:
    path = tmp_path / "base.jsonl"
    size = 2 * len(BASE)
    synthetic.write(path, BASE, size)
    records, sources, rejected = jsonl.read(path)
    assert len(records) == size and not rejected and sources[0].key == "synthetic"
    summary = jsonl.import_jsonl(sqlite_engine, path)
    assert summary.added == size
    with sqlite_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Question)) == size
    assert json.loads(path.read_text().splitlines()[1])["id"] == "syn-0000000"
