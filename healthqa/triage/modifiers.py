"""Context raises the level: the modifiers of `contexts.toml` applied to a message's facts.

A modifier whose facts are all stated adds a red flag of its own ("fever in a baby under 3
months"); one with `above` raises the level only when a detector already found a flag at that
level ("unwell during chemotherapy" turns an urgent infection into an emergency).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from healthqa.triage.facts import CONTEXTS_PATH, Facts
from healthqa.triage.result import Level, RedFlag
from healthqa.triage.rules import TriageRulesError, entry_where, read_toml

FACT_NAMES = frozenset(
    "infant_under_3_months infant_3_to_6_months infant older_adult fever temperature_39 pregnant "
    "postpartum surgery chemotherapy immunosuppressed anticoagulant diabetes iud confusion "
    "infection head_injury vomiting".split()
)


@dataclass(frozen=True)
class Modifier:
    id: str
    when: tuple[str, ...]
    above: Level | None
    level: Level
    name: str
    source: str
    example: str = ""

    def applies(self, found: Facts, flags: Sequence[RedFlag]) -> bool:
        if not all(found.has(name) for name in self.when):
            return False
        return self.above is None or any(f.level is self.above for f in flags)

    def flag(self, found: Facts) -> RedFlag:
        words = tuple(dict.fromkeys(found.words[name] for name in self.when))
        rationale = f"Context raises the level. Source: {self.source}."
        return RedFlag(self.id, self.name[0].upper() + self.name[1:], words, rationale, self.level)


def load_modifiers(path: str | Path | None = None) -> tuple[Modifier, ...]:
    """Read and check a modifiers file; every problem names the file and the entry."""
    source = Path(path) if path is not None else CONTEXTS_PATH
    raw = read_toml(source).get("raise", [])
    return tuple(_modifier(entry, number, source) for number, entry in enumerate(raw, 1))


def _modifier(raw: Any, number: int, source: Path) -> Modifier:
    where = entry_where(raw, "raise", number, source)
    when = raw.get("when")
    if not isinstance(when, list) or not when or not set(when) <= FACT_NAMES:
        raise TriageRulesError(f"{where}: field 'when' must list facts from {sorted(FACT_NAMES)}")
    levels = ("emergency", "urgent")
    if raw.get("level") not in levels or raw.get("above", "urgent") not in levels:
        raise TriageRulesError(f"{where}: 'level' and 'above' must be 'emergency' or 'urgent'")
    above = Level(raw["above"]) if "above" in raw else None
    example = str(raw.get("example", ""))
    return Modifier(
        raw["id"], tuple(when), above, Level(raw["level"]), raw["name"], raw["source"], example
    )


@cache
def default_modifiers() -> tuple[Modifier, ...]:
    return load_modifiers()


def raise_flags(
    found: Facts, flags: Sequence[RedFlag], modifiers: Sequence[Modifier] | None = None
) -> list[RedFlag]:
    """The flags the context adds to the detectors' `flags`."""
    chosen = default_modifiers() if modifiers is None else modifiers
    return [m.flag(found) for m in chosen if m.applies(found, flags)]
