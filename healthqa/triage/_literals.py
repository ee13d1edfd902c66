"""Literal strings a regular expression cannot match without: a cheap test before the scan.

Python's regex engine cannot skip ahead in a pattern that starts with a look-behind or a group,
so scanning a message with 70 rule patterns costs about half a millisecond. Instead, each rule
gets the set of literal strings one of which any match must contain ("chest", "suicid", ...),
read from the pattern's parse tree; one pass of a trie-shaped pattern finds which of these
strings a message contains, and only the rules whose strings are present are scanned.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

# The standard library's regular-expression parser (what re.compile uses); private but stable.
_PARSER: Any = importlib.import_module("re._parser")
_MIN_LENGTH = 3
Keys = frozenset[str]


def required_literals(pattern: str) -> Keys | None:
    """Strings one of which every match of `pattern` contains; None if there is no such set."""
    try:
        tree = _PARSER.parse(pattern)
    except re.error:
        return None
    return _sequence(tree.data)


def max_width(pattern: str, word: int = 25) -> int:
    """The longest text `pattern` can match, counting an open-ended run (\\w*, \\d+) as a word.

    Used to check that a rule's matches stay within the stretch scanned around its strings;
    a pattern that is open-ended in another way (.*) reports a huge width.
    """
    bounded = pattern
    for open_ended, limit in ((r"\w*", "{0,%d}"), (r"\w+", "{1,%d}"), (r"\d+", "{1,%d}")):
        bounded = bounded.replace(open_ended, open_ended[:2] + limit % word)
    return int(_PARSER.parse(bounded).getwidth()[1])


def best(candidates: Iterable[Keys | None]) -> Keys | None:
    """The most selective set: the longest shortest string, then the fewest strings."""
    chosen: Keys | None = None
    for keys in candidates:
        if keys and (chosen is None or selectivity(keys) > selectivity(chosen)):
            chosen = keys
    return chosen


def selectivity(keys: Keys) -> tuple[int, int]:
    """Longer shortest strings, then fewer strings, are more selective."""
    return min(map(len, keys)), -len(keys)


def _sequence(items: list[tuple[Any, Any]]) -> Keys | None:
    """Keys for a sequence of regex items: the best of its literal runs and required parts."""
    candidates: list[Keys | None] = []
    run: list[tuple[Any, Any]] = []
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            run.append((op, value))
            continue
        candidates.append(_run(run))
        if name == "SUBPATTERN":
            candidates.append(_sequence(value[3].data))
        elif name == "BRANCH":  # the parser moves a shared first letter out: m(onths?|ths?)
            candidates.append(_branch(value[1], run))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            candidates.append(_sequence(value[2].data))
        elif name == "ATOMIC_GROUP":
            candidates.append(_sequence(value.data))
        run = []
    candidates.append(_run(run))
    return best(candidates)


def _run(run: list[tuple[Any, Any]]) -> Keys | None:
    """A run of literal characters, if long enough to be selective (digits count double)."""
    text = "".join(chr(value) for _, value in run)
    selective = len(text) >= _MIN_LENGTH or (len(text) == 2 and any(c.isdigit() for c in text))
    return frozenset({text}) if selective else None


def _branch(alternatives: list[Any], prefix: list[tuple[Any, Any]]) -> Keys | None:
    """Every alternative needs keys of its own (the literals just before count too)."""
    keys: set[str] = set()
    for alternative in alternatives:
        found = _sequence([*prefix, *alternative.data])
        if found is None:
            return None
        keys |= found
    return frozenset(keys)


class KeyFinder:
    """Finds where many literal strings occur in a text, in one regex pass.

    The strings are compiled into a trie-shaped pattern inside a look-ahead, so it reports the
    longest string starting at each position; the shorter strings that are prefixes of it are
    added from a table.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        unique = sorted(set(keys))
        self.pattern = re.compile(f"(?=({_trie(unique)}))") if unique else None
        self.prefixes: Mapping[str, Keys] = {
            key: frozenset(k for k in unique if key.startswith(k)) for key in unique
        }

    def locate(self, text: str) -> dict[str, list[int]]:
        """Each key found in `text`, with the positions where it starts."""
        where: dict[str, list[int]] = {}
        if self.pattern is not None:
            for match in self.pattern.finditer(text):
                for key in self.prefixes[match[1]]:
                    where.setdefault(key, []).append(match.start())
        return where


def windows(text: str, positions: Iterable[int], reach: int) -> list[tuple[int, int]]:
    """Merged stretches of `text` within `reach` characters of the positions, cut at word ends.

    A match that contains a key starts at most `reach` before it and ends at most `reach` after,
    so scanning these stretches finds every match a scan of the whole text would.
    """
    spans: list[tuple[int, int]] = []
    for position in sorted(positions):
        lo, hi = max(0, position - reach), min(len(text), position + reach)
        while hi < len(text) and text[hi].isalnum():
            hi += 1
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


def _trie(words: list[str]) -> str:
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(root)


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" not in node:
        return body
    return f"(?:{body})?" if len(branches) == 1 else f"{body}?"
