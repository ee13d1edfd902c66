"""The generic JSONL format (docs/jsonl-format.md): read it, and write the base back out in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from healthqa.ingest.records import (
    AnswerRecord,
    QuestionRecord,
    RecordError,
    Rejection,
    SourceRecord,
)
from healthqa.ingest.topics import TopicRules
from healthqa.ingest.write import ImportSummary, write
from healthqa.store.models import Question, Source

DEFAULT_SOURCE = "jsonl"


class JSONLError(Exception):
    """The file as a whole cannot be imported (missing, empty, unreadable)."""


def import_jsonl(
    engine: Engine,
    path: str | Path,
    *,
    strict: bool = False,
    label: str | None = None,
    rules: TopicRules | None = None,
) -> ImportSummary:
    """Import a file in the format of docs/jsonl-format.md; `rules` assign the topics (default:
    the configured topic rules)."""
    path = Path(path).expanduser()
    records, sources, rejected = read(path)
    label = label or f"JSONL ({path.name})"
    return write(engine, label, records, sources, rejected, strict=strict, rules=rules)


def read(path: Path) -> tuple[list[QuestionRecord], list[SourceRecord], list[Rejection]]:
    """Parse every line; a bad line becomes a Rejection naming the file, line and field."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JSONLError(f"{path}: cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise JSONLError(f"{path}: the file is empty")
    records: list[QuestionRecord] = []
    sources: list[SourceRecord] = []
    rejected: list[Rejection] = []
    for number, obj in _objects(path, data, rejected):
        where = f"{path}:{number}"
        try:
            if obj.get("kind") == "source":
                sources.append(_source(obj))
            else:
                records.append(_question(obj, where))
        except RecordError as exc:
            rejected.append(Rejection(where, exc.field, exc.problem))
    return records, sources, rejected


def _objects(
    path: Path, data: bytes, rejected: list[Rejection]
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            rejected.append(Rejection(where, "(line)", problem))
            continue
        if not line or line.startswith("//"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(
                Rejection(where, "(line)", f"not JSON: {exc.msg} at column {exc.colno}")
            )
            continue
        if not isinstance(obj, dict):
            rejected.append(Rejection(where, "(line)", "expected a JSON object"))
            continue
        yield number, obj


def _question(obj: dict[str, Any], where: str) -> QuestionRecord:
    answers = _get(obj, "answers", list, [])
    return QuestionRecord(
        external_id=_required(obj, "id"),
        title=_required(obj, "title"),
        source=_get(obj, "source", str, DEFAULT_SOURCE),
        where=where,
        body=_get(obj, "body", str, ""),
        focus=_get(obj, "focus", str, ""),
        focus_category=_get(obj, "focus_category", str, None),
        synonyms=_strings(obj, "synonyms"),
        cuis=_strings(obj, "cuis"),
        semantic_types=_strings(obj, "semantic_types"),
        semantic_group=_get(obj, "semantic_group", str, None),
        annotations=_get(obj, "annotations", dict, {}),
        document_id=_get(obj, "document_id", str, None),
        status=_get(obj, "status", str, "published"),
        question_type=_get(obj, "question_type", str, None),
        topic=_get(obj, "topic", str, None),
        source_url=_get(obj, "source_url", str, None),
        language=_get(obj, "language", str, "en"),
        created=_time(obj, "created"),
        answers=[_answer(a, i) for i, a in enumerate(answers, 1)],
    )


def _answer(obj: Any, i: int) -> AnswerRecord:
    if not isinstance(obj, dict):
        raise RecordError(f"answers[{i}]", "expected an object")
    try:
        return AnswerRecord(
            body=_required(obj, "body"),
            author=_get(obj, "author", str, None),
            author_role=_get(obj, "author_role", str, None),
            source_url=_get(obj, "source_url", str, None),
            created=_time(obj, "created"),
        )
    except RecordError as exc:
        raise RecordError(f"answers[{i}].{exc.field}", exc.problem) from None


def _source(obj: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        key=_required(obj, "key"),
        name=_required(obj, "name"),
        url=_get(obj, "url", str, None),
        licence=_get(obj, "licence", str, None),
        attribution=_get(obj, "attribution", str, None),
    )


def _required(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(name, "missing (required)")
    if not isinstance(value, str):
        raise RecordError(name, f"expected a string, got {type(value).__name__}")
    return value


def _get(obj: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = obj.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise RecordError(name, f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _strings(obj: dict[str, Any], name: str) -> list[str]:
    values = _get(obj, name, list, [])
    if not all(isinstance(v, str) for v in values):
        raise RecordError(name, "expected a list of strings")
    return list(values)


def _time(obj: dict[str, Any], name: str) -> datetime | None:
    value = _get(obj, name, str, None)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(name, f"not an ISO 8601 time: {value!r}") from None


def export_jsonl(engine: Engine, out: TextIO) -> int:
    """Write every source and question in the import format; returns the question count."""
    count = 0
    with Session(engine) as session:
        for src in session.scalars(select(Source).order_by(Source.key)):
            out.write(
                _dumps(
                    {
                        "kind": "source",
                        "key": src.key,
                        "name": src.name,
                        "url": src.url,
                        "licence": src.licence,
                        "attribution": src.attribution,
                    }
                )
            )
        query = (
            select(Question)
            .order_by(Question.id)
            .options(
                selectinload(Question.answers),
                selectinload(Question.topic),
                selectinload(Question.source),
            )
            .execution_options(yield_per=1000)
        )
        for q in session.scalars(query):
            out.write(_dumps(question_dict(q)))
            count += 1
    return count


def question_dict(q: Question) -> dict[str, Any]:
    """A question in the JSONL format (also what `healthqa show --json` prints)."""
    data: dict[str, Any] = {
        "id": q.external_id,
        "title": q.title,
        "body": q.body,
        "topic": q.topic.slug,
        "question_type": q.question_type,
        "focus": q.focus,
        "focus_category": q.focus_category,
        "synonyms": q.synonyms,
        "cuis": q.cuis,
        "semantic_types": q.semantic_types,
        "semantic_group": q.semantic_group,
        "annotations": q.annotations,
        "document_id": q.document_id,
        "status": q.status,
        "source": q.source.key,
        "source_url": q.source_url,
        "language": q.language,
        "created": q.created_at.isoformat(),
        "answers": [
            {
                "body": a.body,
                "author": a.author,
                "author_role": a.author_role,
                "source_url": a.source_url,
                "created": a.created_at.isoformat(),
            }
            for a in q.answers
        ],
    }
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in obj.items() if v is not None}, ensure_ascii=False) + "\n"
