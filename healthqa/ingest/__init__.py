"""Importers: each reads one format into records; `write` stores them all the same way."""

from healthqa.formats.liveqa import LiveQAError
from healthqa.ingest.demo import import_demo
from healthqa.ingest.jsonl import JSONLError, export_jsonl, import_jsonl
from healthqa.ingest.liveqa import import_liveqa
from healthqa.ingest.medquad import MedQuADError, import_medquad
from healthqa.ingest.records import Rejection
from healthqa.ingest.write import ImportRejected, ImportSummary

__all__ = [
    "ImportRejected",
    "ImportSummary",
    "JSONLError",
    "LiveQAError",
    "MedQuADError",
    "Rejection",
    "export_jsonl",
    "import_demo",
    "import_jsonl",
    "import_liveqa",
    "import_medquad",
]
