"""Words as question understanding reads them: a text's tokens with their offsets, folded
(lower case, no accents or apostrophes) and stemmed (no plural ending), and the word lists that
say which words name nothing on their own. The lists are data, `words.toml` beside this module.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path
from typing import NamedTuple

WORDS_FILE = Path(__file__).with_name("words.toml")

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


class Token(NamedTuple):  # a tuple: built for every word of every question, so cheap
    text: str  # as written
    fold: str  # lower case, without accents or apostrophes: "Sjögren's" -> "sjogrens"
    key: str  # fold without a plural ending: what names are matched on ("sjogren")
    start: int
    end: int


def fold(word: str) -> str:
    """Lower case without accents or apostrophes, so "Raynaud's" and "raynauds" meet."""
    if word.isascii():
        return word.lower().replace("'", "")
    word = unicodedata.normalize("NFKD", word.casefold())
    return (
        "".join(c for c in word if not unicodedata.combining(c)).replace("'", "").replace("’", "")
    )


def stem(word: str) -> str:
    """A folded word without its plural ending ("iuds" -> "iud", "allergies" -> "allergy").

    Crude on purpose ("diabetes" -> "diabete"): both names and questions go through it, so it
    only has to be consistent, and it never merges two different words a person would use."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[Token]:
    """The words of `text` with their character offsets."""
    out = []
    for m in _WORD.finditer(text):
        folded = fold(m.group())
        if folded:
            out.append(Token(m.group(), folded, stem(folded), m.start(), m.end()))
    return out


def is_acronym(word: str) -> bool:
    """Written like an acronym ("CP", "ADHD", "ChILD", "A1C"): at least half its letters are
    capitals, and it has two characters or more."""
    letters = [c for c in word if c.isalpha()]
    uppers = sum(c.isupper() for c in letters)
    return len(word) >= 2 and uppers > 0 and uppers * 2 >= len(letters)


def _word_lists(path: Path = WORDS_FILE) -> dict[str, frozenset[str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: frozenset(words.split()) for name, words in data.items()}


_LISTS = _word_lists()
STOP_WORDS = _LISTS["stop_words"]  # English function words ("the", "is", "my")
COMMON_WORDS = _LISTS["common_words"]  # focus names that name no topic alone ("speed", "period")
COMMON_ACRONYMS = _LISTS["common_acronyms"]  # everyday abbreviations, never a focus ("MG", "PT")
LOWERCASE_ACRONYMS = _LISTS["lowercase_acronyms"]  # acronyms also matched in lower case ("adhd")
