"""The demo corpus: original questions and answers written by the healthqa team (see README.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from healthqa.ingest.jsonl import import_jsonl
from healthqa.ingest.topics import TopicRules
from healthqa.ingest.write import ImportSummary

CORPUS = Path(__file__).with_name("corpus.jsonl")


def import_demo(engine: Engine, rules: TopicRules | None = None) -> ImportSummary:
    """Import the demo corpus; `rules` assign the topics (default: the configured ones)."""
    return import_jsonl(engine, CORPUS, strict=True, label="demo corpus", rules=rules)
