"""The knowledge base tables: sources, topics, questions and their answers.

Every schema change goes through an Alembic migration in `store/migrations/versions`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always read back with its UTC offset: SQLite keeps no time zone, and a
    naive time in an API answer is not a valid RFC 3339 date-time. Stored as DateTime(timezone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Source(Base):
    """Where content comes from; its attribution is shown next to each of its answers."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    licence: Mapped[str | None] = mapped_column(String(200))
    attribution: Mapped[str | None] = mapped_column(Text)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Question(Base):
    """One question; `external_id` is the stable id importers upsert by."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_topic_id_id", "topic_id", "id"),
        Index("ix_questions_document", "source_id", "document_id"),
        # what the search index catches up with: the published questions updated since
        Index("ix_questions_status_updated", "status", "updated_at"),
        # the search index's watermark (the latest update), read every second per worker
        Index("ix_questions_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    # The title as pages show it (healthqa/ingest/titles.py); `title` stays as the source wrote
    # it. NULL until computed: imports fill it, and open_kb fills rows from before it existed.
    display_title: Mapped[str | None] = mapped_column(String(600))
    body: Mapped[str] = mapped_column(Text, default="")
    focus: Mapped[str] = mapped_column(String(300), default="")
    focus_category: Mapped[str | None] = mapped_column(String(50))
    synonyms: Mapped[list[str]] = mapped_column(default=list)
    cuis: Mapped[list[str]] = mapped_column(default=list)
    semantic_types: Mapped[list[str]] = mapped_column(default=list)
    semantic_group: Mapped[str | None] = mapped_column(String(100))
    # Source-specific annotations without a column of their own (e.g. LiveQA sub-questions).
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    question_type: Mapped[str | None] = mapped_column(String(100), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    document_id: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(10), default="en")
    # published; pending (waiting for a moderator), open (approved, waiting for an expert),
    # rejected or hidden. Only published questions are shown or searched.
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # no new answers or edits
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic: Mapped[Topic] = relationship()
    source: Mapped[Source] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question", order_by="Answer.position", cascade="all, delete-orphan"
    )


class QuestionDeletion(Base):
    """A question deleted outright, recorded by a trigger on `questions` (migration 0013): the
    search index of every worker learns of it from the last `seq` it saw, not by comparing
    every id."""

    __tablename__ = "question_deletions"

    seq: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int]  # no foreign key: the question is gone


class Answer(Base):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    author_role: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Answers written on the site: by an expert's account, in Markdown, published or held
    # (pending) by the spam check, or hidden by a moderator. Imported answers are plain text.
    status: Mapped[str] = mapped_column(String(20), default="published")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    format: Mapped[str] = mapped_column(String(20), default="text")
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    question: Mapped[Question] = relationship(back_populates="answers")


class Embedding(Base):
    """Sentence embeddings cached by content: sha256 of the model name and the exact text.

    Unchanged text is never embedded twice, whichever question it belongs to.
    """

    __tablename__ = "embeddings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian


class User(Base):
    """An account. Asking never needs one; experts, moderators and admins have one."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpertProfile(Base):
    """An expert's credentials; only a moderator's verification lets them answer."""

    __tablename__ = "expert_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(200))
    speciality: Mapped[str] = mapped_column(String(200))
    licence: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(100))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInSession(Base):
    """A signed-in browser. Only a hash of the cookie's token is kept."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmailToken(Base):
    """A one-time link sent by mail (finish sign-up, reset a password); hash only."""

    __tablename__ = "email_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    purpose: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(320), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A token for programs, limited to some scopes (read, ask, answer, moderate)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Submission(Base):
    """A question a person sent on the site: its private link (hash only), who may follow it,
    and what the checks found. Never shown on a public page."""

    __tablename__ = "submissions"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(320))  # only for the answer notice
    triage_level: Mapped[str] = mapped_column(String(20), default="routine")
    spam_score: Mapped[float] = mapped_column(default=0.0)
    checks: Mapped[dict[str, Any]] = mapped_column(default=dict)  # reasons, masked kinds
    reason: Mapped[str | None] = mapped_column(Text)  # why a moderator rejected it
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnswerRevision(Base):
    """An earlier text of an edited answer."""

    __tablename__ = "answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Endorsement(Base):
    __tablename__ = "endorsements"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(Base):
    """Someone's report that a question or answer is spam, unsafe, personal or otherwise wrong."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(20))  # "question" or "answer"
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolution: Mapped[str | None] = mapped_column(String(200))


class AuditEntry(Base):
    """One moderation or administration action; admins read the log."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(320))  # email, or "asker", "system"
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")


class RateEvent(Base):
    """One counted action (a question sent, a failed sign-in) for rate limits shared by every
    worker process; old rows are pruned as limits are checked."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SiteKey(Base):
    """Secrets the site makes for itself on first use (e.g. the key that hashes addresses)."""

    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class RelatedList(Base):
    """That a question's Related list was computed, when, and by which version of the rules
    (healthqa.related.stored): a list older than its question, or of another version, is made
    again. Its items are in `related_items`; an empty list has none."""

    __tablename__ = "related_lists"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[str] = mapped_column(String(20))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RelatedEntry(Base):
    """One item of a stored Related list, in its place; why it is listed, and the snippet the
    page shows under it."""

    __tablename__ = "related_items"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("related_lists.question_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(30))
    why: Mapped[str] = mapped_column(String(400))
    snippet: Mapped[str] = mapped_column(String(200))


class ReadingCount(Base):
    """How often a question was read, and opened from the ask page, on one day (UTC): every
    worker adds its batch to these rows (healthqa.store.counts). Nothing about who read."""

    __tablename__ = "reading_counts"
    __table_args__ = (Index("ix_reading_counts_day", "day"),)

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    asks: Mapped[int] = mapped_column(Integer, default=0)


class QuestionTriage(Base):
    """The triage of a stored question's own words, kept so that its page does not run the
    model on every first view. `key` digests the text and the triage version: a row whose key
    differs from the one its question has now is out of date, and is made again."""

    __tablename__ = "question_triage"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # Triage.to_dict(), no advice


class ReadingGrade(Base):
    """An answer text's reading grade, kept so that a page shown for the first time in a
    worker does not grade its answers (2-4 ms each). `key` digests the text and the grading
    rules (healthqa.reading.key); `grade` is None for a text too short to grade."""

    __tablename__ = "reading_grades"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    grade: Mapped[float | None] = mapped_column()
