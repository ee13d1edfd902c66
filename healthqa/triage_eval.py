"""Evaluate healthqa.triage on the labelled message set, and run it over LiveQA questions.

The labelled set (`triage_messages.tsv`) has columns `id level kind text split`: `kind` says what
the message exercises (emergency, urgent, routine, negation, informational, third-person,
misspelling, past) and `split` holds out a random third as "test". `evaluate()` reports
precision, recall and F1 per level, the confusion matrix, the share of routine informational
questions flagged emergency and the misclassified messages, for dev, test and all together.

`liveqa_flags()` lists the TREC 2017 LiveQA medical questions that triage flags, for review.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healthqa.triage import Level, RedFlag, RuleSet, triage

MESSAGES_PATH = Path(__file__).with_name("triage_messages.tsv")
KINDS = (
    "emergency",
    "urgent",
    "routine",
    "negation",
    "informational",
    "third-person",
    "misspelling",
    "past",
)
SPLITS = ("dev", "test")
LEVELS = (Level.EMERGENCY, Level.URGENT, Level.ROUTINE)

# The quality gate the issue sets (asserted in tests/test_triage.py on every split).
EMERGENCY_RECALL_TARGET = 0.95
EMERGENCY_PRECISION_TARGET = 0.80
INFORMATIONAL_EMERGENCY_MAX = 0.05


class EvalSetError(ValueError):
    """The labelled set has a malformed line (the message names the file and line)."""


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    level: Level
    kind: str
    text: str
    split: str


@dataclass(frozen=True)
class LevelScore:
    level: Level
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Miss:
    """A message whose predicted level differs from its label."""

    id: str
    kind: str
    expected: Level
    got: Level
    flags: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class SplitReport:
    """Scores on one part of the set ("dev", "test" or "all")."""

    name: str
    size: int
    accuracy: float
    scores: tuple[LevelScore, ...]
    confusion: dict[Level, dict[Level, int]]
    informational_flagged_emergency: float
    misses: tuple[Miss, ...]

    def score(self, level: Level) -> LevelScore:
        return next(score for score in self.scores if score.level is level)

    def target_failures(self) -> list[str]:
        """The issue's targets this part misses (an empty list means it meets them)."""
        emergency = self.score(Level.EMERGENCY)
        checks = [
            (emergency.recall >= EMERGENCY_RECALL_TARGET, "emergency recall", emergency.recall),
            (
                emergency.precision >= EMERGENCY_PRECISION_TARGET,
                "emergency precision",
                emergency.precision,
            ),
            (
                self.informational_flagged_emergency <= INFORMATIONAL_EMERGENCY_MAX,
                "informational flagged emergency",
                self.informational_flagged_emergency,
            ),
        ]
        return [f"{self.name}: {name} {value:.3f}" for ok, name, value in checks if not ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "accuracy": self.accuracy,
            "levels": {
                s.level.value: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                }
                for s in self.scores
            },
            "confusion": {
                e.value: {g.value: n for g, n in row.items()} for e, row in self.confusion.items()
            },
            "informational_flagged_emergency": self.informational_flagged_emergency,
            "misses": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "expected": m.expected.value,
                    "got": m.got.value,
                    "flags": list(m.flags),
                    "text": m.text,
                }
                for m in self.misses
            ],
        }


@dataclass(frozen=True)
class EvalReport:
    path: Path
    parts: dict[str, SplitReport]

    def target_failures(self) -> list[str]:
        return [failure for part in self.parts.values() for failure in part.target_failures()]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "parts": {k: v.to_dict() for k, v in self.parts.items()}}


def load_messages(path: str | Path | None = None) -> list[LabelledMessage]:
    """Read the labelled set; `#` lines and the header are skipped."""
    source = Path(path) if path is not None else MESSAGES_PATH
    messages: list[LabelledMessage] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#") or line.startswith("id\t"):
            continue
        messages.append(_parse_line(line, f"{source} line {number}"))
    return messages


def _parse_line(line: str, where: str) -> LabelledMessage:
    fields = line.split("\t")
    if len(fields) not in (4, 5):
        raise EvalSetError(f"{where}: expected id, level, kind, text[, split] separated by tabs")
    message_id, level, kind, text = fields[:4]
    split = fields[4] if len(fields) == 5 else "dev"
    if level not in {lv.value for lv in Level}:
        raise EvalSetError(f"{where}: unknown level {level!r}")
    if kind not in KINDS:
        raise EvalSetError(f"{where}: unknown kind {kind!r}")
    if split not in SPLITS:
        raise EvalSetError(f"{where}: unknown split {split!r}")
    return LabelledMessage(message_id, Level(level), kind, text, split)


def evaluate(path: str | Path | None = None, rules: RuleSet | None = None) -> EvalReport:
    """Triage every labelled message and score the predictions per split and overall."""
    messages = load_messages(path)
    results = [(m, triage(m.text, rules=rules)) for m in messages]
    predicted = [(m, r.level, tuple(f.rule for f in r.flags)) for m, r in results]
    parts = {
        name: score_split(name, [p for p in predicted if name == "all" or p[0].split == name])
        for name in (*SPLITS, "all")
    }
    return EvalReport(Path(path) if path is not None else MESSAGES_PATH, parts)


Prediction = tuple[LabelledMessage, Level, tuple[str, ...]]


def score_split(name: str, predictions: Sequence[Prediction]) -> SplitReport:
    """Precision, recall, F1 per level, the confusion matrix and the misses of one split."""
    confusion = {e: {g: 0 for g in LEVELS} for e in LEVELS}
    for message, got, _ in predictions:
        confusion[message.level][got] += 1
    scores = tuple(_level_score(level, confusion) for level in LEVELS)
    correct = sum(confusion[level][level] for level in LEVELS)
    informational = [
        got for m, got, _ in predictions if m.kind == "informational" and m.level is Level.ROUTINE
    ]
    misses = tuple(
        Miss(m.id, m.kind, m.level, got, flags, m.text)
        for m, got, flags in predictions
        if got is not m.level
    )
    return SplitReport(
        name=name,
        size=len(predictions),
        accuracy=_ratio(correct, len(predictions)),
        scores=scores,
        confusion=confusion,
        informational_flagged_emergency=_ratio(
            sum(got is Level.EMERGENCY for got in informational), len(informational)
        ),
        misses=misses,
    )


def _level_score(level: Level, confusion: dict[Level, dict[Level, int]]) -> LevelScore:
    true_positive = confusion[level][level]
    predicted = sum(row[level] for row in confusion.values())
    actual = sum(confusion[level].values())
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, actual)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return LevelScore(level, precision, recall, f1, actual)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


# --- LiveQA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveQAQuestion:
    id: str
    source: str
    text: str


@dataclass(frozen=True)
class LiveQAFlag:
    """A LiveQA question that triage flags urgent or emergency."""

    id: str
    source: str
    level: Level
    flags: tuple[RedFlag, ...]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "level": self.level.value,
            "flags": [f.rule for f in self.flags],
            "matched": [list(f.matched) for f in self.flags],
            "text": self.text,
        }


def liveqa_questions(data_dir: str | Path) -> list[LiveQAQuestion]:
    """Every `<NLM-QUESTION>` of the LiveQA XML files in `data_dir`, as subject + message.

    File 1 names the id `questionid`, file 2 `qid` (and starts with a UTF-8 byte-order mark,
    which the XML parser accepts).
    """
    folder = Path(data_dir)
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise FileNotFoundError(f"{folder}: no LiveQA XML files")
    return [question for path in files for question in _read_liveqa(path)]


def _read_liveqa(path: Path) -> Iterable[LiveQAQuestion]:
    root = ElementTree.parse(path).getroot()
    for element in root.iter("NLM-QUESTION"):
        qid = element.get("questionid") or element.get("qid") or ""
        subject = (element.findtext("SUBJECT") or "").strip()
        message = (element.findtext("MESSAGE") or "").strip()
        text = f"{subject}. {message}" if subject else message
        yield LiveQAQuestion(qid, path.name, text)


def liveqa_flags(data_dir: str | Path, rules: RuleSet | None = None) -> list[LiveQAFlag]:
    """The LiveQA questions that triage flags urgent or emergency, emergencies first."""
    flagged = []
    for question in liveqa_questions(data_dir):
        result = triage(question.text, rules=rules)
        if result.level is not Level.ROUTINE:
            flagged.append(
                LiveQAFlag(question.id, question.source, result.level, result.flags, question.text)
            )
    return sorted(flagged, key=lambda f: -f.level.rank)
