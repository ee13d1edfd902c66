"""The second detector: red flags recognised by meaning, not by the words of a rule.

A message is cut into clauses; each clause is embedded with the sentence model the answer
engine already loads and compared with every description of `red_flags.toml` (a bank of the
ways people describe each red flag). A clause close enough to a description raises the message
to that flag's level, unless its context says otherwise: the finding is located by the words
the clause shares with the description and checked by the same negation, question, past,
people-in-general and animal cues as the rules (`context.Context.suppressed`).

Rules catch the phrasings they were written for with few false alarms; this detector catches
paraphrases the rules never saw ("his tummy sucks in under his ribs" for chest indrawing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from healthqa.triage.context import Context
from healthqa.triage.result import Level, RedFlag
from healthqa.triage.rules import TriageRulesError, entry_where, read_toml

BANK_PATH = Path(__file__).with_name("red_flags.toml")
Vectors = NDArray[np.float32]
Span = tuple[int, int]


class Encoder(Protocol):
    """Anything that turns texts into unit-length sentence vectors."""

    def embed(self, texts: Sequence[str], batch_size: int = ...) -> Vectors: ...


@dataclass(frozen=True)
class BankFlag:
    id: str
    level: Level
    name: str
    source: str
    crisis: bool
    say: tuple[str, ...]

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Bank:
    """The red-flag descriptions and the similarity a clause needs, per level."""

    path: Path
    flags: tuple[BankFlag, ...]
    thresholds: dict[Level, float]

    def lines(self) -> list[tuple[int, str]]:
        """Every description with the index of its flag."""
        return [(number, text) for number, flag in enumerate(self.flags) for text in flag.say]


def load_bank(path: str | Path | None = None) -> Bank:
    """Read and check a bank file; every problem names the file and the flag."""
    source = Path(path) if path is not None else BANK_PATH
    data = read_toml(source)
    flags = tuple(
        _bank_flag(raw, number, source) for number, raw in enumerate(data.get("flag", []), 1)
    )
    if not flags:
        raise TriageRulesError(f"{source}: [[flag]]: no flags defined")
    settings = data.get("settings", {})
    thresholds = {}
    for level in (Level.EMERGENCY, Level.URGENT):
        value = settings.get(level.value)
        if not isinstance(value, float) or not 0 < value < 1:
            raise TriageRulesError(
                f"{source}: [settings] {level.value}: must be a number in (0, 1)"
            )
        thresholds[level] = value
    return Bank(source, flags, thresholds)


def _bank_flag(raw: Any, number: int, source: Path) -> BankFlag:
    where = entry_where(raw, "flag", number, source)
    if raw.get("level") not in ("emergency", "urgent"):
        raise TriageRulesError(f"{where}: level must be 'emergency' or 'urgent'")
    say = raw.get("say")
    if (
        not isinstance(say, list)
        or not say
        or not all(isinstance(s, str) and s.strip() for s in say)
    ):
        raise TriageRulesError(f"{where}: field 'say' must be a non-empty list of strings")
    return BankFlag(
        raw["id"],
        Level(raw["level"]),
        raw["name"],
        raw["source"],
        bool(raw.get("crisis")),
        tuple(s.strip().lower() for s in say),
    )


@cache
def default_bank() -> Bank:
    return load_bank()


# Clauses: sentences, cut again at conjunctions that start a new thought, then windows of at
# most MAX_WORDS words so that one long run-on sentence does not dilute its one red flag.
_SENTENCE = re.compile(
    r"[!?;\n]+|\.(?!\d)|\s[-–—]+\s|,?\s(?:but|however|although|though|and then|because|so)\s"
)
_WORD = re.compile(r"\S+")
MAX_WORDS = 18
STRIDE = 9
MIN_WORDS = 2


def clauses(text: str) -> list[Span]:
    """The spans of `text` to embed one by one."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE.finditer(text):
        spans.extend(_windows(text, start, match.start()))
        start = match.end()
    spans.extend(_windows(text, start, len(text)))
    return spans


def _windows(text: str, lo: int, hi: int) -> list[Span]:
    words = [m.span() for m in _WORD.finditer(text, lo, hi)]
    if len(words) < MIN_WORDS:
        return []
    if len(words) <= MAX_WORDS:
        return [(words[0][0], words[-1][1])]
    out = []
    for first in range(0, len(words) - STRIDE, STRIDE):
        last = min(first + MAX_WORDS, len(words)) - 1
        out.append((words[first][0], words[last][1]))
    return out


_CONTENT = re.compile(r"[a-z]{3,}")
_STOP = frozenset(
    "the and for are was were has have had with this that what from they them their there "
    "his her him she hes shes its you your our out not but can cant any all now just very "
    "really when then been being into onto over also too more much some will would could "
    "should did does doing done get got getting about after before since like feel feels "
    "felt".split()
)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _CONTENT.findall(text) if w not in _STOP}


class Meaning:
    """The bank embedded once, and the check of a message's clauses against it."""

    def __init__(self, encoder: Encoder, bank: Bank | None = None) -> None:
        self.encoder = encoder
        self.bank = bank or default_bank()
        lines = self.bank.lines()
        self._owner = np.array([number for number, _ in lines], dtype=np.int64)
        self._texts = [text for _, text in lines]
        self._vectors = encoder.embed(self._texts)

    def best(self, texts: Sequence[str]) -> list[tuple[int, float, str]]:
        """For each text: the closest flag's index, the cosine and the description."""
        if not texts:
            return []
        sims = self.encoder.embed(list(texts)) @ self._vectors.T
        out = []
        for row in sims:
            line = int(np.argmax(row))
            out.append((int(self._owner[line]), float(row[line]), self._texts[line]))
        return out

    def read(self, ctx: Context) -> Reading:
        """The bank's red flags in the message of `ctx` (one per flag, in context), and the
        best similarity per level among the clauses that count in context."""
        spans = clauses(ctx.text)
        found: dict[int, RedFlag] = {}
        best = {Level.EMERGENCY: 0.0, Level.URGENT: 0.0}
        closest = self.best([ctx.text[lo:hi] for lo, hi in spans])
        for (lo, hi), (number, similarity, said) in zip(spans, closest, strict=True):
            flag = self.bank.flags[number]
            finding = _finding(ctx.text, lo, hi, said)
            if ctx.suppressed(*finding) is not None:
                continue
            best[flag.level] = max(best[flag.level], similarity)
            if similarity < self.bank.thresholds[flag.level] or number in found:
                continue
            level = flag.level
            if level is Level.EMERGENCY and ctx.resolved(*finding):
                level = Level.URGENT
            found[number] = RedFlag(
                flag.id,
                flag.name[0].upper() + flag.name[1:],
                (ctx.text[lo:hi].strip(),),
                f"Described like: {said!r} (similarity {similarity:.2f}). Source: {flag.source}.",
                level,
                flag.crisis,
            )
        return Reading(list(found.values()), best)


@dataclass(frozen=True)
class Reading:
    flags: list[RedFlag]
    best: dict[Level, float]

    def signals(self) -> set[str]:
        """Similarities as features for the learned model: `meaning:emergency>=0.60` ..."""
        return {
            f"meaning:{level.value}>={cut:.2f}"
            for level, value in self.best.items()
            for cut in SIGNAL_CUTS
            if value >= cut
        }


SIGNAL_CUTS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def _finding(text: str, lo: int, hi: int, said: str) -> Span:
    """Where in text[lo:hi] the finding is: from the first to the last word it shares with the
    description it resembles (the whole clause when it shares none)."""
    wanted = _stems(said)
    hits = [
        m.span()
        for m in _CONTENT.finditer(text, lo, hi)
        if m[0][:5] in wanted and m[0] not in _STOP
    ]
    if not hits:
        return lo, hi
    return hits[0][0], hits[-1][1]


@cache
def default_meaning() -> Meaning:
    """The packaged bank with the site's sentence model, loaded once per process."""
    from healthqa.encoder import site_embedder

    return Meaning(site_embedder())
