"""The knowledge base tables: sources, topics, questions and their answers.

Every schema change goes through an Alembic migration in `store/migrations/versions`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
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
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    topic: Mapped[Topic] = relationship()
    source: Mapped[Source] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question", order_by="Answer.position", cascade="all, delete-orphan"
    )


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
