"""Lay terms: the words people use ("the coil", "water pill", "I'm diabetic") mapped to the
words the knowledge base uses ("intrauterine device", "diuretics", "diabetes"), so that search
finds answers written in the other vocabulary.

The table is data, `lay_terms.toml` beside this module (where each entry comes from and how it
was checked is written at its top); a site can load its own file in the same format with
`load_terms`. Matching is case-insensitive and on whole words, longer phrases first, and a
phrase also matches with a plural ending ("water pills").

The shipped `expand` also gives the generic name of a drug named by its brand or another
spelling ("Advil" -> ibuprofen, "acetominophen" -> acetaminophen) and MeSH's name of a disease
named otherwise, from the dictionaries of `names.py`; each such expansion says its dictionary
entry. Only names with a word that is not English count ("Plan B" and "Emend" do not), and
the table wins where both name the same words.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from healthqa.search import names as dictionary
from healthqa.search.focus import english_words
from healthqa.search.names import NameMapping
from healthqa.search.words import stem, tokens

TERMS_FILE = Path(__file__).with_name("lay_terms.toml")
_KEYS = {"lay", "medical", "note"}
_LONGEST_NAME = 6  # words: longer dictionary names are chemical names no one types


class LayTermsError(Exception):
    """The lay-terms file cannot be read or breaks the format; the message names the entry."""


@dataclass(frozen=True)
class LayTerm:
    """One entry: the ways people say it, the knowledge base's words for it, and why."""

    lay: tuple[str, ...]
    medical: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Expansion:
    """A lay phrase found in a question: `term` as written there, at `start:end`, and the
    knowledge base's words for it; `mapping`, when a drug or disease dictionary gave them
    rather than the lay-terms table, which entry."""

    term: str
    expansions: tuple[str, ...]
    start: int
    end: int
    mapping: NameMapping | None = None


@dataclass(frozen=True)
class Vocabulary:
    """A compiled lay-terms table: one regular expression, longest phrases first."""

    terms: tuple[LayTerm, ...]
    pattern: re.Pattern[str] | None
    medical: dict[str, tuple[str, ...]]  # lower-case lay phrase -> medical terms

    def expand(self, text: str) -> list[Expansion]:
        """The lay phrases in `text`, left to right, never overlapping."""
        if self.pattern is None:
            return []
        out = []
        for m in self.pattern.finditer(text):
            out.append(Expansion(m.group(), self.medical[_key(m["phrase"])], m.start(), m.end()))
        return out


def load_terms(path: Path = TERMS_FILE) -> Vocabulary:
    """The lay-terms table in `path`, checked and compiled."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayTermsError(f"{path}: cannot read the lay-terms file ({exc})") from exc
    terms = tuple(_term(path, i, entry) for i, entry in enumerate(data.get("term", []), 1))
    return compile_terms(terms)


def compile_terms(terms: tuple[LayTerm, ...]) -> Vocabulary:
    """One alternation of every lay phrase, longest first, so "the coil" wins over "coil"; each
    phrase may end in "s" or "es", its words may be joined by spaces or hyphens, and its
    apostrophes may be left out ("can't", "cant")."""
    medical: dict[str, tuple[str, ...]] = {}
    written: dict[str, None] = {}
    for term in terms:
        for phrase in term.lay:
            key = _key(phrase)
            medical[key] = tuple(dict.fromkeys(medical.get(key, ()) + term.medical))
            written[" ".join(phrase.lower().split())] = None
    if not medical:
        return Vocabulary(terms, None, medical)
    alternatives = [_phrase_pattern(p) for p in sorted(written, key=lambda p: (-len(p), p))]
    pattern = re.compile(
        r"(?<![\w'’])(?P<phrase>" + "|".join(alternatives) + r")(?:e?s)?(?![\w'’])", re.IGNORECASE
    )
    return Vocabulary(terms, pattern, medical)


def _key(phrase: str) -> str:
    """A phrase as the table knows it: lower case, single spaces, no apostrophes or hyphens."""
    return " ".join(re.split(r"[\s\-]+", re.sub(r"['’]", "", phrase.lower()).strip()))


def _phrase_pattern(phrase: str) -> str:
    words = re.split(r"[\s\-]+", phrase)
    return r"[\s\-]+".join(re.escape(w).replace("'", "['’]?") for w in words)


def _term(path: Path, number: int, entry: object) -> LayTerm:
    where = f"{path}: term {number}"
    if not isinstance(entry, dict):
        raise LayTermsError(f"{where}: must be a table with 'lay' and 'medical'")
    if unknown := set(entry) - _KEYS:
        raise LayTermsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    lay, medical, note = entry.get("lay"), entry.get("medical"), entry.get("note", "")
    for name, value in (("lay", lay), ("medical", medical)):
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise LayTermsError(f"{where}: '{name}' must be a non-empty list of phrases")
    if not isinstance(note, str):
        raise LayTermsError(f"{where}: 'note' must be a string")
    assert isinstance(lay, list) and isinstance(medical, list)
    return LayTerm(tuple(lay), tuple(medical), note)


@cache
def _shipped() -> Vocabulary:
    return load_terms()


def expand(text: str) -> list[Expansion]:
    """The lay phrases in `text` with the knowledge base's words for them (shipped table),
    and the drug and disease names with their dictionaries' canonical names; left to right,
    never overlapping."""
    table = _shipped().expand(text)
    taken = [(e.start, e.end) for e in table]
    names = [e for e in expand_names(text) if not any(e.start < b and a < e.end for a, b in taken)]
    return sorted(table + names, key=lambda e: e.start)


def expand_names(text: str) -> list[Expansion]:
    """The drug and disease names in `text` that their dictionary calls otherwise, with that
    canonical name: longest name first, as written (case and punctuation aside), never fuzzy."""
    known, firsts = _dictionary_names()
    found = tokens(text)
    out = []
    i = 0
    while i < len(found):
        step = 1
        if found[i].fold in firsts:
            for n in range(min(_LONGEST_NAME, len(found) - i), 0, -1):
                mapping = known.get(tuple(t.fold for t in found[i : i + n]))
                if mapping:
                    start, end = found[i].start, found[i + n - 1].end
                    canonical = _uninverted(mapping.canonical.lower())
                    out.append(Expansion(text[start:end], (canonical,), start, end, mapping))
                    step = n
                    break
        i += step
    return out


@cache
def _dictionary_names() -> tuple[dict[tuple[str, ...], NameMapping], frozenset[str]]:
    """Every distinctive dictionary name that says something its canonical name does not
    (not "alzheimer's disease" for Alzheimer Disease), by its folded words; and their first
    words. Built on first use: about 3 s, most of it reading the dictionaries."""
    english = english_words()
    known: dict[tuple[str, ...], NameMapping] = {}
    for book in dictionary.dictionaries():
        for name, canonicals in book.variants.items():
            if len(canonicals) != 1 or "," in name:
                continue
            if not dictionary.distinctive(name, english, canonicals[0]):
                continue
            words = tuple(t.fold for t in tokens(name))
            canonical = {stem(t.fold) for t in tokens(canonicals[0])}
            if len(words) <= _LONGEST_NAME and not canonical <= {stem(w) for w in words}:
                known.setdefault(words, dictionary.mapping(book, name, canonicals[0]))
    return known, frozenset(words[0] for words in known)


def _uninverted(name: str) -> str:
    """MeSH's "stomatitis, herpetic" as people write it: "herpetic stomatitis"."""
    head, comma, tail = name.partition(", ")
    return f"{tail} {head}" if comma and "," not in tail else name
