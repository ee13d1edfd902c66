"""The evaluation of asking in other languages: the same 329 MedQuAD questions asked by blind
authors in English, Spanish and Chinese (healthqa/search/data/languages, who wrote what in its
README), each ranked over the whole knowledge base; a message finds its question when the
question it was written from, or one of the same title and focus from another source, comes up.
Reported per language: R@1 and MRR@10.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from healthqa.search.documents import SearchDoc

DATA = Path(__file__).with_name("data") / "languages"
LANGUAGES = ("en", "es", "zh")
SPLITS = ("dev", "test", "all")
K = 10

Ranker = Callable[[str], Sequence[str]]  # a message -> external ids, best first


class LanguageSetError(Exception):
    """The language set's files are missing, malformed or changed since they were frozen."""


@dataclass(frozen=True)
class Asked:
    key: str
    external_id: str  # the MedQuAD question the message was written from
    split: str
    language: str
    text: str


@dataclass(frozen=True)
class Score:
    language: str
    messages: int
    found: int  # messages whose question is in the index at all
    r_at_1: float
    mrr: float


def read_set(split: str = "test", folder: Path = DATA) -> list[Asked]:
    """The messages of `split` ("dev", "test" or "all") in every language, checksums checked."""
    if split not in SPLITS:
        raise LanguageSetError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    _check_sums(folder)
    items = {row["key"]: row for row in _rows(folder / "items.jsonl")}
    asked = []
    for language in LANGUAGES:
        path = folder / f"{language}.jsonl"
        for number, row in enumerate(_rows(path), 1):
            item = items.get(row.get("key", ""))
            if item is None or not str(row.get("text", "")).strip():
                raise LanguageSetError(f"{path} line {number}: unknown key or empty text")
            if split in ("all", item["split"]):
                asked.append(
                    Asked(row["key"], item["external_id"], item["split"], language, row["text"])
                )
    return asked


def relevant(docs: Mapping[int, SearchDoc], external_ids: set[str]) -> dict[str, set[str]]:
    """For each question, the searchable questions asking the same: itself and those of the
    same title and focus (MedQuAD repeats a question across sources)."""
    by_key: dict[tuple[str, str], set[str]] = {}
    keys: dict[str, tuple[str, str]] = {}
    for doc in docs.values():
        key = (doc.display_title.lower(), doc.focus.lower())
        by_key.setdefault(key, set()).add(doc.external_id)
        if doc.external_id in external_ids:
            keys[doc.external_id] = key
    return {e: by_key[keys[e]] for e in external_ids if e in keys}


def score(asked: Sequence[Asked], rank: Ranker, wanted: dict[str, set[str]]) -> list[Score]:
    """R@1 and MRR@10 of `rank` per language over `asked` (a message whose question is not in
    the index counts as a miss: `found` says how many were)."""
    scores = []
    for language in LANGUAGES:
        mine = [a for a in asked if a.language == language]
        if not mine:
            continue
        ranks = [_rank(rank(a.text), wanted.get(a.external_id, set())) for a in mine]
        reciprocal = [1 / r if r else 0.0 for r in ranks]
        found = sum(a.external_id in wanted for a in mine)
        hits = sum(r == 1 for r in ranks)
        scores.append(
            Score(language, len(mine), found, hits / len(mine), sum(reciprocal) / len(mine))
        )
    return scores


def _rank(ranked: Sequence[str], wanted: set[str]) -> int:
    """The 1-based rank of the first wanted id in the top K, 0 when none is there."""
    return next((n for n, e in enumerate(ranked[:K], 1) if e in wanted), 0)


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise LanguageSetError(f"{path}: cannot read: {error.strerror}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise LanguageSetError(f"{path} line {number}: not JSON: {error.msg}") from None
    return rows


def _check_sums(folder: Path) -> None:
    """The files are the frozen ones (SHA256SUMS): a test split edited after tuning began
    would no longer measure anything."""
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        actual = hashlib.sha256((folder / name.strip()).read_bytes()).hexdigest()
        if actual != digest:
            raise LanguageSetError(f"{folder / name.strip()}: changed since it was frozen")
