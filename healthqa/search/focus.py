"""Focus matching: which of the knowledge base's focus names (diseases, drugs, tests and their
synonyms) a person's question names. No database: the caller feeds the focus vocabulary in.

`FocusMatcher` matches longest name first, case-, punctuation- and plural-tolerant, and it
corrects misspelt words ("hemochromotosis", "alzhimers") before matching. Which words are
English, hence never misspellings, and how rare each is, comes from the word list in
`understand.npz` (see `model_file.py`); which names never match alone, from `words.py`.
Asked to, it also knows the drug and disease dictionaries' other names for the knowledge base's
foci ("tylenol" for Acetaminophen; `names.py`), each match saying which entry it came from.
See docs/understanding.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from healthqa.search import names as dictionary
from healthqa.search.model_file import MODEL_FILE, read_model, strings
from healthqa.search.names import NameMapping
from healthqa.search.words import (
    COMMON_ACRONYMS,
    COMMON_WORDS,
    LOWERCASE_ACRONYMS,
    STOP_WORDS,
    Token,
    fold,
    is_acronym,
    stem,
    tokens,
)

ACRONYM_SPECIFICITY = 7.0  # an acronym says about as much as a fairly rare disease name
EARLY_CHARS = 200  # names this close to the start (a subject line) count up to 1.5 times

_END = ""  # the trie key under which a complete name's key is stored (no token is empty)
_MEMO_LIMIT = 50_000


@dataclass(frozen=True)
class _Lexicon:
    """The word list of the model file, as the matcher reads it."""

    common: frozenset[str]  # lower-case English words ("grave", "down", "malaria")
    known: frozenset[str]  # words spelt right: the common ones and proper nouns ("malaysia")
    idf: dict[str, float]  # log inverse document frequency in MedQuAD's answers
    unseen_idf: float  # the idf of a word no answer uses


@cache
def _lexicon(path: Path = MODEL_FILE) -> _Lexicon:
    data = read_model(path)
    words = strings(data["words"])
    kinds = data["word_kind"].tolist()  # 0 seen in answers only, 1 common word, 2 proper noun
    documents = float(data["documents"])
    idf = {
        w: math.log((documents + 1) / (df + 1))
        for w, df in zip(words, data["word_df"].tolist(), strict=True)
    }
    common = frozenset(w for w, k in zip(words, kinds, strict=True) if k == 1)
    known = common | frozenset(w for w, k in zip(words, kinds, strict=True) if k == 2)
    return _Lexicon(common, known, idf, math.log(documents + 1))


def english_words(path: Path = MODEL_FILE) -> frozenset[str]:
    """The lower-case English words of the model file's word list: what a drug or disease
    name must not be made of alone (`names.distinctive`)."""
    return _lexicon(path).common


@dataclass(frozen=True)
class FocusMatch:
    """One focus name found in a question. `name` is the vocabulary's spelling of what matched,
    `focus` the canonical focus it names, `start:end` the characters of the question that
    matched; `score` (0..1) is higher for rarer, repeated and earlier names; `corrected` says a
    misspelt word was corrected to make the match; `mapping`, for a name the knowledge base
    lacks and a drug or disease dictionary gave ("advil"), which dictionary entry it is."""

    name: str
    focus: str
    start: int
    end: int
    score: float
    corrected: bool
    mapping: NameMapping | None = None


@dataclass(frozen=True)
class _Span:
    first: int  # token indexes, end exclusive
    last: int
    entries: tuple[tuple[str, str], ...]  # (surface name, focus), preferred first
    corrected: bool
    acronym: bool = False


class FocusMatcher:
    """Finds focus names in text. Built once from (surface name, canonical focus) pairs, every
    focus and every synonym of the knowledge base (~31k for MedQuAD; under 1 s to build).

    Policy for short and ambiguous names: one-word names that are stop words or general words
    (COMMON_WORDS) never match alone; acronyms ("CP", "MS", "SAD", "ALL") match only as written
    in capitals, not inside a run of three capitalised words (a shouted message), and not at
    all when two-letter stop words ("AS", "IT") or everyday abbreviations (COMMON_ACRONYMS);
    the few in LOWERCASE_ACRONYMS ("adhd", "copd") also match in lower case. The lists are
    in words.toml.

    With `dictionaries`, a focus that the drug or disease dictionary knows by one of its names
    also matches by that entry's other names ("tylenol", "acetominophen" for Acetaminophen),
    as written only: they are never targets of spelling correction (look-alike drug names must
    not meet), never names the knowledge base already has, and never ordinary English ("Plan
    B", "Emend"; `names.distinctive`). The first build reads the dictionaries (about 3 s)."""

    def __init__(
        self,
        names: Iterable[tuple[str, str]],
        *,
        model_file: Path = MODEL_FILE,
        dictionaries: bool = False,
    ) -> None:
        self._lexicon = _lexicon(model_file)
        self._trie: dict[str, Any] = {}
        self._names: dict[Any, dict[tuple[str, str], None]] = {}  # key -> (name, focus) pairs
        self._words: Counter[str] = Counter()  # name words: the targets of spelling correction
        self._exact: set[str] = set()  # dictionary name words: matched as written, never fixed
        self._mappings: dict[tuple[str, str], NameMapping] = {}  # dictionary (name, focus)
        self._memo: dict[str, str | None] = {}
        pairs = list(names)
        for name, focus in pairs:
            for variant in _variants(name, self._lexicon.common):
                self._add(variant, (name, focus))
        if dictionaries:
            self._add_dictionary_names(pairs)
        self._entries = self._rank_entries()
        self._pools: dict[tuple[str, int], list[str]] = {}  # (first letter, length) -> words
        for word, _ in self._words.most_common():
            self._pools.setdefault((word[0], len(word)), []).append(word)

    def _add(self, variant: str, entry: tuple[str, str]) -> None:
        found = tokens(variant)
        if len(found) == 1 and is_acronym(found[0].text):
            self._add_acronym(found[0], entry)
            return
        key = tuple(t.key for t in found)
        if not _allowed(key):
            return
        self._insert(key, entry)
        self._words.update(w for t in found if t.fold.isalpha() for w in {t.fold, t.key})

    def _add_dictionary_names(self, pairs: Sequence[tuple[str, str]]) -> None:
        known = set(self._names)  # the knowledge base's own names win
        for (name, focus), mapping in _dictionary_names(pairs, self._lexicon.common).items():
            found = tokens(name)
            key = tuple(t.key for t in found)
            if key in known or not _allowed(key) or is_acronym(name):
                continue
            self._insert(key, (name, focus))
            self._mappings[(name, focus)] = mapping
            self._exact.update(t.fold for t in found)

    def _add_acronym(self, token: Token, entry: tuple[str, str]) -> None:
        if (len(token.text) == 2 and token.fold in STOP_WORDS) or token.text in COMMON_ACRONYMS:
            return
        self._names.setdefault(token.text, {})[entry] = None  # a str key: matched as written
        if token.fold in LOWERCASE_ACRONYMS:
            self._insert((token.key,), entry)

    def _insert(self, key: tuple[str, ...], entry: tuple[str, str]) -> None:
        node = self._trie
        for word in key:
            node = node.setdefault(word, {})
        node[_END] = key
        self._names.setdefault(key, {})[entry] = None

    def _rank_entries(self) -> dict[Any, tuple[tuple[str, str], ...]]:
        """Each name's foci, the likeliest first: the focus of that very name, then the focus
        whose rarest word is least rare in MedQuAD's answers (for "IBS", irritable bowel
        syndrome before ichthyosis bullosa of Siemens), then alphabetical."""
        rarity: dict[str, float] = {}
        ranked: dict[Any, tuple[tuple[str, str], ...]] = {}
        for key, entries in self._names.items():
            for _, focus in entries:
                if focus not in rarity:
                    rarity[focus] = self._rarity(focus)
            ranked[key] = tuple(
                sorted(entries, key=lambda e: (fold(e[0]) != fold(e[1]), rarity[e[1]], e[1]))
            )
        return ranked

    def _rarity(self, name: str) -> float:
        idf = self._lexicon.idf
        return max((idf.get(t.fold, self._lexicon.unseen_idf) for t in tokens(name)), default=0)

    def foci(self, name: str) -> list[str]:
        """Every canonical focus that `name` names, likeliest first (a synonym such as "Mono"
        can name several); empty when `name` is not in the vocabulary."""
        found = tokens(name)
        entries = self._entries.get(found[0].text, ()) if len(found) == 1 else ()
        entries = entries or self._entries.get(tuple(t.key for t in found), ())
        return list(dict.fromkeys(focus for _, focus in entries))

    def match(self, text: str) -> list[FocusMatch]:
        """The focus names in `text`, best first (see FocusMatch.score); the spans never
        overlap, and where two names overlap the longer one wins ("breast cancer" over
        "cancer"). Matches of the same focus share one score."""
        found = tokens(text)
        if not found or not self._names:
            return []
        keys, corrected = self._corrected_keys(found)
        spans = self._name_spans(keys, corrected) + self._acronym_spans(found)
        chosen = _non_overlapping(spans)
        return self._scored(chosen, found, keys)

    def _corrected_keys(self, found: Sequence[Token]) -> tuple[list[str], list[bool]]:
        keys, corrected = [], []
        for t in found:
            fixed = self._correct(t) if t.key not in self._trie else None
            keys.append(stem(fixed) if fixed else t.key)
            corrected.append(fixed is not None)
        return keys, corrected

    def _correct(self, token: Token) -> str | None:
        """The name word closest to a word that is neither a name word nor spelt right: same
        first letter, Levenshtein distance 1 for 4-7 letters, 2 from 8; or None."""
        word = token.fold
        if len(word) < 4 or not word.isalpha() or word in self._lexicon.known:
            return None
        if word in self._words or word in self._exact or is_acronym(token.text):
            return None
        if word not in self._memo:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            self._memo[word] = self._closest(word)
        return self._memo[word]

    def _closest(self, word: str) -> str | None:
        limit = 1 if len(word) <= 7 else 2
        best: tuple[str, int] | None = None
        for delta in sorted(range(-limit, limit + 1), key=abs):  # same length wins ties
            pool = self._pools.get((word[0], len(word) + delta))
            if not pool:
                continue
            hit = process.extractOne(word, pool, scorer=Levenshtein.distance, score_cutoff=limit)
            if hit and (best is None or hit[1] < best[1]):
                best = (hit[0], int(hit[1]))
        return best[0] if best else None

    def _name_spans(self, keys: Sequence[str], corrected: Sequence[bool]) -> list[_Span]:
        spans = []
        for i in range(len(keys)):
            node: Any = self._trie
            for j in range(i, len(keys)):
                node = node.get(keys[j])
                if node is None:
                    break
                if _END in node:
                    entries = self._entries[node[_END]]
                    spans.append(_Span(i, j + 1, entries, any(corrected[i : j + 1])))
        return spans

    def _acronym_spans(self, found: Sequence[Token]) -> list[_Span]:
        """Acronyms as written, plural "IUDs" included, unless the message shouts."""
        shouted = _shouted(found)
        spans = []
        for i, t in enumerate(found):
            if shouted[i]:
                continue
            text = t.text
            if text not in self._names and text.endswith("s") and is_acronym(text[:-1]):
                text = text[:-1]
            if text in self._names:
                spans.append(_Span(i, i + 1, self._entries[text], False, acronym=True))
        return spans

    def _scored(
        self, spans: Sequence[_Span], found: Sequence[Token], keys: Sequence[str]
    ) -> list[FocusMatch]:
        """Score = how rare the name's words are in MedQuAD's answers (a rare disease name says
        more than "pain"), raised when the focus recurs or comes early, lowered if corrected."""
        by_focus: dict[str, list[_Span]] = {}
        for span in spans:
            by_focus.setdefault(span.entries[0][1], []).append(span)
        score = {focus: self._focus_score(group, found, keys) for focus, group in by_focus.items()}
        out = [
            FocusMatch(
                name=s.entries[0][0],
                focus=s.entries[0][1],
                start=found[s.first].start,
                end=found[s.last - 1].end,
                score=score[s.entries[0][1]],
                corrected=s.corrected,
                mapping=self._mappings.get(s.entries[0]),
            )
            for s in spans
        ]
        return sorted(out, key=lambda m: (-m.score, m.start))

    def _focus_score(
        self, group: Sequence[_Span], found: Sequence[Token], keys: Sequence[str]
    ) -> float:
        best = max(self._specificity(s, found, keys) for s in group)
        first = min(found[s.first].start for s in group)
        repeats = 1 + 0.2 * min(len(group) - 1, 3)
        early = 1 + 0.5 * max(0.0, 1 - first / EARLY_CHARS)  # the subject line, the opening
        raw = best * repeats * early
        return round(raw / (raw + 8.0), 4)

    def _specificity(self, span: _Span, found: Sequence[Token], keys: Sequence[str]) -> float:
        """The idf of the name's words in MedQuAD's answers, summed, plus half the largest."""
        if span.acronym or is_acronym(span.entries[0][0]):
            value = ACRONYM_SPECIFICITY
        else:
            idf = self._lexicon.idf
            words = [
                idf.get(found[i].fold, idf.get(keys[i], self._lexicon.unseen_idf))
                for i in range(span.first, span.last)
                if keys[i] not in STOP_WORDS
            ]
            value = sum(words) + 0.5 * max(words, default=0.0)
        return value * (0.7 if span.corrected else 1.0)


def _dictionary_names(
    pairs: Sequence[tuple[str, str]], english: frozenset[str]
) -> dict[tuple[str, str], NameMapping]:
    """(dictionary name, focus) -> its mapping, for every focus that a dictionary entry knows by
    the focus's own name: the entry's other names that are distinctive (`names.py`).

    MeSH files narrow diseases under broad headings as if they were synonyms ("Iniencephaly"
    and "Acrania" under Neural Tube Defects), so an entry that several foci reach belongs to
    the focus of its own name only, or to none; and synonyms of a focus are not looked up
    ("Spinocerebellar ataxia 28" has the synonym "spinocerebellar degeneration")."""
    targets: dict[tuple[dictionary.Dictionary, str], list[str]] = {}
    for focus in dict.fromkeys(focus for _, focus in pairs):
        for book in dictionary.dictionaries():
            for canonical in book.variants.get(dictionary.key(focus), ()):
                targets.setdefault((book, canonical), []).append(focus)
    out: dict[tuple[str, str], NameMapping] = {}
    for (book, canonical), reached in targets.items():
        own = [f for f in reached if dictionary.key(f) == canonical]
        foci = own or (reached if len(reached) == 1 else [])
        for name in book.names_of(canonical):  # not MeSH's inverted "lymphoma, burkitt"
            if "," not in name and dictionary.distinctive(name, english, canonical):
                mapping = dictionary.mapping(book, name, canonical)
                out.update(((name, focus), mapping) for focus in foci)
    return out


def _variants(name: str, common: frozenset[str]) -> list[str]:
    """The ways a name is written besides its own: without a trailing "(ALS)" and that acronym
    alone; "Leukemia, acute myeloid" as "acute myeloid leukemia"; "Parkinson's disease" as
    "Parkinson" (unless the bare name is an English word: not "Graves", "Down")."""
    name = " ".join(name.split())
    out = [name]
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", name)
    if m:
        out.append(m[1])
        if is_acronym(m[2]) and " " not in m[2]:
            out.append(m[2])
    for base in list(out):
        head, comma, tail = base.partition(", ")
        if comma and "," not in tail and len(tail.split()) <= 3:
            out.append(f"{tail} {head}")
    m = re.fullmatch(r"([A-Z][\w-]+)['’]s?\s+(?:disease|syndrome)", out[0], re.IGNORECASE)
    if m and len(m[1]) >= 4 and not {fold(m[1]), stem(fold(m[1]))} & common:
        out.append(m[1])
    return list(dict.fromkeys(out))


def _allowed(key: tuple[str, ...]) -> bool:
    """Whether a name is distinctive enough to match: some word that is no stop word, number or
    general word ("THE syndrome" is not), and a one-word name has three letters or more."""
    if len(key) == 1 and len(key[0]) < 3:
        return False
    return any(k not in STOP_WORDS and k not in _COMMON_KEYS and not k.isdigit() for k in key)


_COMMON_KEYS = frozenset(stem(w) for w in COMMON_WORDS) | COMMON_WORDS


def _shouted(found: Sequence[Token]) -> list[bool]:
    """Tokens inside a run of three or more words in capitals: "I AM HAVING MS" is shouting, and
    its "AM" or "MS" say nothing about acronyms."""
    caps = [t.text.isupper() for t in found]
    out = [False] * len(found)
    i = 0
    while i < len(found):
        j = i
        while j < len(found) and caps[j]:
            j += 1
        if j - i >= 3:
            out[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return out


def _non_overlapping(spans: Iterable[_Span]) -> list[_Span]:
    """Longest first (then uncorrected, then leftmost); a span that overlaps a chosen one is
    dropped."""
    taken: set[int] = set()
    chosen = []
    for s in sorted(spans, key=lambda s: (s.first - s.last, s.corrected, s.first)):
        cover = range(s.first, s.last)
        if not taken.intersection(cover):
            taken.update(cover)
            chosen.append(s)
    return chosen
