"""LiveQA import: the real training files, and broken XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from healthqa.ingest import LiveQAError, import_liveqa
from healthqa.store import get_question, stats
from healthqa.store.queries import list_questions

FILE_1 = "TREC-2017-LiveQA-Medical-Train-1.xml"


def test_training_set_imports_exactly(engine: Engine, liveqa_dir: Path) -> None:
    summary = import_liveqa(engine, liveqa_dir)
    # 200 questions with 388 reference answers + 246 questions with 246 answers
    assert (summary.added, summary.rejected) == (446, [])
    counts = stats(engine)
    assert (counts.questions, counts.answers, counts.by_source["LiveQA"]) == (446, 634, 446)

    q = get_question(engine, "LiveQA_Train1_Q1")
    assert q.title.startswith("Literature on Cardiac amyloidosis.")
    assert "My uncle died yesterday" in q.body
    assert (q.focus, q.question_type) == ("cardiac amyloidosis", "information")
    assert len(q.answers) == 2
    lyme = get_question(engine, "LiveQA_Train2_1")  # file 2 has qid="1.0" and a UTF-8 BOM
    # a SUBJECT naming only a topic gets the first question of the message
    title = "Lyme Disease: Can you offer any enlightment on my condition?"
    assert (lyme.title, lyme.question_type) == (title, "information")
    lice = [q for q in list_questions(engine, limit=500) if q.title.startswith("Body Lice")]
    assert "Body Lice: How do I get rid of these little devils?" in [q.title for q in lice]

    again = import_liveqa(engine, liveqa_dir)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 446)


def test_truncated_file_names_file_and_line_and_writes_nothing(
    engine: Engine, liveqa_dir: Path, tmp_path: Path
) -> None:
    data = (liveqa_dir / FILE_1).read_bytes()
    broken = tmp_path / FILE_1
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(LiveQAError, match=rf"{FILE_1}:\d+:\d+: invalid XML"):
        import_liveqa(engine, tmp_path)
    assert stats(engine).questions == 0


def test_empty_file_is_an_error(sqlite_engine: Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(LiveQAError, match="empty.xml: the file is empty"):
        import_liveqa(sqlite_engine, empty)


def test_question_without_id_is_rejected_with_its_position(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    file = tmp_path / "mini.xml"
    file.write_text(
        "<NLM-QUESTIONS>"
        "<NLM-QUESTION questionid='Q9'><SUBJECT>flu</SUBJECT><MESSAGE>what helps?</MESSAGE>"
        "</NLM-QUESTION>"
        "<NLM-QUESTION><SUBJECT>no id</SUBJECT><MESSAGE>x</MESSAGE></NLM-QUESTION>"
        "</NLM-QUESTIONS>"
    )
    summary = import_liveqa(sqlite_engine, file)
    assert summary.added == 1
    assert [str(r) for r in summary.rejected] == [f"{file} question 2: field 'questionid': missing"]
