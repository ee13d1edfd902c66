"""The questions as the search indexes see them, and how to tell when the base has changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, select

from healthqa.store.models import Answer, Question, Source, Topic

ANSWER_CHARS = 2_000  # the start of the first answer is enough to match on; keeps indexes small
SEARCHABLE = "published"


@dataclass(frozen=True)
class SearchDoc:
    """One searchable question with what ranking and result cards need."""

    id: int
    external_id: str
    title: str  # as the source wrote it: what the indexes read
    display_title: str  # as pages show it (ingest/titles.py)
    body: str
    focus: str
    synonyms: tuple[str, ...]
    question_type: str | None
    topic: str
    source: str
    source_name: str
    source_url: str | None
    answer: str
    cuis: tuple[str, ...] = ()  # UMLS concepts of the focus (MedQuAD), for related lists
    semantic_group: str | None = None

    @property
    def embed_text(self) -> str:
        """What the semantic index embeds: the question, with the asker's words if any."""
        return f"{self.title} {self.body[:500]}".strip() if self.body else self.title


@dataclass(frozen=True)
class Watermark:
    """A cheap summary of the searchable base: when it differs, the indexes catch up."""

    count: int
    last_update: datetime | None


def watermark(engine: Engine) -> Watermark:
    with engine.connect() as conn:
        row = conn.execute(
            select(func.count(Question.id), func.max(Question.updated_at)).where(
                Question.status == SEARCHABLE
            )
        ).one()
    return Watermark(row[0], row[1])


def searchable_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Question.id).where(Question.status == SEARCHABLE)))


def load_docs(
    engine: Engine, *, ids: Sequence[int] | None = None, since: datetime | None = None
) -> list[SearchDoc]:
    """Searchable questions (all, or those with `ids`, or updated after `since`)."""
    first_answer = and_(
        Answer.question_id == Question.id, Answer.position == 0, Answer.status == "published"
    )
    query = (
        select(
            Question.id,
            Question.external_id,
            Question.title,
            func.coalesce(Question.display_title, Question.title),
            Question.body,
            Question.focus,
            Question.synonyms,
            Question.question_type,
            Topic.slug,
            Source.key,
            Source.name,
            Question.source_url,
            func.substr(Answer.body, 1, ANSWER_CHARS),
            Question.cuis,
            Question.semantic_group,
        )
        .join(Topic, Topic.id == Question.topic_id)
        .join(Source, Source.id == Question.source_id)
        .outerjoin(Answer, first_answer)
        .where(Question.status == SEARCHABLE)
        .order_by(Question.id)
    )
    if ids is not None:
        query = query.where(Question.id.in_(list(ids)))
    if since is not None:
        query = query.where(Question.updated_at > since)
    with engine.connect() as conn:
        return [
            SearchDoc(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4] or "",
                r[5] or "",
                tuple(r[6] or ()),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12] or "",
                tuple(r[13] or ()),
                r[14],
            )
            for r in conn.execute(query)
        ]
