"""The knowledge base's storage: SQLite by default, PostgreSQL alike."""

from healthqa.store.db import DatabaseURLError, connect, is_initialised, migrate, session_scope
from healthqa.store.queries import QuestionNotFound, Stats, get_question, list_questions, stats

__all__ = [
    "DatabaseURLError",
    "QuestionNotFound",
    "Stats",
    "connect",
    "get_question",
    "is_initialised",
    "list_questions",
    "migrate",
    "session_scope",
    "stats",
]
