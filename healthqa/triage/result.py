"""What triage returns: a level, the red flags found and the advice to show first."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal


class Level(StrEnum):
    """How soon the writer needs help: now, today, or as an ordinary question."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """0 for routine, 1 for urgent, 2 for emergency."""
        return ("routine", "urgent", "emergency").index(self.value)


@dataclass(frozen=True)
class RedFlag:
    """One rule that fired: its id, the name to show, the words that triggered it and why.

    `matched` holds the normalised words (lower case, misspellings corrected) of the finding
    and of each context the rule needed ("fever 39", "pelvic pain", "iud"). `crisis` marks
    thoughts of suicide or self-harm, whose advice leads with a crisis line.
    """

    rule: str
    name: str
    matched: tuple[str, ...]
    rationale: str
    level: Level
    crisis: bool = False

    @property
    def family(self) -> str:
        return self.rule.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "level": self.level.value,
            "matched": list(self.matched),
            "rationale": self.rationale,
            "crisis": self.crisis,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RedFlag:
        """The flag `to_dict` wrote (a stored triage read back)."""
        return cls(
            data["rule"],
            data["name"],
            tuple(data["matched"]),
            data["rationale"],
            Level(data["level"]),
            bool(data["crisis"]),
        )


Action = Literal["call_emergency", "crisis_line", "see_doctor_today", "not_checked"]


@dataclass(frozen=True)
class Advice:
    """What to tell the writer before any answer, with the numbers for their country."""

    level: Level
    action: Action
    country: str
    headline: str
    more: tuple[str, ...]
    emergency_number: str
    crisis_line: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "action": self.action,
            "country": self.country,
            "headline": self.headline,
            "more": list(self.more),
            "emergency_number": self.emergency_number,
            "crisis_line": self.crisis_line,
        }


@dataclass(frozen=True)
class Triage:
    """The triage of one message; `advice` is None for routine messages that triage could read.

    `checked` is False when triage could not read the message (a language it has no rules for,
    symbols): the advice then gives the emergency number and says the message was not checked.
    `language` is the language whose rules read it ("en", "es", "zh"), None when not checked.
    """

    level: Level
    flags: tuple[RedFlag, ...]
    advice: Advice | None
    checked: bool = True
    language: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, as served in the ask API's `triage` field."""
        return {
            "level": self.level.value,
            "flags": [flag.to_dict() for flag in self.flags],
            "advice": self.advice.to_dict() if self.advice else None,
            "checked": self.checked,
            "language": self.language,
        }


def batch_line(message_id: str, result: Triage) -> str:
    """The line `healthqa triage --batch` writes for one message: `id<TAB>level<TAB>flags`,
    the flags as comma-separated rule ids."""
    return f"{message_id}\t{result.level.value}\t{','.join(f.rule for f in result.flags)}"
