"""TREC run output, the format every IR toolkit reads: `qid Q0 docid rank score tag` lines."""

from __future__ import annotations

from healthqa.search.ask import AskResult


def trec_lines(qid: str, result: AskResult, tag: str) -> list[str]:
    """`qid Q0 docid rank score tag` lines, docid = the question's external id."""
    return [
        f"{qid} Q0 {m.id} {rank} {m.ranking:.6f} {tag}\n"
        for rank, m in enumerate(result.matches, 1)
    ]
