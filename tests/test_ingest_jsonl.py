"""The generic JSONL importer and exporter: upserts, round trips and every kind of bad line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from healthqa.ingest import ImportRejected, JSONLError, export_jsonl, import_jsonl
from healthqa.ingest.records import LIMITS
from healthqa.store import get_question, stats

SOURCE = {
    "kind": "source",
    "key": "clinic",
    "name": "Example Clinic",
    "licence": "CC BY 4.0",
    "attribution": "Answers by Example Clinic's nurses.",
}


def question(n: int, **extra: Any) -> dict[str, Any]:
    base = {
        "id": f"clinic-{n}",
        "title": f"Question {n}?",
        "source": "clinic",
        "answers": [{"body": f"Answer {n}.", "author": "Nurse Lee"}],
    }
    return base | extra


def write_lines(path: Path, *objs: Any) -> Path:
    path.write_text("\n".join(o if isinstance(o, str) else json.dumps(o) for o in objs) + "\n")
    return path


def test_import_then_update_in_place(engine: Engine, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "site.jsonl", SOURCE, question(1), question(2, topic="pregnancy"))
    summary = import_jsonl(engine, path)
    assert (summary.added, summary.rejected) == (2, [])
    q = get_question(engine, "clinic-2")
    assert q.topic.slug == "pregnancy"
    assert q.source.name == "Example Clinic"

    write_lines(path, SOURCE, question(1), question(2, title="Edited?", topic="pregnancy"))
    again = import_jsonl(engine, path)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert get_question(engine, "clinic-2").title == "Edited?"
    assert get_question(engine, "clinic-2").id == q.id
    assert stats(engine).questions == 2


def test_export_round_trips(engine: Engine, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "a.jsonl",
        SOURCE,
        question(1, body="Asker's words", focus="Flu", synonyms=["influenza"]),
    )
    import_jsonl(engine, path)
    buffer = io.StringIO()
    assert export_jsonl(engine, buffer) == 1
    exported = tmp_path / "export.jsonl"
    exported.write_text(buffer.getvalue())
    assert import_jsonl(engine, exported).unchanged == 1


def test_bad_lines_are_named_and_the_good_ones_import(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        json.dumps(question(1)).encode(),
        b"{not json",
        json.dumps({"title": "no id"}).encode(),
        json.dumps(question(4, title=None)).encode(),
        '{"id": "clinic-5", "title": "caf\xe9"}'.encode("latin-1"),
        json.dumps(question(6, title="x" * (LIMITS["title"] + 1))).encode(),
        json.dumps(question(7, answers=[{"author": "nobody"}])).encode(),
        json.dumps(question(8, topic="astrology")).encode(),
        json.dumps(question(1)).encode(),
        json.dumps(["a", "list"]).encode(),
        json.dumps(question(11, synonyms="flu")).encode(),
    ]
    path.write_bytes(b"\n".join(lines))
    summary = import_jsonl(engine, path)
    assert summary.added == 1
    got = [str(r) for r in summary.rejected]
    assert got == [
        f"{path}:2: field '(line)': not JSON: Expecting property name enclosed in double quotes"
        " at column 2",
        f"{path}:3: field 'id': missing (required)",
        f"{path}:4: field 'title': missing (required)",
        f"{path}:5: field '(line)': not UTF-8 (byte 0xe9 at column 33)",
        f"{path}:6: field 'title': 501 characters, more than the limit of 500",
        f"{path}:7: field 'answers[1].body': missing (required)",
        f"{path}:8: field 'topic': unknown topic 'astrology'",
        f"{path}:9: field 'id': duplicate of the record at {path}:1",
        f"{path}:10: field '(line)': expected a JSON object",
        f"{path}:11: field 'synonyms': expected list, got str",
    ]


def test_strict_writes_nothing_when_a_line_is_bad(engine: Engine, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", question(1), "{oops")
    with pytest.raises(ImportRejected, match=r"s.jsonl:2: field '\(line\)': not JSON"):
        import_jsonl(engine, path, strict=True)
    assert stats(engine).questions == 0


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_an_error(sqlite_engine: Engine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(JSONLError, match="empty.jsonl: the file is empty"):
        import_jsonl(sqlite_engine, path)


def test_missing_file_is_an_error(sqlite_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(JSONLError, match="missing.jsonl: cannot read"):
        import_jsonl(sqlite_engine, tmp_path / "missing.jsonl")


def test_hostile_text_is_stored_verbatim(engine: Engine, tmp_path: Path) -> None:
    title = "<script>alert(1)</script>'; DROP TABLE questions; --"
    path = write_lines(tmp_path / "h.jsonl", question(1, title=title, body="emoji 🤒 ok"))
    import_jsonl(engine, path)
    assert get_question(engine, "clinic-1").title == title
    assert get_question(engine, "clinic-1").body == "emoji 🤒 ok"
