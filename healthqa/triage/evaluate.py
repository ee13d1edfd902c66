"""How well triage does on messages it was not written for, by level and by family.

Three labelled sets (their origins are in `data/README.md`):

- the **blind set** (`data/blind_dev.jsonl`, `data/blind_test.jsonl`): messages written by
  authors who never saw the rules, briefed with guideline sections and a style brief only; the
  test half is frozen (`data/SHA256SUMS`) and is read only to report, never to tune;
- a **second blind test** (`data/blind_test2.jsonl`), written by six new authors from the same
  brief after the first test had been scored once, frozen the same way;
- **LiveQA** (`data/liveqa_labels.tsv`): the 446 TREC 2017 LiveQA medical training questions,
  labelled by a reader who never saw the rules; the messages stay in `../shared/data`;
- the **team set** (`data/team_messages.tsv`): the 380 messages written with the first rules,
  kept as a regression set; it cannot tell how good triage is;
- the **Spanish and Chinese blind sets** (`data/languages/`): messages written in those languages
  by two authors who never saw the code, split into a dev half (read while writing the rules)
  and a frozen test half (`data/languages/SHA256SUMS`), scored with their own targets.

`evaluate()` scores one set against the issue's targets: emergency recall, urgent-or-higher on
urgent messages, and routine messages flagged emergency or urgent-or-higher.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthqa.formats.liveqa import LiveQAError, read_questions
from healthqa.triage.result import Level, RedFlag, Triage

DATA = Path(__file__).with_name("data")
BLIND_SPLITS = {
    "dev": DATA / "blind_dev.jsonl",
    "test": DATA / "blind_test.jsonl",
    "test2": DATA / "blind_test2.jsonl",
}
LANGUAGE_SPLITS = {
    f"{code}_{half}": DATA / "languages" / f"{code}_{half}.jsonl"
    for code in ("es", "zh")
    for half in ("dev", "test")
}
LIVEQA_LABELS = DATA / "liveqa_labels.tsv"
TEAM_SET = DATA / "team_messages.tsv"
LEVELS = (Level.EMERGENCY, Level.URGENT, Level.ROUTINE)
FAMILIES = (
    "self_harm poisoning mental_health child pregnancy sepsis heart_circulation brain_nerves "
    "breathing_allergy abdomen_urology injury_skin metabolic general"
).split()

# The targets on the frozen blind test (healthqa eval triage prints them met or missed).
TARGETS = {
    "emergency recall": (">=", 0.98),
    "urgent flagged urgent or higher": (">=", 0.90),
    "routine flagged emergency": ("<=", 0.03),
    "routine flagged urgent or higher": ("<=", 0.10),
}

# Triage in Spanish and Chinese has rules only (no learned model yet): its targets on dev were
# set lower than the English ones, in the brief that asked for it.
LANGUAGE_TARGETS = {
    "emergency recall": (">=", 0.90),
    "routine flagged emergency": ("<=", 0.15),
}

Triager = Callable[[str], Triage]


def is_test(name: str) -> bool:
    """A frozen test set ("test", "test2", "es_test"): its misses are never shown while tuning."""
    return name.startswith("test") or name.endswith("_test")


class EvalSetError(ValueError):
    """A labelled set is missing or has a malformed record (the message names file and line)."""


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    level: Level
    family: str
    text: str
    guideline: str = ""
    style: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One message's label and what triage said."""

    message: LabelledMessage
    got: Level
    flags: tuple[RedFlag, ...]

    @property
    def missed(self) -> bool:
        return self.got is not self.message.level


@dataclass(frozen=True)
class Scores:
    """The four target figures and the confusion matrix of a group of outcomes."""

    size: int
    confusion: dict[Level, dict[Level, int]]

    def share(self, label: Level, at_least: Level) -> float:
        row = self.confusion[label]
        total = sum(row.values())
        hits = sum(n for got, n in row.items() if got.rank >= at_least.rank)
        return hits / total if total else float("nan")

    def figures(self) -> dict[str, float]:
        return {
            "emergency recall": self.share(Level.EMERGENCY, Level.EMERGENCY),
            "urgent flagged urgent or higher": self.share(Level.URGENT, Level.URGENT),
            "routine flagged emergency": self.share(Level.ROUTINE, Level.EMERGENCY),
            "routine flagged urgent or higher": self.share(Level.ROUTINE, Level.URGENT),
        }

    def support(self, level: Level) -> int:
        return sum(self.confusion[level].values())


def score(outcomes: Iterable[Outcome]) -> Scores:
    confusion = {label: {got: 0 for got in LEVELS} for label in LEVELS}
    size = 0
    for outcome in outcomes:
        confusion[outcome.message.level][outcome.got] += 1
        size += 1
    return Scores(size, confusion)


@dataclass(frozen=True)
class Report:
    """One labelled set, triaged: overall scores, per family, and the misses."""

    name: str
    outcomes: tuple[Outcome, ...]
    targets: Mapping[str, tuple[str, float]] = field(default_factory=lambda: TARGETS)
    overall: Scores = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", score(self.outcomes))

    def families(self) -> dict[str, Scores]:
        names = sorted({o.message.family for o in self.outcomes})
        return {f: score(o for o in self.outcomes if o.message.family == f) for f in names}

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.missed]

    def target_failures(self) -> list[str]:
        failures = []
        for name, value in self.overall.figures().items():
            if name not in self.targets:
                continue
            sign, bound = self.targets[name]
            ok = value >= bound if sign == ">=" else value <= bound
            if not ok:
                failures.append(f"{self.name}: {name} {value:.3f} (target {sign} {bound})")
        return failures

    def to_dict(self, with_misses: bool = True) -> dict[str, Any]:
        def scores(s: Scores) -> dict[str, Any]:
            return {
                "size": s.size,
                "figures": s.figures(),
                "confusion": {
                    a.value: {b.value: n for b, n in r.items()} for a, r in s.confusion.items()
                },
            }

        out: dict[str, Any] = {
            "overall": scores(self.overall),
            "families": {name: scores(s) for name, s in self.families().items()},
        }
        if with_misses:
            out["misses"] = [
                {
                    "id": o.message.id,
                    "family": o.message.family,
                    "expected": o.message.level.value,
                    "got": o.got.value,
                    "flags": [f.rule for f in o.flags],
                    "text": o.message.text,
                }
                for o in self.misses()
            ]
        return out


def evaluate(
    name: str,
    messages: Sequence[LabelledMessage],
    triager: Triager,
    targets: Mapping[str, tuple[str, float]] = TARGETS,
) -> Report:
    """Triage every message and keep its outcome."""
    outcomes = []
    for message in messages:
        result = triager(message.text)
        outcomes.append(Outcome(message, result.level, result.flags))
    return Report(name, tuple(outcomes), targets)


# --- the labelled sets -----------------------------------------------------------------------


def load_blind(split: str, path: Path | None = None) -> list[LabelledMessage]:
    """The blind set's `dev` or `test` half: JSON lines with id, level, family, guideline,
    style and text."""
    source = path or BLIND_SPLITS.get(split) or LANGUAGE_SPLITS[split]
    messages = []
    for number, line in enumerate(_lines(source), 1):
        if line.strip():
            messages.append(_blind_record(line, f"{source} line {number}"))
    return messages


def _blind_record(line: str, where: str) -> LabelledMessage:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        raise EvalSetError(f"{where}: not JSON: {error.msg}") from None
    if not isinstance(raw, dict):
        raise EvalSetError(f"{where}: expected an object")
    for key in ("id", "level", "family", "text"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise EvalSetError(f"{where}: field {key!r}: missing or not text")
    if raw["level"] not in {level.value for level in LEVELS}:
        raise EvalSetError(f"{where}: field 'level': unknown level {raw['level']!r}")
    if raw["family"] not in FAMILIES:
        raise EvalSetError(f"{where}: field 'family': unknown family {raw['family']!r}")
    style = raw.get("style", [])
    return LabelledMessage(
        raw["id"],
        Level(raw["level"]),
        raw["family"],
        raw["text"],
        str(raw.get("guideline", "")),
        tuple(str(s) for s in style),
    )


def load_team(path: Path | None = None) -> list[LabelledMessage]:
    """The team's first set: `id level kind text split` lines (kind kept as the style)."""
    source = path or TEAM_SET
    messages = []
    for number, line in enumerate(_lines(source), 1):
        if not line.strip() or line.startswith("#") or line.startswith("id\t"):
            continue
        fields = line.split("\t")
        if len(fields) not in (4, 5) or fields[1] not in {lv.value for lv in LEVELS}:
            raise EvalSetError(f"{source} line {number}: expected id, level, kind, text[, split]")
        messages.append(
            LabelledMessage(fields[0], Level(fields[1]), "team", fields[3], "", (fields[2],))
        )
    return messages


def load_liveqa(data_dir: Path, labels: Path | None = None) -> list[LabelledMessage]:
    """The LiveQA questions of `data_dir` with the blind reader's levels from `labels`."""
    source = labels or LIVEQA_LABELS
    wanted: dict[tuple[str, str], tuple[Level, str, str]] = {}
    for number, line in enumerate(_lines(source), 1):
        fields = line.split("\t")
        if number == 1 or not line.strip():
            continue
        if len(fields) != 5 or fields[2] not in {lv.value for lv in LEVELS}:
            raise EvalSetError(f"{source} line {number}: expected file, id, level, family, reason")
        wanted[(fields[0], fields[1])] = (Level(fields[2]), fields[3], fields[4])
    try:
        questions = read_questions(data_dir)
    except LiveQAError as error:
        raise EvalSetError(str(error)) from None
    messages = []
    for question in questions:
        file = question.file.name
        label = wanted.get((file, question.id))
        if label is None:
            raise EvalSetError(f"{source}: no label for {file} {question.id}")
        level, family, reason = label
        messages.append(
            LabelledMessage(f"{file}:{question.id}", level, family, question.text, reason)
        )
    return messages


def _lines(source: Path) -> list[str]:
    try:
        return source.read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise EvalSetError(f"{source}: cannot read: {error.strerror or error}") from None


DEFAULT_LIVEQA = Path(__file__).resolve().parents[3] / "shared" / "data" / "liveqa-med-train"

# What this version reached, less a small margin: `healthqa eval triage --check` (run in CI)
# fails when a change makes triage worse than this. The targets are TARGETS.
# Set from the run of 2026-12-01 (docs/triage.md): recalls a little below, false alarms a little
# above what this version scored.
FLOORS: dict[str, dict[str, float]] = {
    "dev": {
        "emergency recall": 0.98,
        "urgent flagged urgent or higher": 0.95,
        "routine flagged emergency": 0.06,
        "routine flagged urgent or higher": 0.09,
    },
    "test": {
        "emergency recall": 0.96,
        "urgent flagged urgent or higher": 0.93,
        "routine flagged emergency": 0.15,
        "routine flagged urgent or higher": 0.23,
    },
    "test2": {
        "emergency recall": 0.98,
        "urgent flagged urgent or higher": 0.94,
        "routine flagged emergency": 0.15,
        "routine flagged urgent or higher": 0.23,
    },
    "liveqa": {"emergency recall": 0.85, "routine flagged emergency": 0.09},
    "team": {"emergency recall": 0.98, "routine flagged emergency": 0.05},
    # Spanish and Chinese: a little below the dev figures of the run of 2026-12-02 (the rules
    # were written reading dev, so its figures flatter them); the test halves set no floor.
    "es_dev": {
        "emergency recall": 0.97,
        "urgent flagged urgent or higher": 0.95,
        "routine flagged emergency": 0.04,
        "routine flagged urgent or higher": 0.07,
    },
    "zh_dev": {
        "emergency recall": 0.97,
        "urgent flagged urgent or higher": 0.95,
        "routine flagged emergency": 0.07,
        "routine flagged urgent or higher": 0.07,
    },
}


def standard_reports(liveqa_dir: Path | None, triager: Triager | None = None) -> dict[str, Report]:
    """The blind dev and test halves, LiveQA (when its folder is given), the team set, and the
    Spanish and Chinese dev and test halves (scored against LANGUAGE_TARGETS)."""
    from healthqa.triage.engine import triage

    run = triager or (lambda text: triage(text))
    sets = {name: load_blind(name) for name in BLIND_SPLITS}
    if liveqa_dir is not None:
        sets["liveqa"] = load_liveqa(liveqa_dir)
    sets["team"] = load_team()
    reports = {name: evaluate(name, messages, run) for name, messages in sets.items()}
    for name in LANGUAGE_SPLITS:
        reports[name] = evaluate(name, load_blind(name), run, LANGUAGE_TARGETS)
    return reports


def below_floors(reports: dict[str, Report]) -> list[str]:
    """The figures that fell below FLOORS (recalls) or rose above them (false alarms)."""
    failures = []
    for name, floors in FLOORS.items():
        if name not in reports:
            continue
        figures = reports[name].overall.figures()
        for figure, bound in floors.items():
            sign = TARGETS[figure][0]
            value = figures[figure]
            if (sign == ">=" and value < bound) or (sign == "<=" and value > bound):
                failures.append(f"{name}: {figure} {value:.3f} (floor {bound})")
    return failures
