"""Spam screening from the text alone: links, and a score from rules kept as data
(`spam_rules.toml`), with the personal data masked (`personal.py`). docs/moderation.md.

`screen(text, kind)` refuses a message with too many links (`TooManyLinks`), scores it against
the spam rules and returns the text to publish, masked.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from healthqa.screening.personal import EMAIL, PHONE, is_phone, mask_personal

RULES_PATH = Path(__file__).with_name("spam_rules.toml")  # the bundled rules: copy to override


@dataclass(frozen=True)
class Hit:
    """One spam rule that fired."""

    rule: str  # the rule's id in the rules file
    weight: float  # what it added to the score
    reason: str  # for moderators: "sales language: 'buy now'"


@dataclass(frozen=True)
class Screening:
    """What `screen` found in one message."""

    text: str  # the message with personal data masked: the text to publish
    masked: tuple[str, ...]  # kinds masked: "address", "email", "id-number", "name", "phone"
    links: int  # links in the original text
    spam_score: float  # sum of the hits' weights
    hits: tuple[Hit, ...]
    hold: float  # the rules' threshold, so the result can answer `is_spam` on its own

    @property
    def is_spam(self) -> bool:
        """A human must look before this is published."""
        return self.spam_score >= self.hold


class TooManyLinks(ValueError):
    """More links than the site allows in this kind of message; the writer must remove some."""

    def __init__(self, links: int, limit: int, kind: str) -> None:
        super().__init__(f"{links} links found in this {kind}; at most {limit} are allowed")
        self.links = links
        self.limit = limit


class SpamRulesError(ValueError):
    """A spam rules file is missing, is not valid TOML, or has an invalid entry."""


@dataclass(frozen=True)
class SpamRule:
    """One rule of the rules file: a pattern or a built-in measure, and what it weighs."""

    id: str
    weight: float
    reason: str
    source: str
    kinds: frozenset[str]
    pattern: re.Pattern[str] | None = None
    measure: str | None = None
    at_least: float = 1.0
    cap: float | None = None  # None: `weight` once; else `weight` per match, up to `cap`


@dataclass(frozen=True)
class SpamRules:
    """The rules file, loaded: thresholds, link limits per kind of message, rules."""

    path: Path
    hold: float
    link_limits: dict[str, int]
    rules: tuple[SpamRule, ...]


# ---- links and measures ------------------------------------------------------------------------

_TLDS = "com|net|org|info|biz|ru|xyz|io|co|shop|online"
_LINK = re.compile(
    r"https?://[^\s<>\"'\])]+|www\.[^\s<>\"'\])]+"
    # a bare domain: not the end of an e-mail address, "e.g.", "3.5" or "500mg."
    rf"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?![\w-])(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
_MIN_LETTERS = 20  # "HELP!" is not shouting; a sentence in capitals is


def _count_links(text: str) -> int:
    return sum(1 for _ in _LINK.finditer(text))


def _distinct(matches: Iterable[str]) -> tuple[float, str]:
    """How many different strings matched, and the first few, for the moderators' reason."""
    found = list(dict.fromkeys(" ".join(match.lower().split())[:30] for match in matches))
    return len(found), ", ".join(f"'{match}'" for match in found[:3])


def _uppercase(text: str) -> tuple[float, str]:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < _MIN_LETTERS:
        return 0.0, ""
    share = sum(c.isupper() for c in letters) / len(letters)
    return share, f"{share:.0%} of letters"


def _contacts(text: str) -> tuple[float, str]:
    phones = [m[0] for m in PHONE.finditer(text) if is_phone(m[0])]
    return _distinct(EMAIL.findall(text) + phones)


def _count(pattern: str) -> Callable[[str], tuple[float, str]]:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda text: _distinct(m[0] for m in compiled.finditer(text))


_MEASURES: dict[str, Callable[[str], tuple[float, str]]] = {
    "links": lambda text: (_count_links(text), f"{_count_links(text)} link(s)"),
    "uppercase": _uppercase,
    "repeated_chars": _count(r"([^\s.=_-])\1{5,}"),  # "!!!!!!", "$$$$$$", not "......"
    "repeated_words": _count(r"\b(\w{2,})(?:\s+\1\b){2,}"),  # "buy buy buy"
    "exclamations": lambda text: (text.count("!"), f"{text.count('!')} '!'"),
    "contacts": _contacts,
}


# ---- spam ------------------------------------------------------------------------------------


def screen(text: str, kind: str = "question", rules: SpamRules | None = None) -> Screening:
    """Count links, score spam and mask personal data in one question or answer.

    Raises TooManyLinks when the text has more links than the rules allow for `kind`, and
    ValueError for a `kind` the rules do not know ("question" and "answer" in the bundled file).
    """
    rules = rules or load_spam_rules()
    limit = rules.link_limits.get(kind)
    if limit is None:
        raise ValueError(f"kind must be one of {sorted(rules.link_limits)}, not {kind!r}")
    links = _count_links(text)
    if links > limit:
        raise TooManyLinks(links, limit, kind)
    hits = tuple(h for rule in rules.rules if kind in rule.kinds and (h := _fire(rule, text)))
    masked_text, masked = mask_personal(text)
    score = round(sum(hit.weight for hit in hits), 3)
    return Screening(masked_text, masked, links, score, hits, rules.hold)


def _fire(rule: SpamRule, text: str) -> Hit | None:
    """The rule's hit on `text`, or None. A pattern counts its distinct matches."""
    if rule.pattern is not None:
        value, shown = _distinct(m[0] for m in rule.pattern.finditer(text))
    else:
        value, shown = _MEASURES[str(rule.measure)](text)
    if value < rule.at_least:
        return None
    weight = rule.weight if rule.cap is None else min(rule.weight * value, rule.cap)
    return Hit(rule.id, weight, f"{rule.reason}: {shown}")


def load_spam_rules(path: Path | None = None) -> SpamRules:
    """The rules in `path`, or the bundled `spam_rules.toml`; each file is read once."""
    return _load(Path(path or RULES_PATH).resolve())


@cache
def _load(path: Path) -> SpamRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpamRulesError(f"{path}: cannot read the spam rules ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise SpamRulesError(f"{path}: not valid TOML: {error}") from error
    limits = data.get("links")
    if not (isinstance(limits, dict) and {type(v) for v in limits.values()} == {int}):
        raise SpamRulesError(f"{path}: needs a [links] table of whole numbers: question = 2, ...")
    hold = _number(data, "hold", None, str(path))
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise SpamRulesError(f"{path}: 'rule' must be an array of tables: [[rule]]")
    kinds = frozenset(limits)
    rules = tuple(_rule(raw, f"{path}: rule {i + 1}", kinds) for i, raw in enumerate(raw_rules))
    return SpamRules(path, hold, dict(limits), rules)


_RULE_KEYS = {"id", "pattern", "measure", "at_least", "weight", "cap", "kinds", "reason", "source"}


def _rule(raw: Any, where: str, all_kinds: frozenset[str]) -> SpamRule:
    if not isinstance(raw, dict):
        raise SpamRulesError(f"{where}: must be a table")
    where = f"{where} ({raw.get('id', 'no id')})"
    if unknown := sorted(set(raw) - _RULE_KEYS):
        raise SpamRulesError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key in ("id", "reason", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SpamRulesError(f"{where}: needs '{key}', a non-empty string")
    if ("pattern" in raw) == ("measure" in raw):
        raise SpamRulesError(f"{where}: needs exactly one of 'pattern' and 'measure'")
    if "measure" in raw and raw["measure"] not in _MEASURES:
        raise SpamRulesError(f"{where}: measure must be one of {', '.join(_MEASURES)}")
    kinds = raw.get("kinds", sorted(all_kinds))
    if not isinstance(kinds, list) or not set(kinds) <= all_kinds:
        raise SpamRulesError(f"{where}: kinds must be a list of {', '.join(sorted(all_kinds))}")
    cap = _number(raw, "cap", 0.0, where) if "cap" in raw else None
    return SpamRule(
        id=raw["id"],
        weight=_number(raw, "weight", None, where),
        reason=raw["reason"],
        source=raw["source"],
        kinds=frozenset(kinds),
        pattern=_compile(raw["pattern"], where) if "pattern" in raw else None,
        measure=raw.get("measure"),
        at_least=_number(raw, "at_least", 1.0, where),
        cap=cap,
    )


def _number(table: dict[str, Any], key: str, default: float | None, where: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SpamRulesError(f"{where}: '{key}' must be a number, 0 or more")
    return float(value)


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except (re.error, TypeError) as error:
        raise SpamRulesError(f"{where}: invalid pattern: {error}") from error
