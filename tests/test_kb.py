"""The knowledge base as every layer opens it: the site's settings read once (the country from a
config file reaches triage), one `ask` whose triage reads the whole message, used alike by
the Python API, the command line and the website, and the triage of each stored question, kept
in the database so that its page does not run the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from typer.testing import CliRunner

import healthqa
from healthqa.cli import app
from healthqa.kb import KnowledgeBase, question_text, question_triage_key
from healthqa.search.ask import MAX_CHARS
from healthqa.store.models import Embedding, Question, QuestionTriage
from healthqa.store.queries import KeptTriage, published_article, triage_texts
from healthqa.triage import triage
from healthqa.web.app import create_app

EMERGENCY = "Crushing chest pain spreading to my left arm and jaw for 20 minutes, sweating."


@pytest.fixture
def site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configured site in the United Kingdom, its database with the demo corpus."""
    db = tmp_path / "kb.db"
    config = tmp_path / "site.toml"
    config.write_text(f'database_url = "sqlite:///{db}"\ncountry = "GB"\n')
    monkeypatch.setenv("HEALTHQA_CONFIG", str(config))
    result = CliRunner().invoke(app, ["import", "demo"])
    assert result.exit_code == 0, result.output
    return config


def test_the_config_files_country_reaches_triage_through_every_ask(site_config: Path) -> None:
    kb = KnowledgeBase.open()
    assert kb.country == "GB"
    assert kb.ask(EMERGENCY).triage["advice"]["emergency_number"] == "999"  # type: ignore[index]

    assert healthqa.ask(EMERGENCY).triage["advice"]["emergency_number"] == "999"  # type: ignore[index]

    cli = CliRunner().invoke(app, ["ask", EMERGENCY, "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["triage"]["advice"]["emergency_number"] == "999"
    cli = CliRunner().invoke(app, ["triage", EMERGENCY, "--json"])
    assert json.loads(cli.output)["advice"]["emergency_number"] == "999"

    with TestClient(create_app(kb.engine)) as client:
        asked = client.get("/api/v1/ask", params={"q": EMERGENCY}).json()
    assert asked["triage"]["advice"]["emergency_number"] == "999"


def test_triage_reads_the_whole_message_when_search_reads_only_its_start(
    site_config: Path,
) -> None:
    routine = "I have had a mild itchy rash on my elbow for a week and wonder about creams. "
    text = routine * (MAX_CHARS // len(routine) + 2) + EMERGENCY
    result = KnowledgeBase.open().ask(text)
    assert result.trimmed and EMERGENCY not in result.query
    assert result.triage is not None and result.triage["level"] == "emergency"


# ----- the triage of stored questions, kept -----


def _kept(kb: KnowledgeBase, external_id: str) -> tuple[int, str, KeptTriage | None]:
    """A published question's id, triage text and kept triage, as its page reads them."""
    row = published_article(kb.engine, external_id)
    assert row is not None
    return row.id, question_text(row.title, row.body), row.triage


def test_each_questions_triage_is_kept_once_and_read_back_with_the_sites_country(
    site_config: Path,
) -> None:
    kb = KnowledgeBase.open()
    published = len(triage_texts(kb.engine))
    assert kb.keep_triage_of_questions() == published
    assert kb.keep_triage_of_questions() == 0  # nothing changed: nothing to do
    for external_id in ("demo-0001", "demo-0025"):  # a routine question, an urgent one
        qid, text, kept = _kept(kb, external_id)
        assert kept is not None and "advice" not in kept.result  # the advice is the site's
        from_store = kb.question_triage(qid, text, kept)
        assert from_store.to_dict() == triage(text, "GB").to_dict()
    assert from_store.advice is not None and from_store.advice.emergency_number == "999"


def test_a_page_view_keeps_a_missing_triage_for_every_worker(site_config: Path) -> None:
    kb = KnowledgeBase.open()
    qid, text, kept = _kept(kb, "demo-0025")
    assert kept is None  # nothing kept yet
    made = kb.question_triage(qid, text, None)
    other_worker = KnowledgeBase.open()  # another process reads what the first one kept
    _, _, kept = _kept(other_worker, "demo-0025")
    assert kept is not None and kept.key == question_triage_key(text, other_worker.settings)
    assert other_worker.question_triage(qid, text, kept).to_dict() == made.to_dict()


def test_an_edited_question_or_another_triage_version_is_triaged_again(
    site_config: Path,
) -> None:
    kb = KnowledgeBase.open()
    kb.keep_triage_of_questions()
    with kb.engine.begin() as conn:
        conn.execute(
            update(Question)
            .where(Question.external_id == "demo-0001")
            .values(body="Crushing chest pain spreading to my left arm, and I am sweating.")
        )
        # what a kept triage of an older triage version looks like: a key made by other rules
        qid = conn.scalar(select(Question.id).where(Question.external_id == "demo-0003"))
        conn.execute(
            update(QuestionTriage).where(QuestionTriage.question_id == qid).values(key="0" * 64)
        )
    qid, text, kept = _kept(kb, "demo-0001")
    assert kept is not None and kept.key != question_triage_key(text, kb.settings)
    assert kb.question_triage(qid, text, kept).level.value == "emergency"  # made again at once
    assert kb.keep_triage_of_questions() == 1  # demo-0003; demo-0001 was kept by the view
    assert kb.keep_triage_of_questions() == 0


def test_triage_of_questions_reuses_the_search_indexs_vectors(site_config: Path) -> None:
    """A question whose words are all in what the search index embedded (title and a short
    body) is triaged with that cached vector; the triage, made in two processes, is the one
    made from its own text."""
    kb = KnowledgeBase.open()
    assert len(kb.index.docs) > 0  # the search index embedded every question
    with kb.engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Embedding))
    kb.keep_triage_of_questions(workers=2)  # as `healthqa index` does: forked processes
    with kb.engine.connect() as conn:
        added = conn.scalar(select(func.count()).select_from(Embedding))
    longer = sum(len(body) > 500 for _, _, body, _ in triage_texts(kb.engine))
    assert added - before == longer < len(triage_texts(kb.engine))
    for external_id in [d.external_id for d in kb.index.docs.values()]:
        qid, text, kept = _kept(kb, external_id)
        assert kept is not None
        assert kb.question_triage(qid, text, kept).to_dict() == triage(text, "GB").to_dict(), text
