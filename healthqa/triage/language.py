"""Which language is a message in, as far as triage is concerned? Triage reads English, Spanish
and Chinese (each with its own rules); a message in another language, in another script, or of
symbols alone gets the emergency numbers and a line saying healthqa could not check it for
urgent signs, instead of a silent "routine".
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

LANGUAGES_PATH = Path(__file__).with_name("languages.toml")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# The languages triage has rules for, besides English (rules_<code>.toml).
COVERED = ("es", "zh")


@cache
def _lists() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The function-word lists of languages.toml, and its [more] lists."""
    data = tomllib.loads(LANGUAGES_PATH.read_text(encoding="utf-8"))
    lists = {name: set(words.split()) for name, words in data.items() if isinstance(words, str)}
    more = {name: set(words.split()) for name, words in data.get("more", {}).items()}
    return lists, more


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """Each language's function words, without those two languages share."""
    lists = _lists()[0]
    shared = {w for a in lists for b in lists if a < b for w in lists[a] & lists[b]}
    return {name: frozenset(words - shared) for name, words in lists.items()}


@cache
def _spanish_words() -> frozenset[str]:
    """Words that mark Spanish, without accents: its function words and [more].spanish, less
    any word of another language's list ("que" is French too, "está" Portuguese)."""
    lists, more = _lists()
    others = {fold(w) for name, words in lists.items() if name != "spanish" for w in words}
    words = {fold(w) for w in lists["spanish"] | more.get("spanish", set())}
    return frozenset(words - others)


@cache
def _rivals() -> dict[str, frozenset[str]]:
    """The other languages' function words that are not Spanish words too: those count for
    neither side."""
    lists, more = _lists()
    spanish = {fold(w) for w in lists["spanish"] | more.get("spanish", set())}
    return {
        name: frozenset(w for w in words if fold(w) not in spanish)
        for name, words in _function_words().items()
        if name != "spanish"
    }


def english_words() -> frozenset[str]:
    """English function words ("the", "my", "i"): never a reason shown to the reader."""
    return _function_words()["english"]


def fold(text: str) -> str:
    """`text` without accents and diacritics ("está" -> "esta", "niño" -> "nino")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


def _chinese(letters: list[str]) -> bool:
    """Mostly Chinese characters, and no Japanese kana or Korean hangul among them."""
    han = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in letters)
    kana_or_hangul = any("\u3040" <= c <= "\u30ff" or "\uac00" <= c <= "\ud7af" for c in letters)
    return han * 2 > len(letters) and not kana_or_hangul


def _spanish(text: str) -> bool:
    """More words that mark Spanish than English or any other listed language's words: one is
    enough in a short message ("no puedo respirar"), where English has none."""
    words = [fold(w.lower()) for w in _WORD.findall(text)]
    spanish = sum(w in _spanish_words() for w in words)
    if spanish == 0:
        return False
    return all(spanish > sum(w in found for w in words) for found in _rivals().values())


def language(text: str) -> str | None:
    """The language whose rules read `text` ("en", "es", "zh"); None when triage cannot read it."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    if _chinese(letters):
        return "zh"
    if _spanish(text):
        return "es"
    return "en" if readable(text) else None
