"""Batch runs in the format every IR toolkit reads: queries `qid<TAB>text` in, TREC run out."""

from __future__ import annotations

from pathlib import Path

from healthqa.search.ask import AskResult


class BatchError(ValueError):
    """A queries file cannot be used; the message names the file and line."""


def read_queries(path: Path) -> list[tuple[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read queries ({exc})") from exc
    queries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        qid, sep, text = line.partition("\t")
        if not sep or not qid.strip() or not text.strip():
            raise BatchError(f"{path}:{number}: expected 'qid<TAB>text'")
        if any(c.isspace() for c in qid.strip()):
            raise BatchError(f"{path}:{number}: the qid {qid!r} contains spaces")
        queries.append((qid.strip(), text))
    if not queries:
        raise BatchError(f"{path}: no queries")
    return queries


def trec_lines(qid: str, result: AskResult, tag: str) -> list[str]:
    """`qid Q0 docid rank score tag` lines, docid = the question's external id."""
    return [
        f"{qid} Q0 {m.id} {rank} {m.score:.6f} {tag}\n" for rank, m in enumerate(result.matches, 1)
    ]
