"""kill -9 in the middle of the long jobs, on SQLite and PostgreSQL: an import, a build of the
search index, and a burst of expert answers and moderation actions. After it the data is
consistent, every acknowledged write is there, the index points at nothing that is not there,
and running the job again completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from healthqa.config import load_settings
from healthqa.ingest.demo import CORPUS, import_demo
from healthqa.kb import open_index, open_kb
from healthqa.people import accounts
from healthqa.people.audit import Actor
from healthqa.search.ask import ask
from healthqa.search.documents import searchable_ids
from healthqa.store.models import Answer, AuditEntry, Question
from tests.burst import MODERATOR as BURST_MODERATOR
from tests.burst import body

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


SETUP = Actor(None, "setup")
EXPERTS = 10  # 30 answers an hour each (people/limits.py): room for the whole burst
BURST = 200  # answers asked of the burst that is killed; it is killed after KILL_AFTER writes
KILL_AFTER = 40
ROOT = Path(__file__).resolve().parents[1]


def burst(home: Path, url: str, first: int, count: int) -> subprocess.Popen[str]:
    env = os.environ | {"HEALTHQA_HOME": str(home), "HEALTHQA_NO_PROGRESS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.burst", url, str(first), str(count)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def acknowledged(process: subprocess.Popen[str], kill_after: int | None) -> list[dict[str, Any]]:
    """The writes `process` announced, read until it ends, or until `kill_after` of them when
    it is then killed with SIGKILL (mid-write, most likely)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(json.loads(line))
        if kill_after is not None and len(lines) == kill_after:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    if kill_after is None:
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    else:
        assert process.returncode == -signal.SIGKILL
    return lines


def test_a_burst_of_answers_and_moderation_killed_keeps_every_acknowledged_write(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_kb(db_url)
    import_demo(engine)
    for n in range(EXPERTS):
        account = accounts.add_user(engine, f"expert{n}@example.org", "a long password", "expert")
        profile = {"name": f"Dr {n}", "profession": "Physician", "speciality": "General practice"}
        accounts.save_profile(engine, account.id, **profile, licence=f"X {n}", country="Canada")
        accounts.verify(engine, SETUP, account.id)

    killed = acknowledged(burst(tmp_path, db_url, 0, BURST), KILL_AFTER)
    check_burst(engine, killed)
    rerun = acknowledged(burst(tmp_path, db_url, BURST, 30), None)  # the site goes on
    check_burst(engine, killed + rerun)
    assert sum("status" in w for w in rerun) == 30
    index = open_index(engine, load_settings(database_url=db_url))
    assert set(index.docs) == searchable_ids(engine)  # nothing points at nothing
    engine.dispose()


def check_burst(engine: Engine, writes: list[dict[str, Any]]) -> None:
    """Every acknowledged write is stored; at most one write after the last acknowledged one
    (committed when the process died, not yet announced) is stored besides."""
    answered = {w["answer"]: w for w in writes if "status" in w}
    hidden = {w["answer"] for w in writes if "hidden" in w}
    with engine.connect() as conn:
        stored = {
            a.id: a
            for a in conn.execute(
                select(
                    Answer.id, Answer.body, Answer.status, Answer.question_id, Question.external_id
                )
                .join(Question, Question.id == Answer.question_id)
                .where(Answer.user_id.is_not(None))
            )
        }
        audit = Counter(
            conn.execute(
                select(AuditEntry.action, AuditEntry.target_id).where(
                    AuditEntry.actor == BURST_MODERATOR.label
                )
            ).all()
        )
        duplicates = conn.execute(
            select(Answer.question_id, Answer.position)
            .group_by(Answer.question_id, Answer.position)
            .having(func.count() > 1)
        ).all()
    assert not duplicates  # no two answers in one place
    for answer_id, write in answered.items():
        row = stored[answer_id]
        assert row.body == body(write["n"]) and row.external_id == write["question"]
        assert row.status == ("hidden" if answer_id in hidden else "published") or (
            answer_id == max(answered) and row.status == "hidden"  # hidden, not announced
        )
    assert len(stored) - len(answered) <= 1
    for write in writes:
        if "hidden" in write:
            assert audit[("hide", str(write["answer"]))] == 1
        if "action" in write:
            assert audit[(write["action"], write["question"])] >= 1
    unannounced = sum(audit.values()) - sum("hidden" in w or "action" in w for w in writes)
    assert unannounced <= 1
