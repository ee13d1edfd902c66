"""What every importer produces: plain records, checked the same way before anything is written."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Field limits, shared by all importers and documented in docs/jsonl-format.md.
LIMITS = {
    "id": 200,
    "title": 500,
    "body": 50_000,
    "focus": 300,
    "focus_category": 50,
    "question_type": 100,
    "source": 50,
    "source_url": 2_000,
    "language": 10,
    "semantic_group": 100,
    "document_id": 200,
    "answer.body": 100_000,
    "answer.author": 200,
    "answer.author_role": 200,
    "answer.source_url": 2_000,
    "list item": 500,
}
STATUSES = ("published", "pending", "hidden")
LENGTH_CHECKED = (
    "title",
    "body",
    "focus",
    "focus_category",
    "question_type",
    "source_url",
    "semantic_group",
    "document_id",
)
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]+$")


@dataclass(frozen=True)
class Rejection:
    """One record that was not imported: where it is, which field, and what is wrong."""

    where: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: field '{self.field}': {self.problem}"


class RecordError(Exception):
    """A record is invalid; carries the field at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}")
        self.field = field
        self.problem = problem


@dataclass
class SourceRecord:
    key: str
    name: str
    url: str | None = None
    licence: str | None = None
    attribution: str | None = None


@dataclass
class AnswerRecord:
    body: str
    author: str | None = None
    author_role: str | None = None
    source_url: str | None = None
    created: datetime | None = None


@dataclass
class QuestionRecord:
    """One question with its answers, as an importer read it. `where` locates it in its file."""

    external_id: str
    title: str
    source: str
    where: str = ""
    body: str = ""
    focus: str = ""
    focus_category: str | None = None
    synonyms: list[str] = field(default_factory=list)
    cuis: list[str] = field(default_factory=list)
    semantic_types: list[str] = field(default_factory=list)
    semantic_group: str | None = None
    annotations: dict[str, Any] = field(default_factory=dict)
    question_type: str | None = None
    topic: str | None = None
    document_id: str | None = None
    source_url: str | None = None
    language: str = "en"
    status: str = "published"
    created: datetime | None = None
    answers: list[AnswerRecord] = field(default_factory=list)

    def content_hash(self) -> str:
        """A fingerprint of everything stored, so an unchanged re-import writes nothing."""
        data = asdict(self)
        # Where a record sits in its file and when it was created are not content: an export
        # re-imported (which adds the creation times the first import chose) is unchanged.
        data.pop("where")
        data.pop("created")
        for answer in data["answers"]:
            answer.pop("created")
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def check(record: QuestionRecord) -> None:
    """Raise RecordError for the first field that is missing, malformed or too long."""
    if not record.external_id:
        raise RecordError("id", "missing")
    if not ID_PATTERN.match(record.external_id):
        raise RecordError("id", "only letters, digits and _ . : - are allowed")
    if not record.title.strip():
        raise RecordError("title", "missing or empty")
    _check_length("id", record.external_id)
    if record.status not in STATUSES:
        raise RecordError("status", f"must be one of {', '.join(STATUSES)}")
    for name in LENGTH_CHECKED:
        _check_length(name, getattr(record, name))
    _check_length("source", record.source)
    _check_length("language", record.language)
    for name in ("synonyms", "cuis", "semantic_types"):
        for item in getattr(record, name):
            _check_length(name, item, LIMITS["list item"])
    for i, answer in enumerate(record.answers, 1):
        if not answer.body.strip():
            raise RecordError(f"answers[{i}].body", "missing or empty")
        for name in ("body", "author", "author_role", "source_url"):
            _check_length(f"answers[{i}].{name}", getattr(answer, name), LIMITS[f"answer.{name}"])


def _check_length(name: str, value: str | None, limit: int | None = None) -> None:
    limit = limit or LIMITS[name]
    if value is not None and len(value) > limit:
        raise RecordError(name, f"{len(value):,} characters, more than the limit of {limit:,}")
