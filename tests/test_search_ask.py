"""The answer engine end to end on the demo corpus: ask, incremental indexing, the embedding
cache, topic filters, batch runs and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from typer.testing import CliRunner

from healthqa.cli import app
from healthqa.config import load_settings
from healthqa.encoder import Embedder
from healthqa.ingest import import_demo, import_jsonl
from healthqa.kb import open_index
from healthqa.search.ask import MAX_CHARS, AskError, ask
from healthqa.search.index import SearchIndex
from healthqa.store.models import Embedding, Question


@pytest.fixture
def demo(sqlite_engine: Engine) -> Engine:
    import_demo(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def index(demo: Engine) -> Iterator[SearchIndex]:
    yield open_index(demo, load_settings(database_url=demo.url.render_as_string(False)))


def test_iud_back_pain_finds_the_iud_question_first(index: SearchIndex) -> None:
    result = ask(index, "lower back pain since my IUD was put in, what should I do?")
    top = result.matches[0]
    assert top.id == "demo-0001"
    assert top.why.focus == "Intrauterine device"
    assert "iud" in top.why.terms
    assert top.source_name == "healthqa demo corpus" and top.answered
    assert top.snippet.startswith("Cramping and a dull lower back ache")
    assert "Intrauterine device" in result.understanding.focus


def test_each_match_says_why_in_words(index: SearchIndex) -> None:
    top = ask(index, "lower back pain since my IUD was put in, what should I do?").matches[0]
    assert top.why.reasons[0] == "Same subject: Intrauterine device."
    assert any(r.startswith("Shares the words: ") and "iud" in r for r in top.why.reasons)
    assert top.why.text == " ".join(top.why.reasons)


def test_the_score_stays_on_the_scale_the_web_thresholds_know(index: SearchIndex) -> None:
    matches = ask(index, "lower back pain since my IUD was put in, what should I do?").matches
    assert 0.6 <= matches[0].score <= 1.2  # close enough to be offered as "your question"
    assert all(-0.5 <= m.score <= 1.2 for m in matches)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the coil is giving me cramps and backache", "demo-0001"),  # lay term: coil -> IUD
        ("lowr bak pain aftr IUD insertion", "demo-0001"),  # misspellings
    ],
)
def test_lay_words_and_misspellings(index: SearchIndex, text: str, expected: str) -> None:
    ids = [m.id for m in ask(index, text, k=3).matches]
    assert expected in ids


def test_results_stay_within_a_topic(index: SearchIndex) -> None:
    result = ask(index, "is it safe to take painkillers", k=5, topic="pregnancy")
    assert result.matches and {m.topic for m in result.matches} == {"pregnancy"}


def test_new_and_edited_questions_are_searchable_at_once(
    index: SearchIndex, tmp_path: Path
) -> None:
    line = {
        "id": "site-1",
        "title": "Can a hamster bite give me tularemia?",
        "topic": "infections",
        "answers": [{"body": "Rarely; wash the bite and see a doctor if fever follows."}],
    }
    (tmp_path / "new.jsonl").write_text(json.dumps(line))
    import_jsonl(index.engine, tmp_path / "new.jsonl")
    index.refresh(force=True)
    assert ask(index, "hamster bite tularemia", k=1).matches[0].id == "site-1"

    with index.engine.begin() as conn:
        conn.execute(
            update(Question)
            .where(Question.external_id == "site-1")
            .values(status="hidden", updated_at=datetime.now(UTC))
        )
    index.refresh(force=True)
    assert "site-1" not in [m.id for m in ask(index, "hamster bite tularemia").matches]


def test_unchanged_text_is_never_embedded_twice(
    demo: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(database_url=demo.url.render_as_string(False))
    embedded: list[str] = []
    original = Embedder.embed

    def counting(self: Embedder, texts: Sequence[str]) -> Any:
        embedded.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(Embedder, "embed", counting)
    open_index(demo, settings)
    assert len(embedded) == 52
    with demo.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Embedding)) == 52

    embedded.clear()
    open_index(demo, settings, rebuild=True)  # a full rebuild reads every vector from the cache
    assert embedded == []

    line = {"id": "site-2", "title": "Does oat milk raise blood sugar?"}
    (tmp_path / "one.jsonl").write_text(json.dumps(line))
    import_jsonl(demo, tmp_path / "one.jsonl")
    open_index(demo, settings)
    assert embedded == ["Does oat milk raise blood sugar?"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "<p></p>"])
def test_empty_questions_are_refused_clearly(index: SearchIndex, text: str) -> None:
    with pytest.raises(AskError, match="empty"):
        ask(index, text)


@pytest.mark.parametrize(
    "text",
    [
        "🤒🤒🤒 help",
        "<script>alert(1)</script> headache",
        "'; DROP TABLE questions; --",
        "¿Qué puedo tomar para el dolor de cabeza?",
        'AND OR NOT ( ) : ^ * ~ " title:x',
    ],
)
def test_odd_input_gives_a_result_not_a_crash(index: SearchIndex, text: str) -> None:
    result = ask(index, text)
    assert isinstance(result.matches, list)


def test_long_messages_are_trimmed_and_say_so(index: SearchIndex) -> None:
    result = ask(index, "my period is late and I feel sick " * 3_000)
    assert result.trimmed and len(result.query) <= MAX_CHARS
    assert result.matches


def test_the_real_question_is_what_ask_reads(index: SearchIndex) -> None:
    text = (
        "Hi there. I had a hormonal IUD fitted ten days ago and the cramps have settled. "
        "Is this dull lower back ache normal? Thanks so much."
    )
    result = ask(index, text, k=3)
    assert result.read_as == ["Intrauterine device: Is this dull lower back ache normal?"]
    assert result.matches[0].id == "demo-0001"
    assert result.note is None


def test_a_message_that_asks_four_things_gets_answers_to_each(index: SearchIndex) -> None:
    text = (
        "I had a hormonal IUD fitted last week. Is the back pain normal? "
        "Can I take paracetamol for it? Do antibiotics stop the pill from working? "
        "How much vitamin D should I take?"
    )
    result = ask(index, text, k=8)
    assert len(result.read_as) == 4
    ids = [m.id for m in result.matches]
    assert {"demo-0001", "demo-0046", "demo-0032"} <= set(ids)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sertraline", "demo-0029"),  # a drug name alone
        ("blood pressure 148/92", "demo-0007"),  # a reading alone
        ("ldl 190", None),  # a lab value the demo corpus has no question about
    ],
)
def test_a_name_or_a_value_alone(index: SearchIndex, text: str, expected: str | None) -> None:
    result = ask(index, text, k=3)
    assert result.read_as == [text]
    if expected:
        assert result.matches[0].id == expected


def test_another_language_is_answered_with_a_plain_note(index: SearchIndex) -> None:
    result = ask(index, "¿Puedo tomar paracetamol durante el embarazo para el dolor de cabeza?")
    assert result.note and "does not look like English" in result.note
    assert isinstance(result.matches, list)


def test_k_out_of_range_is_refused(index: SearchIndex) -> None:
    with pytest.raises(AskError, match="k must be between"):
        ask(index, "headache", k=0)


def test_cli_ask_and_trec_batch(demo: Engine, tmp_path: Path) -> None:
    db = ["--db", demo.url.render_as_string(False)]
    runner = CliRunner()
    shown = runner.invoke(app, [*db, "ask", "chest hurts and my left arm is numb", "--json"])
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    assert result["triage"]["level"] == "emergency" and result["matches"]

    queries = tmp_path / "q.tsv"
    queries.write_text("q1\tIUD back pain\nq2\tmorning sickness remedies\n")
    run = tmp_path / "out.trec"
    done = runner.invoke(app, [*db, "ask", "--batch", str(queries), "--run", str(run), "--k", "5"])
    assert done.exit_code == 0, done.output
    lines = [line.split() for line in run.read_text().splitlines()]
    assert {line[0] for line in lines} == {"q1", "q2"}
    for qid in ("q1", "q2"):
        ranks = [int(line[3]) for line in lines if line[0] == qid]
        assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= 5
    assert all(len(line) == 6 and line[1] == "Q0" and line[5] == "healthqa" for line in lines)
    scores = [float(line[4]) for line in lines if line[0] == "q1"]
    assert scores == sorted(scores, reverse=True)

    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n")
    refused = runner.invoke(app, [*db, "ask", "--batch", str(bad)])
    assert refused.exit_code == 1 and "bad.tsv:1: expected id<TAB>text" in refused.output


def test_search_runs_on_both_databases(engine: Engine, tmp_path: Path) -> None:
    import_demo(engine)
    settings = load_settings(
        database_url=engine.url.render_as_string(False), index_dir=tmp_path / "index"
    )
    index = open_index(engine, settings)
    assert ask(index, "morning sickness", k=3).matches
    line = {"id": "site-3", "title": "Is hiccuping in the womb normal?", "topic": "pregnancy"}
    (tmp_path / "h.jsonl").write_text(json.dumps(line))
    import_jsonl(engine, tmp_path / "h.jsonl")
    index.refresh(force=True)
    assert ask(index, "baby hiccups in the womb", k=3).matches[0].id == "site-3"


def test_two_processes_building_the_index_at_once_both_succeed(tmp_path: Path) -> None:
    """Several workers starting on a knowledge base whose index was never built: one builds
    under a lock, the others reuse it; the embedding cache takes the same rows twice."""
    import os
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'kb.db'}"
    env = {**os.environ, "HEALTHQA_HOME": str(tmp_path / "home")}
    cli = [str(Path(sys.executable).with_name("healthqa")), "--db", db]
    subprocess.run([*cli, "import", "demo"], env=env, check=True, capture_output=True)
    runs = [subprocess.Popen([*cli, "index"], env=env, stderr=subprocess.PIPE) for _ in range(2)]
    errors = [run.communicate()[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors


def test_cache_insert_skips_keys_already_there(engine: Engine) -> None:
    """Two workers caching the same text: the second insert is a no-op, on both databases."""
    from healthqa.search.semantic import _insert_new

    row = {"key": "k" * 64, "vector": b"\x00" * 8}
    for _ in range(2):
        with engine.begin() as conn:
            conn.execute(_insert_new(engine), [row])


def test_a_catch_up_drops_hidden_and_deleted_questions_on_both_databases(
    engine: Engine, tmp_path: Path
) -> None:
    """A hidden question is found among those changed since the last look; one deleted
    outright leaves no row, but the trigger of migration 0013 records it. One deleted and
    replaced under the same id (SQLite reuses the last) between two looks is searchable."""
    import_demo(engine)
    settings = load_settings(
        database_url=engine.url.render_as_string(False), index_dir=tmp_path / "index"
    )
    index = open_index(engine, settings)
    titles = ["Can a hamster bite give me tularemia?", "Can parrots give me psittacosis?"]
    lines = [{"id": f"gone-{n}", "title": t, "topic": "infections"} for n, t in enumerate(titles)]
    (tmp_path / "two.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    import_jsonl(engine, tmp_path / "two.jsonl")
    index.refresh(force=True)
    ids = {d.external_id: d.id for d in index.docs.values()}
    assert {"gone-0", "gone-1"} <= set(ids)

    with engine.begin() as conn:
        conn.execute(update(Question).where(Question.external_id == "gone-0")
                     .values(status="hidden", updated_at=datetime.now(UTC)))  # fmt: skip
    assert index.refresh(force=True) == 1
    assert ids["gone-0"] not in index.docs and ids["gone-1"] in index.docs

    with engine.begin() as conn:
        conn.execute(delete(Question).where(Question.external_id == "gone-1"))
    assert index.refresh(force=True) == 1
    assert ids["gone-1"] not in index.docs
    assert "gone-1" not in [m.id for m in ask(index, "parrots psittacosis").matches]
    assert len(index.docs) == 52

    for n, title in enumerate(["Can a cat scratch cause fever?", "Can turtles carry salmonella?"]):
        line = {"id": f"back-{n}", "title": title, "topic": "infections"}
        (tmp_path / f"back-{n}.jsonl").write_text(json.dumps(line) + "\n")
    import_jsonl(engine, tmp_path / "back-0.jsonl")
    index.refresh(force=True)
    with engine.begin() as conn:
        conn.execute(delete(Question).where(Question.external_id == "back-0"))
    import_jsonl(engine, tmp_path / "back-1.jsonl")  # on SQLite, with back-0's id
    assert index.refresh(force=True) >= 1
    assert [d.external_id for d in index.docs.values()].count("back-0") == 0
    assert ask(index, "turtles salmonella").matches[0].id == "back-1"
    assert len(index.docs) == 53
