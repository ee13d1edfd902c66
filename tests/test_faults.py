"""kill -9 in the middle of the long jobs, on SQLite and PostgreSQL: an import, and a build of the
search index. After it the data is consistent, the index points at nothing that is not there, and
running the job again completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from healthqa.config import load_settings
from healthqa.ingest.demo import CORPUS
from healthqa.kb import open_index, open_kb
from healthqa.search.ask import ask
from healthqa.search.documents import searchable_ids
from healthqa.store.models import Answer, Question

COPIES = 12  # the demo corpus 12 times over: ~600 questions, a few seconds of import


def big_corpus(folder: Path) -> tuple[Path, int]:
    """The demo corpus repeated under new ids: a file large enough to be killed half-way."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    out, questions = [], 0
    for copy in range(COPIES):
        for line in lines:
            record = json.loads(line)
            if record.get("kind") != "source":
                record["id"] = f"{record['id']}-copy{copy}"
                questions += 1
            elif copy:
                continue
            out.append(json.dumps(record))
    path = folder / "big.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path, questions


def healthqa(home: Path, url: str, *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"HEALTHQA_HOME": str(home), "HEALTHQA_NO_PROGRESS": "1"}
    command = Path(sys.executable).with_name("healthqa")
    return subprocess.Popen(
        [str(command), "--db", url, *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def kill_after(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL `process` after `seconds` unless it ended first; True when it was killed."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return True


def finish(process: subprocess.Popen[bytes]) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output.decode()
    return output.decode()


@pytest.mark.parametrize("after", [0.5, 2.0])
def test_an_import_killed_half_way_leaves_all_or_nothing_and_completes_on_rerun(
    db_url: str, tmp_path: Path, after: float
) -> None:
    corpus, questions = big_corpus(tmp_path)
    finish(healthqa(tmp_path, db_url, "init"))
    kill_after(healthqa(tmp_path, db_url, "import", "jsonl", str(corpus)), after)
    engine = open_kb(db_url)
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Question))
        unanswered = conn.scalar(
            select(func.count()).select_from(Question).where(~Question.answers.any())
        )
    assert stored in (0, questions) and unanswered == 0  # one transaction: all or nothing
    summary = json.loads(
        finish(healthqa(tmp_path, db_url, "import", "jsonl", str(corpus), "--json"))
    )
    assert summary["added"] + summary["unchanged"] == questions and not summary["rejected"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Question)) == questions
        assert conn.scalar(select(func.count()).select_from(Answer)) >= questions
    engine.dispose()


@pytest.mark.parametrize("after", [2.0])
def test_an_index_build_killed_half_way_is_rebuilt_and_points_only_at_stored_questions(
    db_url: str, tmp_path: Path, after: float
) -> None:
    corpus, questions = big_corpus(tmp_path)
    finish(healthqa(tmp_path, db_url, "import", "jsonl", str(corpus)))
    finish(healthqa(tmp_path, db_url, "index"))  # a good index first, then a rebuild killed
    kill_after(healthqa(tmp_path, db_url, "index"), after)

    engine = open_kb(db_url)
    index = open_index(engine, load_settings(database_url=db_url))
    stored = searchable_ids(engine)
    assert set(index.docs) == stored and len(stored) == questions
    hits = index.lexical.search(["pain"], k=10_000)
    assert hits and {qid for qid, _ in hits} <= stored  # nothing that points at nothing
    found = ask(index, "lower back pain since my IUD was put in", k=5)
    assert found.matches and found.matches[0].id.startswith("demo-0001")
    engine.dispose()
