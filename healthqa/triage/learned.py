"""The learned detector: how likely a message is an emergency, or urgent or worse, from its
words and from what the rules, the meaning detector and the context found.

Two logistic regressions (emergency; urgent or higher) over binary features: the message's
words and word pairs, with the words after a negation marked ("no rash" -> `not_rash`), plus
the levels and families the other detectors flagged and the patient facts. The weights are a
small data file (`model.npz`) written by `healthqa.triage.train` from messages written for
training by authors who never saw the rules; the evaluation sets were never trained on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from healthqa.triage.language import english_words
from healthqa.triage.result import Level, RedFlag

if TYPE_CHECKING:
    from healthqa.triage.engine import Findings

MODEL_PATH = Path(__file__).with_name("model.npz")
_WORD = re.compile(r"[a-z]+|[.!?;,\n]")
_NEGATION = frozenset(
    "no not never without nor dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt "
    "cant wont denies".split()
)
NEGATION_REACH = 3  # words after a negation that it marks


def grams(text: str) -> set[str]:
    """Words and adjacent word pairs of a normalised text, negated words marked `not_`."""
    words: list[str] = []
    reach = 0
    for token in _WORD.findall(text):
        if not token[0].isalpha():
            reach = 0
            words.append("|")
            continue
        if token in _NEGATION:
            reach = NEGATION_REACH
            words.append(token)
            continue
        words.append(f"not_{token}" if reach > 0 else token)
        reach -= 1
    pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if "|" not in (a, b)}
    return {w for w in words if w != "|"} | pairs


def signals(flags: Iterable[RedFlag], facts: Iterable[str]) -> set[str]:
    """The other detectors' findings as feature names: `level:urgent`, `family:cardiac=urgent`,
    `fact:fever`."""
    out = {f"fact:{name}" for name in facts}
    for flag in flags:
        out.add(f"level:{flag.level.value}")
        out.add(f"family:{flag.family}={flag.level.value}")
    return out


def scale(count: int) -> float:
    """Each feature's value in a message with `count` known features: 1/sqrt(count), so that a
    long letter does not add up to an emergency by its many medical words alone."""
    return 1 / np.sqrt(count) if count else 0.0


NEIGHBOURS = 20  # labelled messages a message is compared with
NEIGHBOUR_SHARE = 0.3  # the neighbours' part of a chance; the words' part is the rest
NEIGHBOUR_POWER = 3  # a neighbour's say grows with the cube of its cosine


@dataclass(frozen=True)
class Neighbours:
    """The training messages' sentence vectors and levels: a message's nearest neighbours by
    meaning vote on how urgent it is, weighted by how close they are."""

    encoder: str  # the sentence model that made the vectors ("all-MiniLM-L6-v2@128")
    vectors: NDArray[np.float32]  # (messages, dim), unit length
    levels: NDArray[np.int8]  # 0 routine, 1 urgent, 2 emergency

    def chances(self, vector: NDArray[np.float32]) -> tuple[float, float]:
        sims = self.vectors @ vector.astype(np.float32)
        nearest = np.argpartition(-sims, NEIGHBOURS)[:NEIGHBOURS]
        weights = np.clip(sims[nearest], 0, None) ** NEIGHBOUR_POWER
        total = float(weights.sum()) or 1.0
        levels = self.levels[nearest]
        return float(weights[levels == 2].sum() / total), float(weights[levels >= 1].sum() / total)


@dataclass(frozen=True)
class Model:
    """Weights per feature name, for the two questions: emergency? urgent or higher?"""

    index: dict[str, int]
    weights: NDArray[np.float64]  # (features, 2)
    bias: NDArray[np.float64]  # (2,)
    # The chance needed to flag: an emergency where the other detectors found nothing, an
    # emergency where they found an urgent problem, urgent where they found nothing.
    thresholds: tuple[float, float, float]
    neighbours: Neighbours | None = None

    def decide(self, chances: tuple[float, float], found: Level) -> Level | None:
        """The level the model raises a message to, given what the other detectors found."""
        emergency, urgent = chances
        needed = self.thresholds[1] if found is Level.URGENT else self.thresholds[0]
        if found is not Level.EMERGENCY and emergency >= needed:
            return Level.EMERGENCY
        if found is Level.ROUTINE and urgent >= self.thresholds[2]:
            return Level.URGENT
        return None

    def probabilities(
        self, features: set[str], vector: NDArray[np.float32] | None = None
    ) -> tuple[float, float]:
        """Chances of an emergency and of urgent-or-higher: from the words, mixed with the
        nearest training messages' levels when the message's sentence `vector` is given."""
        rows = [self.index[f] for f in features if f in self.index]
        logits = self.weights[rows].sum(axis=0) * scale(len(rows)) + self.bias
        emergency, urgent = (1 / (1 + np.exp(-logits))).tolist()
        if self.neighbours is None or vector is None:
            return float(emergency), float(urgent)
        near = self.neighbours.chances(vector)
        mix = NEIGHBOUR_SHARE
        return (1 - mix) * emergency + mix * near[0], (1 - mix) * urgent + mix * near[1]

    def reasons(self, features: set[str], column: int, limit: int = 4) -> list[str]:
        """The words that pushed the message up the most (signals left out: the flags say them)."""
        plain = english_words()
        scored = [
            (self.weights[self.index[f], column], f)
            for f in features
            if f in self.index and ":" not in f and "not_" not in f and not set(f.split()) <= plain
        ]
        return [f for weight, f in sorted(scored, reverse=True)[:limit] if weight > 0]

    def save(self, path: Path) -> None:
        names = np.array(sorted(self.index, key=self.index.__getitem__))
        near = self.neighbours
        np.savez_compressed(
            path,
            names=names,
            weights=self.weights.astype(np.float32),
            bias=self.bias,
            thresholds=np.array(self.thresholds),
            encoder=np.array(near.encoder if near else ""),
            vectors=near.vectors.astype(np.float16) if near else np.zeros((0, 0), np.float16),
            levels=near.levels if near else np.zeros(0, np.int8),
        )


def load_model(path: str | Path | None = None) -> Model:
    source = Path(path) if path is not None else MODEL_PATH
    with np.load(source, allow_pickle=False) as data:
        names = [str(n) for n in data["names"]]
        thresholds = data["thresholds"].tolist()
        encoder = str(data["encoder"]) if "encoder" in data else ""
        near = None
        if encoder:
            vectors = data["vectors"].astype(np.float32)
            near = Neighbours(encoder, vectors, data["levels"].astype(np.int8))
        return Model(
            {name: i for i, name in enumerate(names)},
            data["weights"].astype(np.float64),
            data["bias"].astype(np.float64),
            (float(thresholds[0]), float(thresholds[1]), float(thresholds[2])),
            near,
        )


@cache
def default_model() -> Model | None:
    """The packaged model, or None before one is trained."""
    return load_model() if MODEL_PATH.exists() else None


def features(
    text: str, flags: Iterable[RedFlag], facts: Iterable[str], extra: set[str]
) -> set[str]:
    """Everything the model reads: words, the detectors' flags, facts, meaning similarities."""
    return grams(text) | signals(flags, facts) | extra


def learned_flag(
    model: Model,
    findings: Findings,
    flags: Sequence[RedFlag],
    vector: NDArray[np.float32] | None = None,
) -> RedFlag | None:
    """A red flag when the model finds the message an emergency, or urgent or worse; `vector`
    is the message's sentence vector, for the nearest training messages."""
    features_ = features(findings.text, flags, findings.facts.names, findings.signals)
    chances = model.probabilities(features_, vector)
    found = max((f.level for f in flags), key=lambda level: level.rank, default=Level.ROUTINE)
    level = model.decide(chances, found)
    if level is None:
        return None
    column = 0 if level is Level.EMERGENCY else 1
    chance = chances[column]
    words = tuple(model.reasons(features_, column))
    name = (
        "Reads like an emergency"
        if level is Level.EMERGENCY
        else "Reads like it needs a doctor today"
    )
    rationale = (
        f"Messages worded like this one were {'emergencies' if column == 0 else 'urgent'} "
        f"(estimated {chance:.0%}); when in doubt healthqa errs to safety."
    )
    return RedFlag(f"learned.{level.value}", name, words, rationale, level)
