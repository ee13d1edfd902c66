"""Can triage read this message? It reads English only: a message in another language, in
another script, or of symbols alone gets the emergency numbers and a line saying healthqa could
not check it for urgent signs, instead of a silent "routine".
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

LANGUAGES_PATH = Path(__file__).with_name("languages.toml")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """Each language's function words, without those two languages share."""
    data = tomllib.loads(LANGUAGES_PATH.read_text(encoding="utf-8"))
    lists = {name: set(words.split()) for name, words in data.items()}
    shared = {w for a in lists for b in lists if a < b for w in lists[a] & lists[b]}
    return {name: frozenset(words - shared) for name, words in lists.items()}


def english_words() -> frozenset[str]:
    """English function words ("the", "my", "i"): never a reason shown to the reader."""
    return _function_words()["english"]


def readable(text: str) -> bool:
    """True when the message is English as far as triage can tell.

    Unreadable: no letters at all ("???", emoji); more letters outside the Latin alphabet than
    in it (Chinese, Arabic, Cyrillic); or, from four words on, more function words of another
    language than of English. Short English ("chest pain") is readable.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters)
    if latin * 2 < len(letters):
        return False
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 4:
        return True
    lists = _function_words()
    english = sum(w in lists["english"] for w in words)
    other = max(
        sum(w in found for w in words) for name, found in lists.items() if name != "english"
    )
    return english >= other
