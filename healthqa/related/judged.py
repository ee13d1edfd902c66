"""Re-scoring Related lists against the blind-judged sample (data/judged.jsonl).

The sample holds (article, item) pairs that judges who never saw the code labelled `related`,
`loose` or `off-topic` (data/README.md says who, how and when). `rescore` computes today's
lists for the sample's articles and counts the labels of what they list. Items nobody has
judged yet are counted apart and can be written out (`unjudged_cards`) for the next blind round:
a share over judged items only says nothing about the rest.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from healthqa.related.lists import RelatedItem, related
from healthqa.search.documents import SearchDoc
from healthqa.search.index import SearchIndex

SAMPLE = Path(__file__).with_name("data") / "judged.jsonl"
Label = Literal["related", "loose", "off-topic"]
LABELS: tuple[Label, ...] = ("related", "loose", "off-topic")
CARD_CHARS = 300


class SampleError(Exception):
    """The judged sample cannot be read: the message names the file, line and field."""


@dataclass(frozen=True)
class Judgement:
    article: str  # external ids
    item: str
    label: Label
    judge: str
    note: str


@dataclass
class Score:
    """What today's lists for the sample's articles list, by judged label and by reason."""

    articles: int = 0
    missing_articles: list[str] = field(default_factory=list)  # no longer in the base
    labels: Counter[str] = field(default_factory=Counter)
    by_reason: dict[str, Counter[str]] = field(default_factory=dict)
    unjudged: list[tuple[str, str]] = field(default_factory=list)  # (article, item)
    short_lists: int = 0  # fewer than 6 items

    @property
    def judged(self) -> int:
        return sum(self.labels.values())

    def share(self, label: str) -> float:
        return self.labels[label] / self.judged if self.judged else 0.0


def read_sample(path: Path = SAMPLE) -> list[Judgement]:
    found = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SampleError(f"{path}: cannot read: {error.strerror}") from error
    for number, line in enumerate(lines, 1):
        if line.strip():
            found.append(_judgement(path, number, line))
    return found


def rescore(index: SearchIndex, sample: Iterable[Judgement], k: int = 10) -> Score:
    """Today's lists for the sample's articles against the first judgement of each pair."""
    labels: dict[tuple[str, str], Label] = {}
    for j in sample:
        labels.setdefault((j.article, j.item), j.label)
    ids = {d.external_id: d.id for d in index.docs.values()}
    score = Score()
    for article in sorted({a for a, _ in labels}):
        if article not in ids:
            score.missing_articles.append(article)
            continue
        score.articles += 1
        items = related(index, ids[article], k)
        score.short_lists += len(items) < 6
        for item in items:
            _count(score, labels.get((article, item.id)), article, item)
    return score


def agreement(sample: Iterable[Judgement]) -> tuple[int, int]:
    """(pairs two judges agree on, pairs judged twice)."""
    by_pair: dict[tuple[str, str], list[str]] = {}
    for j in sample:
        by_pair.setdefault((j.article, j.item), []).append(j.label)
    twice = [labels for labels in by_pair.values() if len(labels) > 1]
    return sum(labels[0] == labels[1] for labels in twice), len(twice)


def unjudged_cards(index: SearchIndex, pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """What a judge sees of each pair: titles, foci, sources, the start of the answers; never
    why the pair was listed."""
    docs = {d.external_id: d for d in index.docs.values()}
    return [
        {"article_id": a, "item_id": i, "article": _card(docs[a]), "item": _card(docs[i])}
        for a, i in pairs
    ]


def _count(score: Score, label: Label | None, article: str, item: RelatedItem) -> None:
    if label is None:
        score.unjudged.append((article, item.id))
        return
    score.labels[label] += 1
    score.by_reason.setdefault(item.reason, Counter())[label] += 1


def _card(doc: SearchDoc) -> dict[str, str]:
    answer = doc.answer.strip()[:CARD_CHARS]
    return {
        "title": doc.display_title,
        "focus": doc.focus,
        "source": doc.source_name,
        "answer_start": answer or "(no answer text: the source's text was removed for copyright)",
    }


def _judgement(path: Path, number: int, line: str) -> Judgement:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise SampleError(f"{path}, line {number}: not JSON: {error.msg}") from error
    if not isinstance(record, dict):
        raise SampleError(f"{path}, line {number}: not a JSON object")
    for name in ("article", "item", "label", "judge"):
        if not isinstance(record.get(name), str) or not record[name]:
            raise SampleError(f"{path}, line {number}, field {name!r}: missing or not text")
    if record["label"] not in LABELS:
        raise SampleError(
            f"{path}, line {number}, field 'label': {record['label']!r} is not one of {LABELS}"
        )
    return Judgement(
        record["article"], record["item"], record["label"], record["judge"], record.get("note", "")
    )
