"""The one upsert every importer shares: records in, one transaction, a summary out.

Questions are matched by external id. A record whose content hash is unchanged is left alone;
a changed one is updated in place and its answers replaced; a new one is inserted. Nothing is
written unless the whole batch succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from healthqa.config import load_settings
from healthqa.ingest.records import (
    QuestionRecord,
    RecordError,
    Rejection,
    SourceRecord,
    check,
)
from healthqa.ingest.titles import MAX_CHARS, display_title
from healthqa.ingest.topics import TopicHints, TopicRules, load_rules
from healthqa.progress import progress
from healthqa.store.models import Answer, Question, Source, Topic

BATCH = 2_000
FEW = 100


class ImportRejected(Exception):
    """A strict import found invalid records and wrote nothing."""

    def __init__(self, rejected: Sequence[Rejection]) -> None:
        lines = "\n".join(str(r) for r in rejected[:20])
        more = f"\n... and {len(rejected) - 20} more" if len(rejected) > 20 else ""
        super().__init__(f"{len(rejected)} invalid record(s), nothing imported:\n{lines}{more}")
        self.rejected = list(rejected)


@dataclass
class ImportSummary:
    """What an import did; `rejected` says where and why each refused record was refused."""

    label: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "import": self.label,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "rejections": [str(r) for r in self.rejected],
        }


def configured_rules() -> TopicRules:
    """The topic rules the settings name: for callers that bring none (a KnowledgeBase brings
    its own, read once)."""
    return load_rules(load_settings().topics_file)


def sync_topics(conn: Connection, rules: TopicRules) -> dict[str, int]:
    """Make the topics table match the rules' topic list; return slug -> id. Writes only
    what differs (a form's single question must not rewrite every topic)."""
    columns = (Topic.slug, Topic.name, Topic.description, Topic.position)
    existing = {row[0]: tuple(row[1:]) for row in conn.execute(select(*columns))}
    for position, topic in enumerate(rules.topics):
        values = {"name": topic.name, "description": topic.description, "position": position}
        if topic.slug not in existing:
            conn.execute(insert(Topic).values(slug=topic.slug, **values))
        elif existing[topic.slug] != tuple(values.values()):
            conn.execute(update(Topic).where(Topic.slug == topic.slug).values(**values))
    return {slug: id_ for id_, slug in conn.execute(select(Topic.id, Topic.slug))}


def sync_sources(conn: Connection, sources: Iterable[SourceRecord]) -> None:
    existing = set(conn.scalars(select(Source.key)))
    for src in sources:
        values = {"name": src.name, "url": src.url, "licence": src.licence}
        values["attribution"] = src.attribution
        if src.key in existing:
            conn.execute(update(Source).where(Source.key == src.key).values(**values))
        else:
            conn.execute(insert(Source).values(key=src.key, **values))
            existing.add(src.key)


def write(
    engine: Engine,
    label: str,
    records: Iterable[QuestionRecord],
    sources: Sequence[SourceRecord] = (),
    rejected: Sequence[Rejection] = (),
    *,
    strict: bool = False,
    rules: TopicRules | None = None,
) -> ImportSummary:
    """Upsert `records` in one transaction. `rejected` are the parser's own refusals."""
    rules = rules or configured_rules()
    summary = ImportSummary(label, rejected=list(rejected))
    valid = _validate(records, rules, summary)
    summary.rejected.sort(key=_file_order)
    if strict and summary.rejected:
        raise ImportRejected(summary.rejected)
    with engine.begin() as conn:
        _write(conn, valid, sources, rules, summary)
    return summary


def write_in(
    conn: Connection,
    label: str,
    records: Iterable[QuestionRecord],
    sources: Sequence[SourceRecord] = (),
    *,
    rules: TopicRules | None = None,
) -> ImportSummary:
    """Like a strict `write`, inside the caller's transaction (so that rows of its own can
    go in with the questions, or not at all)."""
    rules = rules or configured_rules()
    summary = ImportSummary(label)
    valid = _validate(records, rules, summary)
    if summary.rejected:
        raise ImportRejected(summary.rejected)
    _write(conn, valid, sources, rules, summary)
    return summary


def _write(
    conn: Connection,
    valid: list[QuestionRecord],
    sources: Sequence[SourceRecord],
    rules: TopicRules,
    summary: ImportSummary,
) -> None:
    topic_ids = sync_topics(conn, rules)
    sync_sources(conn, sources)
    sync_sources(conn, _unknown_sources(conn, valid))
    source_ids = {k: i for i, k in conn.execute(select(Source.id, Source.key))}
    query = select(Question.id, Question.external_id, Question.content_hash)
    if len(valid) <= FEW:  # a form's question: look up its own id, not the whole table
        query = query.where(Question.external_id.in_([r.external_id for r in valid]))
    known = {ext: (id_, digest) for id_, ext, digest in conn.execute(query)}
    _upsert(conn, valid, known, topic_ids, source_ids, summary)


def _validate(
    records: Iterable[QuestionRecord], rules: TopicRules, summary: ImportSummary
) -> list[QuestionRecord]:
    """Check each record, resolve its topic, refuse duplicates; collect refusals in `summary`."""
    slugs = {t.slug for t in rules.topics}
    seen: dict[str, str] = {}
    valid = []
    for record in records:
        try:
            check(record)
            if record.external_id in seen:
                raise RecordError("id", f"duplicate of the record at {seen[record.external_id]}")
            if record.topic is not None and record.topic not in slugs:
                raise RecordError("topic", f"unknown topic {record.topic!r}")
        except RecordError as exc:
            summary.rejected.append(Rejection(record.where, exc.field, exc.problem))
            continue
        seen[record.external_id] = record.where
        record.topic = record.topic or rules.assign(_hints(record))
        valid.append(record)
    return valid


def _file_order(rejection: Rejection) -> list[int | str]:
    """Sort 'file:10' after 'file:9': compare the digit runs of the location as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", rejection.where)]


def _hints(record: QuestionRecord) -> TopicHints:
    return TopicHints(
        source=record.source,
        focus=record.focus,
        focus_category=record.focus_category,
        semantic_types=tuple(record.semantic_types),
        title=record.title,
        synonyms=tuple(record.synonyms),
    )


def _unknown_sources(conn: Connection, records: list[QuestionRecord]) -> list[SourceRecord]:
    """Sources named by records but never declared get a plain entry named after their key."""
    known = set(conn.scalars(select(Source.key)))
    keys = sorted({r.source for r in records} - known)
    return [SourceRecord(key=k, name=k) for k in keys]


def _upsert(
    conn: Connection,
    records: list[QuestionRecord],
    known: dict[str, tuple[int, str]],
    topic_ids: dict[str, int],
    source_ids: dict[str, int],
    summary: ImportSummary,
) -> None:
    now = datetime.now(UTC)
    new: list[tuple[QuestionRecord, str]] = []
    changed: list[tuple[QuestionRecord, str, int]] = []
    for record in records:
        digest = record.content_hash()
        if record.external_id not in known:
            new.append((record, digest))
        elif known[record.external_id][1] != digest:
            changed.append((record, digest, known[record.external_id][0]))
    summary.unchanged = len(records) - len(new) - len(changed)
    with progress(f"writing {summary.label}", total=len(new) + len(changed)) as advance:
        for start in range(0, len(new), BATCH):
            chunk = new[start : start + BATCH]
            rows = [_row(r, d, topic_ids, source_ids, now) | _created(r, now) for r, d in chunk]
            ids = conn.scalars(
                insert(Question).returning(Question.id, sort_by_parameter_order=True), rows
            ).all()
            _insert_answers(conn, [(r, i) for (r, _), i in zip(chunk, ids, strict=True)], now)
            advance(len(chunk))
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            _update(conn, batch, topic_ids, source_ids, now)
            advance(len(batch))
    summary.added, summary.updated = len(new), len(changed)


def _update(
    conn: Connection,
    batch: list[tuple[QuestionRecord, str, int]],
    topic_ids: dict[str, int],
    source_ids: dict[str, int],
    now: datetime,
) -> None:
    for record, digest, id_ in batch:
        values = _row(record, digest, topic_ids, source_ids, now)
        if record.created is not None:
            values["created_at"] = record.created
        conn.execute(update(Question).where(Question.id == id_).values(**values))
    ids = [id_ for _, _, id_ in batch]
    conn.execute(delete(Answer).where(Answer.question_id.in_(ids)))
    _insert_answers(conn, [(record, id_) for record, _, id_ in batch], now)


def _row(
    r: QuestionRecord,
    digest: str,
    topic_ids: dict[str, int],
    source_ids: dict[str, int],
    now: datetime,
) -> dict[str, Any]:
    assert r.topic is not None  # resolved in _validate
    return {
        "external_id": r.external_id,
        "title": r.title,
        "display_title": shown_title(
            r.title, r.focus, r.synonyms, r.semantic_types, r.focus_category
        ),
        "body": r.body,
        "focus": r.focus,
        "focus_category": r.focus_category,
        "synonyms": r.synonyms,
        "cuis": r.cuis,
        "semantic_types": r.semantic_types,
        "semantic_group": r.semantic_group,
        "annotations": r.annotations,
        "question_type": r.question_type,
        "topic_id": topic_ids[r.topic],
        "source_id": source_ids[r.source],
        "document_id": r.document_id,
        "source_url": r.source_url,
        "language": r.language,
        "status": r.status,
        "content_hash": digest,
        "updated_at": now,
    }


def shown_title(
    title: str,
    focus: str = "",
    synonyms: Sequence[str] = (),
    semantic_types: Sequence[str] = (),
    category: str | None = None,
) -> str:
    """The display title stored beside `title` (ingest/titles.py); the title itself in the rare
    case that the display one would not fit its column."""
    shown = display_title(
        title, focus, synonyms=synonyms, semantic_types=semantic_types, category=category
    )
    return shown if len(shown) <= MAX_CHARS else title


def fill_display_titles(engine: Engine, batch: int = BATCH) -> int:
    """Give every question without a display title its display title, `batch` questions a
    transaction; returns how many. For a base from before display titles (or one whose column a
    change of the rules emptied): run by `healthqa.kb.open_kb`, cheap when none is missing, and
    safe to run twice or from two processes at once (the same rows get the same titles)."""
    missing = Question.display_title.is_(None)
    with engine.connect() as conn:
        total = conn.scalar(select(func.count(Question.id)).where(missing)) or 0
    if not total:
        return 0
    named = (Question.title, Question.focus, Question.synonyms, Question.semantic_types)
    columns = (Question.id, *named, Question.focus_category)
    change = update(Question).where(Question.id == bindparam("qid"))
    done, after = 0, 0
    with progress("display titles", total=total) as advance:
        while True:
            with engine.begin() as conn:
                rows = conn.execute(
                    select(*columns)
                    .where(missing, Question.id > after)
                    .order_by(Question.id)
                    .limit(batch)
                ).all()
                if not rows:
                    return done
                titles = [
                    {
                        "qid": r[0],
                        "shown": shown_title(r[1], r[2] or "", r[3] or (), r[4] or (), r[5]),
                    }
                    for r in rows
                ]
                conn.execute(change.values(display_title=bindparam("shown")), titles)
            after, done = rows[-1][0], done + len(rows)
            advance(len(rows))


def _created(record: QuestionRecord, now: datetime) -> dict[str, datetime]:
    return {"created_at": record.created or now}


def _insert_answers(
    conn: Connection, pairs: list[tuple[QuestionRecord, int]], now: datetime
) -> None:
    rows = [
        {
            "question_id": question_id,
            "position": position,
            "body": a.body,
            "author": a.author,
            "author_role": a.author_role,
            "source_url": a.source_url,
            "created_at": a.created or record.created or now,
        }
        for record, question_id in pairs
        for position, a in enumerate(record.answers)
    ]
    if rows:
        conn.execute(insert(Answer), rows)
