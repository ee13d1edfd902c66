"""Topics: the fixed list of topics and the ordered rules that give every question one.

The data lives in `topics.toml` beside this module (`docs/topics.md` explains it); a site can
point `load_rules` at its own file in the same format. Rules are grouped in layers, tried in
file order, and the first rule that matches decides; if none does, the file's `fallback` topic
is used. A rule matches when all of its conditions hold:

- `keywords`: regular-expression fragments, case-insensitive and matched as whole words, looked
  for in the text fields its layer names (`focus`, `synonyms`, `title`), one field at a time;
- `sources`: the hint's source key is one of these (case-insensitive);
- `semantic_types`: the focus has one of these UMLS semantic types;
- `categories`: the focus category is one of these (`Disease`, `Drug`, `Other`).

`assign` runs for every imported question (47,000 of them for MedQuAD), so each rule's keywords
are compiled once, and a rule's regex only runs when the text has a word start or a part that
one of its keywords needs (see `_Keywords`).
"""

from __future__ import annotations

import functools
import pathlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PACKAGED_FILE = pathlib.Path(__file__).with_name("topics.toml")
TEXT_FIELDS = ("focus", "synonyms", "title")
_TOP_KEYS = {"fallback", "topic", "layer"}
_TOPIC_KEYS = {"slug", "name", "description"}
_LAYER_KEYS = {"name", "match_in", "rule", "rules_from"}
_RULE_KEYS = {"topic", "keywords", "sources", "semantic_types", "categories"}
_WORD = re.compile(r"\w+")
_PLAIN_LEAD = re.compile(r"[\w' -]*")  # characters that match only themselves
_PREFIX = 6  # longest word start that gates a keyword


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class TopicHints:
    """What is known about a question when it is given a topic."""

    source: str
    focus: str = ""
    focus_category: str | None = None
    semantic_types: tuple[str, ...] = ()
    title: str = ""
    synonyms: tuple[str, ...] = ()


class TopicsFileError(Exception):
    """The topics file cannot be read or breaks the format; the message names file and entry."""


@dataclass(frozen=True)
class _Keywords:
    """A rule's keywords, split so that most rules are skipped without running a regex.

    Most keywords say what a match must contain: "pregnan\\w*" starts a word with "pregna",
    "\\w*carcinomas?" contains "carcinoma". The regex of those (`gated`) only runs when the text
    has such a word start (`words`) or part (`parts`); the rest (`always`) always run.
    """

    gated: re.Pattern[str] | None
    words: frozenset[str]
    parts: tuple[str, ...]
    always: re.Pattern[str] | None

    def search(self, text: str, lowered: str, words: frozenset[str]) -> re.Match[str] | None:
        """The first keyword match in `text`, given its lowercase and `_word_starts`."""
        if self.gated and (
            not self.words.isdisjoint(words) or any(part in lowered for part in self.parts)
        ):
            match = self.gated.search(text)
            if match:
                return match
        return self.always.search(text) if self.always else None


@dataclass(frozen=True)
class _Rule:
    label: str  # "layer 'x' rule 3": where the rule is written
    topic: str
    keywords: _Keywords | None
    sources: frozenset[str]
    semantic_types: frozenset[str]
    categories: frozenset[str]

    def accepts(self, hints: TopicHints) -> bool:
        """Whether the conditions other than keywords hold."""
        if self.sources and hints.source.casefold() not in self.sources:
            return False
        if self.semantic_types and self.semantic_types.isdisjoint(hints.semantic_types):
            return False
        return not self.categories or (hints.focus_category or "").casefold() in self.categories


class _Layer:
    """Rules tried in order; keyword rules are indexed by the word starts that gate them."""

    def __init__(self, name: str, match_in: tuple[str, ...], rules: tuple[_Rule, ...]) -> None:
        self.name = name
        self.match_in = match_in
        self.rules = rules
        self._by_word: dict[str, list[int]] = {}
        self._always_tried: set[int] = set()
        for position, rule in enumerate(rules):
            keywords = rule.keywords
            if keywords is None or keywords.parts or keywords.always:
                self._always_tried.add(position)
            for word in keywords.words if keywords else ():
                self._by_word.setdefault(word, []).append(position)

    def candidates(self, words: frozenset[str]) -> list[_Rule]:
        """In order, the rules that may match a text with these `_word_starts`."""
        positions = set(self._always_tried)
        for word in words & self._by_word.keys():
            positions.update(self._by_word[word])
        return [self.rules[position] for position in sorted(positions)]


@dataclass(frozen=True)
class _Decision:
    """Which rule fired, and on what; `rule` is None when the fallback was used."""

    topic: str
    layer: _Layer | None = None
    rule: _Rule | None = None
    field: str = ""
    matched: str = ""


class TopicRules:
    """The loaded topic list and rules; `assign` gives a question its topic slug."""

    def __init__(
        self, topics: list[Topic], layers: list[_Layer], fallback: str, path: pathlib.Path
    ) -> None:
        self.topics = topics
        self.fallback = fallback
        self.path = path
        self._layers = tuple(layers)

    def assign(self, hints: TopicHints) -> str:
        """The slug of the topic for `hints`: the first matching rule's, else the fallback."""
        return self._decide(hints).topic

    def explain(self, hints: TopicHints) -> str:
        """One line saying which rule decided the topic, for debugging and `--why`."""
        decision = self._decide(hints)
        if decision.layer is None or decision.rule is None:
            return f"{decision.topic}: no rule matched, fallback of {self.path.name}"
        where = decision.rule.label
        if not where.startswith(f"layer {decision.layer.name!r} "):
            where += f" (reused by layer {decision.layer.name!r})"
        if decision.field:
            return f"{decision.topic}: {where}, {decision.matched!r} in {decision.field}"
        return f"{decision.topic}: {where} ({_describe_conditions(decision.rule)})"

    def _decide(self, hints: TopicHints) -> _Decision:
        for layer in self._layers:
            decision = _decide_in_layer(layer, hints)
            if decision is not None:
                return decision
        return _Decision(self.fallback)


def _decide_in_layer(layer: _Layer, hints: TopicHints) -> _Decision | None:
    if not layer.match_in:
        for rule in layer.rules:
            if rule.accepts(hints):
                return _Decision(rule.topic, layer, rule)
        return None
    for field, text in _texts(hints, layer.match_in):
        lowered = text.lower()
        words = _word_starts(lowered)
        for rule in layer.candidates(words):
            if rule.keywords is None or not rule.accepts(hints):
                continue
            match = rule.keywords.search(text, lowered, words)
            if match:
                return _Decision(rule.topic, layer, rule, field, match.group())
    return None


def _texts(hints: TopicHints, fields: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for field in fields:
        if field == "synonyms":
            # A separator no keyword can span keeps one synonym's end off the next one's start.
            text = "\n".join(hints.synonyms)
        else:
            text = hints.focus if field == "focus" else hints.title
        if text:
            yield field, text


def _describe_conditions(rule: _Rule) -> str:
    parts = [
        f"{label} {', '.join(sorted(values))}"
        for label, values in (
            ("source", rule.sources),
            ("semantic type", rule.semantic_types),
            ("category", rule.categories),
        )
        if values
    ]
    return "; ".join(parts)


def load_rules(path: pathlib.Path | None = None) -> TopicRules:
    """Load topic rules from `path`, or the packaged `topics.toml` (cached) when None."""
    if path is None:
        return _load_packaged()
    return _parse_file(pathlib.Path(path))


@functools.lru_cache(maxsize=1)
def _load_packaged() -> TopicRules:
    return _parse_file(PACKAGED_FILE)


def _parse_file(path: pathlib.Path) -> TopicRules:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise TopicsFileError(f"{path}: cannot read topics file: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise TopicsFileError(f"{path}: not valid TOML: {error}") from error
    _check_keys(path, "the top level", data, _TOP_KEYS, _TOP_KEYS)
    topics = _parse_topics(path, _table_list(path, "the top level", data, "topic"))
    slugs = {topic.slug for topic in topics}
    fallback = _string(path, "the top level", data, "fallback")
    if fallback not in slugs:
        raise TopicsFileError(f"{path}: fallback {fallback!r} is not one of the topic slugs")
    layers: list[_Layer] = []
    for index, layer in enumerate(_table_list(path, "the top level", data, "layer"), 1):
        layers.append(_parse_layer(path, index, layer, slugs, layers))
    return TopicRules(topics, layers, fallback, path)


def _parse_topics(path: pathlib.Path, entries: list[dict[str, Any]]) -> list[Topic]:
    topics: list[Topic] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        where = f"topic {index} ({entry.get('slug', '?')})"
        _check_keys(path, where, entry, _TOPIC_KEYS, {"slug", "name"})
        slug = _string(path, where, entry, "slug")
        if slug in seen:
            raise TopicsFileError(f"{path}: {where}: duplicate slug {slug!r}")
        seen.add(slug)
        name = _string(path, where, entry, "name")
        description = _string(path, where, entry, "description") if "description" in entry else ""
        topics.append(Topic(slug, name, description))
    return topics


def _parse_layer(
    path: pathlib.Path, index: int, entry: dict[str, Any], slugs: set[str], earlier: list[_Layer]
) -> _Layer:
    where = f"layer {index} ({entry.get('name', '?')})"
    _check_keys(path, where, entry, _LAYER_KEYS, {"name"})
    name = _string(path, where, entry, "name")
    match_in = tuple(_strings(path, where, entry, "match_in"))
    unknown = [field for field in match_in if field not in TEXT_FIELDS]
    if unknown:
        raise TopicsFileError(
            f"{path}: {where}: match_in {unknown[0]!r} is not one of {', '.join(TEXT_FIELDS)}"
        )
    if ("rule" in entry) == ("rules_from" in entry):
        raise TopicsFileError(f"{path}: {where}: needs either [[layer.rule]] or rules_from")
    if "rules_from" in entry:
        rules = _reused_rules(path, where, _strings(path, where, entry, "rules_from"), earlier)
        if not match_in or any(rule.keywords is None for rule in rules):
            raise TopicsFileError(
                f"{path}: {where}: rules_from needs match_in and layers of keyword rules"
            )
        return _Layer(name, match_in, rules)
    parsed = []
    for number, rule in enumerate(_table_list(path, where, entry, "rule"), 1):
        label = f"layer {name!r} rule {number}"
        rule_where = f"{where} rule {number} ({rule.get('topic', '?')})"
        parsed.append(_parse_rule(path, rule_where, label, rule, slugs, bool(match_in)))
    return _Layer(name, match_in, tuple(parsed))


def _reused_rules(
    path: pathlib.Path, where: str, names: list[str], earlier: list[_Layer]
) -> tuple[_Rule, ...]:
    by_name = {layer.name: layer for layer in earlier}
    rules: list[_Rule] = []
    for name in names:
        if name not in by_name:
            raise TopicsFileError(f"{path}: {where}: rules_from {name!r} is not an earlier layer")
        rules.extend(by_name[name].rules)
    return tuple(rules)


def _parse_rule(
    path: pathlib.Path,
    where: str,
    label: str,
    entry: dict[str, Any],
    slugs: set[str],
    has_text: bool,
) -> _Rule:
    _check_keys(path, where, entry, _RULE_KEYS, {"topic"})
    topic = _string(path, where, entry, "topic")
    if topic not in slugs:
        raise TopicsFileError(f"{path}: {where}: unknown topic {topic!r}")
    keywords = _strings(path, where, entry, "keywords")
    if has_text != bool(keywords):
        needs = "needs keywords (the layer has match_in)" if has_text else "has keywords"
        raise TopicsFileError(f"{path}: {where}: {needs}; only layers with match_in use keywords")
    conditions = {
        key: frozenset(value.casefold() for value in _strings(path, where, entry, key))
        for key in ("sources", "semantic_types", "categories")
    }
    if not keywords and not any(conditions.values()):
        raise TopicsFileError(f"{path}: {where}: a rule needs at least one condition")
    return _Rule(
        label,
        topic,
        _compile_keywords(path, where, keywords) if keywords else None,
        conditions["sources"],
        frozenset(value.upper() for value in conditions["semantic_types"]),
        conditions["categories"],
    )


def _compile_keywords(path: pathlib.Path, where: str, keywords: list[str]) -> _Keywords:
    gated: list[str] = []
    words: set[str] = set()
    parts: set[str] = set()
    always: list[str] = []
    for keyword in keywords:
        try:
            re.compile(keyword)
        except re.error as error:
            raise TopicsFileError(f"{path}: {where}: bad keyword {keyword!r}: {error}") from error
        gate = _gate(keyword)
        if gate is None:
            always.append(keyword)
            continue
        gated.append(keyword)
        kind, text = gate
        (words if kind == "word" else parts).add(text)
    return _Keywords(
        _whole_words(gated), frozenset(words), tuple(sorted(parts)), _whole_words(always)
    )


def _whole_words(keywords: list[str]) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # Lookarounds rather than \b, so keywords may start or end with punctuation ("c-section").
    return re.compile(r"(?<!\w)(?:" + "|".join(keywords) + r")(?!\w)", re.IGNORECASE)


def _gate(keyword: str) -> tuple[str, str] | None:
    """What every match of `keyword` must contain, or None if that cannot be told simply.

    A keyword starting with plain text ("low blood pressure") matches that text; every word in
    it starts a word of the matched text (matches start words, see `_whole_words`), so one of
    them ("pressu", up to `_PREFIX` letters) is the gate. After a leading "\\w*" the plain
    text may end a word ("\\w*carcinoma"), so without a later word the text itself is the gate.
    """
    if _is_alternation(keyword):
        return None
    rest = _skip_assertions(keyword)
    starts_word = not rest.startswith(("\\w*", "\\w+"))
    if not starts_word:
        rest = _skip_assertions(rest[3:])
    lead = _PLAIN_LEAD.match(rest)
    plain = lead.group() if lead else ""
    if rest[len(plain) : len(plain) + 1] in ("?", "*", "{"):  # the last plain letter is optional
        plain = plain[:-1]
    plain = plain.lower()
    words = [
        word.group()[:_PREFIX] for word in _WORD.finditer(plain) if word.start() > 0 or starts_word
    ]
    if words:  # the first word, unless a later one is longer than a short one like "low"
        return "word", words[0] if len(words[0]) > 3 else max(words, key=len)
    return ("part", plain) if len(plain) >= 3 else None


def _word_starts(text: str) -> frozenset[str]:
    """Every start of every word of `text`, up to `_PREFIX` letters: the keys of `_gate`."""
    return frozenset(
        word[:length] for word in _WORD.findall(text) for length in range(1, _PREFIX + 1)
    )


def _skip_assertions(keyword: str) -> str:
    """`keyword` without the "^" anchors and lookarounds it starts with, which match no text."""
    while keyword.startswith(("^", "(?=", "(?!", "(?<=", "(?<!")):
        keyword = keyword[1:] if keyword[0] == "^" else keyword[_group_end(keyword) :]
    return keyword


def _group_end(keyword: str) -> int:
    """The index after the parenthesis closing the group `keyword` starts with."""
    depth = 0
    for index, char in _unescaped(keyword):
        if char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return index + 1
    return len(keyword)


def _is_alternation(keyword: str) -> bool:
    """Whether `keyword` is itself an alternation ("a|b"), which has no single first word."""
    depth = 0
    for _, char in _unescaped(keyword):
        if char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


def _unescaped(keyword: str) -> Iterator[tuple[int, str]]:
    """The characters of `keyword` that are regex syntax: not escaped, not in a [class]."""
    escaped = in_class = False
    for index, char in enumerate(keyword):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            yield index, char


def _check_keys(
    path: pathlib.Path, where: str, entry: dict[str, Any], allowed: set[str], required: set[str]
) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise TopicsFileError(f"{path}: {where}: unknown field {unknown[0]!r}")
    missing = sorted(required - set(entry))
    if missing:
        raise TopicsFileError(f"{path}: {where}: missing field {missing[0]!r}")


def _table_list(
    path: pathlib.Path, where: str, entry: dict[str, Any], key: str
) -> list[dict[str, Any]]:
    value = entry[key]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TopicsFileError(f"{path}: {where}: {key!r} must be an array of tables ([[{key}]])")
    return value


def _string(path: pathlib.Path, where: str, entry: dict[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise TopicsFileError(f"{path}: {where}: {key!r} must be a non-empty string")
    return value


def _strings(path: pathlib.Path, where: str, entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise TopicsFileError(f"{path}: {where}: {key!r} must be a list of non-empty strings")
    return value
