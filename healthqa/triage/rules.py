"""Loading and compiling the red-flag rules of `rules.toml`.

The file is data: rules, context cues, misspelling tables (docs/triage.md describes the format).
Loading turns it into precompiled patterns and reports every problem as a TriageRulesError
naming the file and the rule or table at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from healthqa.triage._literals import (
    KeyFinder,
    Keys,
    max_width,
    required_literals,
    selectivity,
    windows,
)
from healthqa.triage.result import Level

RULES_PATH = Path(__file__).with_name("rules.toml")
# The rules of the other languages triage reads, with the English rules' ids (language.COVERED).
LANGUAGE_RULES = {
    "es": Path(__file__).with_name("rules_es.toml"),
    "zh": Path(__file__).with_name("rules_zh.toml"),
}


class TriageRulesError(Exception):
    """A rules or contacts file is missing, is not valid TOML, or has an invalid entry."""


_EDGE = "(?<![a-z0-9])(?:{})(?![a-z0-9])"
# Chinese has no word boundaries, and its words sit next to digits ("新生儿20天"): a rules file
# whose [settings] say `word_boundaries = false` matches its patterns as plain substrings.
_NO_EDGE = "(?:{})"
Span = tuple[int, int]
# The longest stretch a rule's match may span around one of its literal strings (see _literals).
MATCH_REACH = 250


@dataclass(frozen=True)
class Rule:
    """One red flag, compiled: `find` must match in context, each `with` group anywhere."""

    id: str
    name: str
    level: Level
    find: re.Pattern[str]
    with_: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None
    rationale: str
    source: str
    crisis: bool
    lasting: bool = False  # the danger lasts when the writer feels fine ("took 20 pills, fine now")
    keys: tuple[Keys, ...] = ()  # a message the rule fires on has a string from each set
    find_keys: Keys | None = None  # every `find` match contains one of these

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Cues:
    """The context vocabularies of `[modifiers]`, one compiled pattern each."""

    pseudo: re.Pattern[str]
    negation: re.Pattern[str]
    negation_after: re.Pattern[str]
    negation_stop: re.Pattern[str]
    informational: re.Pattern[str]
    question_start: re.Pattern[str]
    personal: re.Pattern[str]
    historical: re.Pattern[str]
    current: re.Pattern[str]
    generic: re.Pattern[str]
    animal: re.Pattern[str]
    frame: re.Pattern[str]
    hypothetical: re.Pattern[str]
    crisis: re.Pattern[str]
    resolved: re.Pattern[str]
    clause: re.Pattern[str]
    sentence: re.Pattern[str]
    negation_window: int
    negation_after_window: int
    generic_window: int
    informational_window: int


_TOKEN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Spelling:
    """Misspelling corrections: single words by table lookup, phrases by one pattern."""

    words: Mapping[str, str]
    phrases: Mapping[str, str]
    phrase_pattern: re.Pattern[str] | None

    def correct(self, text: str) -> str:
        if self.phrase_pattern is not None:
            text = self.phrase_pattern.sub(lambda m: self.phrases[m[0]], text)
        if self.words.keys().isdisjoint(_TOKEN.findall(text)):
            return text
        return _TOKEN.sub(lambda m: self.words.get(m[0], m[0]), text)


@dataclass(frozen=True)
class RuleSet:
    """Everything `triage` needs from a rules file.

    `keys` finds the rules' literal strings in a message; `index` maps each string of a rule's
    first (most selective) set to the rules that need it, and `unkeyed` lists the rules that
    have no such strings and are always tried.
    """

    path: Path
    rules: tuple[Rule, ...]
    cues: Cues
    spelling: Spelling
    keys: KeyFinder
    index: Mapping[str, tuple[int, ...]]
    unkeyed: tuple[int, ...]

    @classmethod
    def build(cls, path: Path, rules: tuple[Rule, ...], cues: Cues, spelling: Spelling) -> RuleSet:
        index: dict[str, list[int]] = {}
        for number, rule in enumerate(rules):
            for key in rule.keys[0] if rule.keys else ():
                index.setdefault(key, []).append(number)
        finder = KeyFinder(key for rule in rules for keys in rule.keys for key in keys)
        unkeyed = tuple(number for number, rule in enumerate(rules) if not rule.keys)
        frozen = {key: tuple(numbers) for key, numbers in index.items()}
        return cls(path, rules, cues, spelling, finder, frozen, unkeyed)

    def candidates(self, text: str) -> list[tuple[Rule, list[Span]]]:
        """The rules that can fire on `text`, each with the stretches of text to scan."""
        where = self.keys.locate(text)
        numbers = set(self.unkeyed)
        for key in where:
            numbers.update(self.index.get(key, ()))
        out: list[tuple[Rule, list[Span]]] = []
        for number in sorted(numbers):
            rule = self.rules[number]
            if any(keys.isdisjoint(where) for keys in rule.keys[1:]):
                continue
            if rule.find_keys is None:
                out.append((rule, [(0, len(text))]))
                continue
            starts = [p for key in rule.find_keys.intersection(where) for p in where[key]]
            out.append((rule, windows(text, starts, MATCH_REACH)))
        return out

    @property
    def families(self) -> list[str]:
        return sorted({rule.family for rule in self.rules})


_SENTENCE_END = r"[!?;\n]+|\.(?!\d)"
_INLINE = re.compile(r"@([a-z_]+)")
_RULE_ID = re.compile(r"[a-z][a-z_]*\.[a-z0-9_]+")
_CUE_KINDS = (
    "pseudo negation negation_after negation_stop informational question_start personal "
    "historical current generic animal frame hypothetical crisis resolved"
).split()
_WINDOWS = ("negation_window", "negation_after_window", "generic_window", "informational_window")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a TriageRulesError naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise TriageRulesError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise TriageRulesError(f"{path}: not valid TOML: {error}") from error


def entry_where(raw: Any, kind: str, number: int, source: Path) -> str:
    """Check that a [[kind]] entry is a table with a non-empty id, name and source; return the
    place to name in later errors ("contexts.toml: raise 'context.x'")."""
    where = f"{source}: {kind} #{number}"
    if not isinstance(raw, dict):
        raise TriageRulesError(f"{where}: must be a table")
    for key in ("id", "name", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TriageRulesError(f"{where}: field {key!r} must be a non-empty string")
    return f"{source}: {kind} {raw['id']!r}"


def load_rules(path: str | Path | None = None, base: RuleSet | None = None) -> RuleSet:
    """Load and compile a rules file (default: the packaged `rules.toml`).

    With `base`, a rule that leaves out its name, rationale or source takes them from the base
    rule of the same id: a language's rules say in their own words what the English ones find.
    """
    source = Path(path) if path is not None else RULES_PATH
    return _Loader(source, read_toml(source), base).ruleset()


@cache
def default_rules() -> RuleSet:
    """The packaged rules, loaded once per process."""
    return load_rules()


@cache
def language_rules(code: str) -> RuleSet:
    """The packaged rules of language `code` ("es", "zh"), loaded once per process."""
    return load_rules(LANGUAGE_RULES[code], base=default_rules())


class _Loader:
    """Turns the parsed TOML into a RuleSet; every error names the file and the entry."""

    def __init__(self, path: Path, data: dict[str, Any], base: RuleSet | None = None) -> None:
        self.path = path
        self.data = data
        self.concepts = self._table("concepts")
        self.base = {rule.id: rule for rule in base.rules} if base else {}
        edges = self._table("settings").get("word_boundaries", True)
        self.edge = _EDGE if edges is not False else _NO_EDGE

    def fail(self, where: str, message: str) -> TriageRulesError:
        return TriageRulesError(f"{self.path}: {where}: {message}")

    def ruleset(self) -> RuleSet:
        raw_rules = self.data.get("rule")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise self.fail("[[rule]]", "no rules defined")
        rules = tuple(self.rule(raw, index) for index, raw in enumerate(raw_rules, 1))
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise self.fail(f"rule {rule.id!r}", "duplicate id")
            seen.add(rule.id)
        return RuleSet.build(self.path, rules, self.cues(), self.spelling())

    def _table(self, name: str) -> dict[str, Any]:
        table = self.data.get(name, {})
        if not isinstance(table, dict):
            raise self.fail(f"[{name}]", "must be a table")
        return table

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(where, "must be a list of strings")
        return [item.strip() for item in value]

    def expand(self, patterns: list[str], where: str, seen: tuple[str, ...] = ()) -> list[str]:
        """Replace each "@concept" by the concept's patterns (recursively): a whole pattern
        "@name" by each of them, "@name" inside a pattern by a group of them all."""
        out: list[str] = []
        for pattern in patterns:
            if pattern.startswith("@") and _INLINE.fullmatch(pattern):
                out.extend(self._concept(pattern[1:], where, seen))
            elif "@" in pattern:
                out.append(_INLINE.sub(lambda m: self._group(m[1], where, seen), pattern))
            else:
                out.append(pattern)
        return out

    def _concept(self, name: str, where: str, seen: tuple[str, ...]) -> list[str]:
        if name not in self.concepts:
            raise self.fail(where, f"unknown concept '@{name}'")
        if name in seen:
            raise self.fail(where, f"concept '@{name}' refers to itself")
        inner = self.strings(self.concepts[name], f"concept {name!r}")
        return self.expand(inner, f"concept {name!r}", (*seen, name))

    def _group(self, name: str, where: str, seen: tuple[str, ...]) -> str:
        alternatives = sorted(self._concept(name, where, seen), key=len, reverse=True)
        return "(?:" + "|".join(alternatives) + ")"

    def compile(self, value: Any, where: str) -> re.Pattern[str]:
        """One pattern matching any of `value`'s patterns, as whole words."""
        patterns = self.expand(self.strings(value, where), where)
        if not patterns:
            raise self.fail(where, "is empty")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise self.fail(where, f"bad pattern {pattern!r}: {error}") from error
        patterns.sort(key=len, reverse=True)  # longer phrases win at the same position
        return re.compile(self.edge.format("|".join(patterns)))

    def rule(self, raw: Any, index: int) -> Rule:
        raw = self._with_base(raw)
        rule_id = self._check_rule(raw, index)
        where = f"rule {rule_id!r}"
        groups = raw.get("with", [])
        if not isinstance(groups, list):
            raise self.fail(where, "field 'with' must be a list of lists")
        find = self.compile(raw.get("find"), f"{where} field 'find'")
        self._check_width(raw["find"], where)
        with_ = tuple(self.compile(group, f"{where} field 'with'") for group in groups)
        unless = raw.get("unless")
        return Rule(
            id=rule_id,
            name=raw["name"],
            level=Level(raw["level"]),
            find=find,
            with_=with_,
            unless=self.compile(unless, f"{where} field 'unless'") if unless else None,
            rationale=raw["rationale"],
            source=raw["source"],
            crisis=raw.get("advice") == "crisis",
            lasting=raw.get("lasting") is True,
            keys=_required_keys(find, *with_),
            find_keys=required_literals(find.pattern),
        )

    def _with_base(self, raw: Any) -> Any:
        """The rule with the name, rationale, source, advice and `lasting` of the base rule of
        its id, where it gives none of its own."""
        if not isinstance(raw, dict) or raw.get("id") not in self.base:
            return raw
        same = self.base[raw["id"]]
        given: dict[str, Any] = {"name": same.name, "rationale": same.rationale}
        given |= {"source": same.source, "lasting": same.lasting}
        if same.crisis:
            given["advice"] = "crisis"
        return {**given, **raw}

    def _check_width(self, patterns: list[str], where: str) -> None:
        """Matches must fit in the stretch scanned around a rule's literal strings."""
        for pattern in self.expand(patterns, where):
            if max_width(pattern) > MATCH_REACH:
                message = f"pattern {pattern!r} can match more than {MATCH_REACH} characters"
                raise self.fail(f"{where} field 'find'", message)

    def _check_rule(self, raw: Any, index: int) -> str:
        """Check a rule's scalar fields; return its id."""
        if not isinstance(raw, dict):
            raise self.fail(f"rule #{index}", "must be a table")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
            raise self.fail(f"rule #{index}", f"id {rule_id!r} must look like 'family.name'")
        where = f"rule {rule_id!r}"
        for key in ("name", "rationale", "source"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise self.fail(where, f"field {key!r} must be a non-empty string")
        if raw.get("level") not in ("emergency", "urgent"):
            raise self.fail(where, f"level {raw.get('level')!r} must be 'emergency' or 'urgent'")
        if raw.get("advice") not in (None, "crisis"):
            raise self.fail(where, f"advice {raw['advice']!r} must be 'crisis' or absent")
        return rule_id

    def cues(self) -> Cues:
        table = self._table("modifiers")
        settings = self._table("settings")
        compiled: dict[str, Any] = {}
        for kind in _CUE_KINDS:
            compiled[kind] = self.compile(table.get(kind), f"[modifiers] {kind}")
        breaks = self.compile(table.get("clause_break"), "[modifiers] clause_break")
        compiled["sentence"] = re.compile(_SENTENCE_END)
        compiled["clause"] = re.compile(rf"{_SENTENCE_END}|\s[-–—]+\s|{breaks.pattern}")
        for key in _WINDOWS:
            value = settings.get(key)
            if not isinstance(value, int) or value < 0:
                raise self.fail(f"[settings] {key}", "must be a non-negative integer")
            compiled[key] = value
        return Cues(**compiled)

    def spelling(self) -> Spelling:
        table = self._table("spelling")
        words: dict[str, str] = {}
        for correct, variants in table.get("words", {}).items():
            for variant in self.strings(variants, f"[spelling.words] {correct}"):
                if not _TOKEN.fullmatch(variant):
                    raise self.fail(f"[spelling.words] {correct}", f"{variant!r} is not one word")
                words[variant] = correct
        fuzzy = table.get("fuzzy", {})
        keep = set(words.values()) | set(self.strings(fuzzy.get("not_typos", []), "not_typos"))
        targets = self.strings(fuzzy.get("words", []), "[spelling.fuzzy] words")
        keep |= set(targets)
        for variant, correct in _fuzzy_variants(targets).items():
            if variant not in keep:
                words.setdefault(variant, correct)
        phrases = {
            variant: correct
            for correct, variants in table.get("phrases", {}).items()
            for variant in self.strings(variants, f"[spelling.phrases] {correct}")
        }
        pattern = None
        if phrases:
            alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
            pattern = re.compile(self.edge.format(alternatives))
        return Spelling(words, phrases, pattern)


def _required_keys(*patterns: re.Pattern[str]) -> tuple[Keys, ...]:
    """For each pattern that has them, the literal strings one of which it cannot match without."""
    found = (required_literals(pattern.pattern) for pattern in patterns)
    return tuple(sorted((keys for keys in found if keys), key=selectivity, reverse=True))


def _slips(word: str) -> set[str]:
    """One-letter slips of `word`: dropped, doubled, swapped; replaced or added if 7+ letters."""
    out: set[str] = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    if len(word) >= 7:
        for i in range(len(word) + 1):
            for letter in "abcdefghijklmnopqrstuvwxyz":
                out.add(word[:i] + letter + word[i + 1 :])
                out.add(word[:i] + letter + word[i:])
    out.discard(word)
    return out


def _fuzzy_variants(targets: Iterable[str]) -> dict[str, str]:
    """Map each slip to its word; slips shared by two words are dropped as ambiguous."""
    found: dict[str, str] = {}
    ambiguous: set[str] = set()
    for word in targets:
        if len(word) < 6:
            continue
        for slip in _slips(word):
            if slip in found and found[slip] != word:
                ambiguous.add(slip)
            found[slip] = word
    return {slip: word for slip, word in found.items() if slip not in ambiguous}
