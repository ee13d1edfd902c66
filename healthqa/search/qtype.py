"""Question types: what a person's question asks, as MedQuAD's question types ("treatment",
"side effects", ...), from the text alone.

`TypeClassifier` ranks every type: a linear model trained on MedQuAD's questions with the focus
masked out (so it learns the question's shape, not the disease), read from `understand.npz`
(see `model_file.py`), plus hand-written cues for the way lay people ask, read from
`question_types.toml` beside this module with the LiveQA type mapping. See
docs/understanding.md.
"""

from __future__ import annotations

import bisect
import itertools
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from healthqa.search.model_file import ModelFileError, read_model, strings
from healthqa.search.words import Token, tokens

TYPES_FILE = Path(__file__).with_name("question_types.toml")
FOCUS_TOKEN = "xfocusx"  # what a focus name becomes before type classification

# How much the MedQuAD model counts next to the cues: it knows MedQuAD's templates by heart,
# and is overconfident on a lay message that shares a few of their words ("need" with "Do I need
# to see a doctor", "I do" with "What should I do if I forget a dose"). Chosen on LiveQA file 1.
MODEL_WEIGHT = 0.5

_SENTENCE = re.compile(r"[^.?!\n]+[.?!\n]*")


@dataclass(frozen=True)
class _Cue:
    qtype: str
    weight: float  # added to the model's logit for `qtype` when the pattern is found
    pattern: re.Pattern[str]
    # Literal starts of its alternatives ("side effect", "how to "): when it has them, a text
    # holding none of them cannot match, and the regex is not run (half the time of predict).
    anchors: tuple[str, ...] | None


_Word = tuple[str, str, int]  # (key, fold, start): a word, or FOCUS_TOKEN for a focus name


def _cues(table: dict[str, Any]) -> tuple[_Cue, ...]:
    """The cues of the question-types table compiled: one pattern per cue, its alternatives
    with the fragments they name filled in."""
    cues = []
    for cue in table["cue"]:
        found = [_filled(a, table["fragments"]) for a in cue["alternatives"]]
        pattern = re.compile(rf"(?<!\w)(?:{'|'.join(found)})\b")
        anchors = [_anchor(a) for a in found]
        complete = all(anchors)
        cues.append(
            _Cue(cue["type"], float(cue["weight"]), pattern, tuple(anchors) if complete else None)
        )
    return tuple(cues)


def _filled(alternative: str, fragments: dict[str, str]) -> str:
    """`alternative` with each {NAME} replaced by the fragment of that name."""
    for name, fragment in fragments.items():
        alternative = alternative.replace("{" + name + "}", fragment)
    return alternative


def _anchor(alternative: str) -> str:
    """The literal text every match of `alternative` starts with, if three letters or more."""
    literal = re.sub(r"[^a-z ].*", "", alternative, flags=re.DOTALL)
    if len(alternative) > len(literal) and alternative[len(literal)] in "?*{":
        literal = literal[:-1]  # "cures?" : the "s" is optional
    return literal if len(literal) >= 3 else ""


_TABLE = tomllib.loads(TYPES_FILE.read_text(encoding="utf-8"))
CUES = _cues(_TABLE)
# LiveQA's TYPE annotations -> the MedQuAD question types that answer them. Used to score the
# type classifier on LiveQA, and to compare LiveQA questions stored in the base with MedQuAD's.
LIVEQA_TYPES: dict[str, tuple[str, ...]] = {
    label: tuple(qtypes) for label, qtypes in _TABLE["liveqa"].items()
}


class TypeClassifier:
    """Ranks question types for a question. A multinomial logistic regression over word 1-2
    grams (tf-idf) of the question with its focus masked, trained on MedQuAD; lay phrasings add
    their CUES' weights to its logits. Numpy only at run time; load with `TypeClassifier.load`."""

    def __init__(
        self,
        labels: Sequence[str],
        features: Sequence[str],
        idf: np.ndarray[Any, Any],
        coef: np.ndarray[Any, Any],
        intercept: np.ndarray[Any, Any],
    ) -> None:
        self.labels = list(labels)
        self._index = {f: i for i, f in enumerate(features)}
        self._idf = idf.astype(np.float64)
        self._coef = coef.astype(np.float64)
        self._intercept = intercept.astype(np.float64)
        self._label_index = {label: i for i, label in enumerate(self.labels)}
        self._cues = [c for c in CUES if c.qtype in self._label_index]

    @classmethod
    def load(cls, path: Path | None = None) -> TypeClassifier:
        """The shipped model (cached), or the one in `path`."""
        if path is None:
            return _shipped_classifier()
        try:
            return cls._from_arrays(read_model(path))
        except KeyError as exc:
            raise ModelFileError(f"{path}: not a question-type model (no {exc})") from exc

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray[Any, Any]]) -> TypeClassifier:
        return cls(
            strings(data["labels"]),
            strings(data["features"]),
            data["idf"],
            data["coef"],
            data["intercept"],
        )

    def predict(
        self, text: str, focus_spans: Iterable[tuple[int, int]] = ()
    ) -> list[tuple[str, float]]:
        """Every question type with its probability, best first. `focus_spans` are the
        (start, end) characters of the focus names in `text` (from FocusMatcher.match), masked
        so that "What causes X?" reads the same whatever X is."""
        words = _masked(tokens(text), focus_spans)
        logits = MODEL_WEIGHT * self.logits([key for key, _, _ in words])
        logits += self._cue_boosts(text, words)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return [(self.labels[i], round(float(probs[i]), 4)) for i in order]

    def logits(self, words: Sequence[str]) -> np.ndarray[Any, Any]:
        """The model alone: intercept + weights . tf-idf(1-2 grams), l2-normalised as at
        training (sublinear tf)."""
        counts = Counter(i for g in ngrams(words) if (i := self._index.get(g)) is not None)
        if not counts:
            return self._intercept.copy()
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self._idf[idx]
        values /= np.linalg.norm(values)
        return self._intercept + self._coef[:, idx] @ values

    def _cue_boosts(self, text: str, words: Sequence[_Word]) -> np.ndarray[Any, Any]:
        """Each type gets its strongest cue's weight. Cues in a sentence that asks (ends in "?")
        count fully; elsewhere, when the message has such a sentence, 60%: "I was treated with
        antibiotics" is background, "what else can I try?" is the question."""
        lines, asks = _cue_lines(text, words)
        starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        joined = "\n".join(lines)  # a cue never spans two sentences: patterns have no "\n"
        background = 0.6 if any(asks) else 1.0
        boosts = np.zeros(len(self.labels))
        for cue in self._cues:
            if cue.anchors and not any(a in joined for a in cue.anchors):
                continue
            factor = 0.0
            for m in cue.pattern.finditer(joined):
                factor = max(
                    factor, 1.0 if asks[bisect.bisect(starts, m.start()) - 1] else background
                )
                if factor == 1.0:
                    break
            i = self._label_index[cue.qtype]
            boosts[i] = max(boosts[i], cue.weight * factor)
        return boosts


@cache
def _shipped_classifier() -> TypeClassifier:
    return TypeClassifier._from_arrays(read_model())


def masked_words(text: str, focus_spans: Iterable[tuple[int, int]] = ()) -> list[str]:
    """The words of `text` as the model reads them: stemmed, each run of words inside a focus
    span replaced by one FOCUS_TOKEN."""
    return [key for key, _, _ in _masked(tokens(text), focus_spans)]


def _masked(found: Sequence[Token], focus_spans: Iterable[tuple[int, int]]) -> list[_Word]:
    spans = _merged(focus_spans)
    out: list[_Word] = []
    k = 0
    for t in found:
        while k < len(spans) and spans[k][1] <= t.start:
            k += 1
        if k < len(spans) and spans[k][0] < t.end:
            if not out or out[-1][0] != FOCUS_TOKEN:
                out.append((FOCUS_TOKEN, FOCUS_TOKEN, t.start))
        else:
            out.append((t.key, t.fold, t.start))
    return out


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of possibly overlapping spans, as sorted disjoint spans."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a < b:
            out.append((a, b))
    return out


def ngrams(words: Sequence[str]) -> list[str]:
    """The model's features: words and adjacent word pairs."""
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _cue_lines(text: str, words: Sequence[_Word]) -> tuple[list[str], list[bool]]:
    """The folded words of each sentence of `text`, and whether the sentence asks (has "?")."""
    ends, asks = [], []
    for m in _SENTENCE.finditer(text):
        ends.append(m.end())
        asks.append("?" in m.group())
    lines: list[list[str]] = [[] for _ in ends] or [[]]
    asks = asks or [False]
    for _, folded, start in words:
        lines[min(bisect.bisect(ends, start), len(lines) - 1)].append(folded)
    return [" ".join(line) for line in lines], asks
