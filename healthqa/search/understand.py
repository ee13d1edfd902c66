"""Question understanding: what a person's question is about (its focus) and what it asks (its
question type), from the text alone. No database: the caller feeds the focus vocabulary in.

- `FocusMatcher` finds the knowledge base's focus names (diseases, drugs, tests and their
  synonyms) in free text: longest match first, case-, punctuation- and plural-tolerant, and it
  corrects misspelt words ("hemochromotosis", "alzhimers") before matching.
- `TypeClassifier` ranks MedQuAD's question types ("treatment", "side effects", ...): a linear
  model trained on MedQuAD's questions with the focus masked out (so it learns the question's
  shape, not the disease), plus hand-written cues for the way lay people ask.

Both read `understand.npz` beside this module, written by `train_qtype.py`: the type model's
weights and a word list (the words of MedQuAD's answers and the system dictionary) that says
which words are English, hence never "misspellings", and how common each word is.
See docs/understanding.md.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MODEL_FILE = Path(__file__).with_name("understand.npz")
FOCUS_TOKEN = "xfocusx"  # what a focus name becomes before type classification

# LiveQA's TYPE annotations -> the MedQuAD question types that answer them. Used to score the
# type classifier on LiveQA, and to compare LiveQA questions stored in the base with MedQuAD's.
# "association", "ingredient" and "diagnose_me" have no MedQuAD counterpart.
LIVEQA_TYPES: dict[str, tuple[str, ...]] = {
    "information": ("information",),
    "treatment": ("treatment",),
    "cause": ("causes",),
    "symptom": ("symptoms",),
    "diagnosis": ("exams and tests",),
    "prognosis": ("outlook",),
    "susceptibility": ("susceptibility",),
    "inheritance": ("inheritance",),
    "genetic changes": ("genetic changes",),
    "complication": ("complications",),
    "prevention": ("prevention",),
    "side effects": ("side effects",),
    "usage": ("usage",),
    "dosage": ("usage", "dose"),
    "tapering": ("usage",),
    "indication": ("indication",),
    "contraindication": ("contraindication", "precautions"),
    "interaction": (
        "interactions with medications",
        "interactions with herbs and supplements",
        "interactions with foods",
    ),
    "storage and disposal": ("storage and disposal",),
    "organization": ("support groups",),
    "resources": ("support groups", "how can i learn more"),
}

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further get got had has have having he her here hers him his how i if in into is it its just
    me might more most must my no nor not now of off on once only or other our out over own same
    she should so some such than that the their them then there these they this those through
    to too under until up very was we were what when where which while who whom why will with
    would you your""".split()
)

# General words that are MedQuAD focus names or synonyms ("Speed" for methamphetamine, "Period"
# for menstruation, "Acute", "Resources") but name no topic when they stand alone. They still
# count inside longer names ("acute bronchitis"). Curated from MedQuAD's 5,768 one-word names.
COMMON_WORDS = frozenset(
    """acute aerobic anaerobic anatomy anions anterior appetizers apprehension aspiration
    asymptomatic battery benign blow blues braces bulk calculus campy caregivers cations chalk
    checkup chronic clap clove coke complement crabs crack crystal cyclones diets differential
    dip disabilities discipline dissect distal divorce doctors drinking drugs earthquakes endemic
    etiology fires flake floods fluxes gelatin genes genetics glass gloom glue grape grass hash
    hepatic honey hops horse hurricanes ice imaging immunize incarceration incidence inheritance
    insidious inspection intravenous invasive ions iris junk lateral makeup mass medial medicare
    medications medicines minerals newborn nibbles noise nurses nursing oats oil olive operation
    palpation patches pavement percussion period peripheral pharmacists physician physicians pot
    proliferation prophylactics protuberance proximal punishment rehab rehabilitation renal
    resources respiration respiratory retinal rubbers safety salt scales scrape shots smack snow
    snuff speed stimulus strains subcutaneous sugars symptomatic systemic tears tension tornadoes
    traction translocation tsunamis typhoons ventral volcanoes weed aplastic hemorrhagic
    cardiovascular mucosa macule mosaicism blood falls shock surgery pulse mind disease diseases
    disorder disorders syndrome condition conditions problem problems health care test tests
    treatment therapy symptoms""".split()
)

# Abbreviations whose everyday meaning is not the knowledge base's: "Wellbutrin HCL XL" is a
# hydrochloride, not hairy cell leukemia; "500 MG" a dose, not myasthenia gravis; "PT" is
# physical therapy as often as prothrombin time; "STD" a sexual infection, not a dysostosis.
COMMON_ACRONYMS = frozenset(
    """AM ARM CAN CR DOB DR ER FDA HCL MAD MD MG NIH OK OT PET PM PT SR STD TV UK US USA XL XR
    LA""".split()
)
# Acronyms people also type in lower case ("my son has adhd"); other acronyms must be capitals.
LOWERCASE_ACRONYMS = frozenset(
    "adhd als bph ckd copd dvt gerd hiv hpv ibs ivf mrsa ocd pcos ptsd sids uti".split()
)
ACRONYM_SPECIFICITY = 7.0  # an acronym says about as much as a fairly rare disease name
EARLY_CHARS = 200  # names this close to the start (a subject line) count up to 1.5 times

# How much the MedQuAD model counts next to the cues: it knows MedQuAD's templates by heart,
# and is overconfident on a lay message that shares a few of their words ("need" with "Do I need
# to see a doctor", "I do" with "What should I do if I forget a dose"). Chosen on LiveQA file 1.
MODEL_WEIGHT = 0.5

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE = re.compile(r"[^.?!\n]+[.?!\n]*")
_END = ""  # the trie key under which a complete name's key is stored (no token is empty)
_MEMO_LIMIT = 50_000


class ModelFileError(Exception):
    """The shipped model file is missing or unreadable; retrain it with train_qtype."""


# --- tokens ----------------------------------------------------------------------------------


class _Token(NamedTuple):  # a tuple: built for every word of every question, so cheap
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


def tokens(text: str) -> list[_Token]:
    """The words of `text` with their character offsets."""
    out = []
    for m in _WORD.finditer(text):
        folded = fold(m.group())
        if folded:
            out.append(_Token(m.group(), folded, stem(folded), m.start(), m.end()))
    return out


def is_acronym(word: str) -> bool:
    """Written like an acronym ("CP", "ADHD", "ChILD", "A1C"): at least half its letters are
    capitals, and it has two characters or more."""
    letters = [c for c in word if c.isalpha()]
    uppers = sum(c.isupper() for c in letters)
    return len(word) >= 2 and uppers > 0 and uppers * 2 >= len(letters)


# --- the shipped word list -------------------------------------------------------------------


@dataclass(frozen=True)
class _Lexicon:
    common: frozenset[str]  # lower-case English words ("grave", "down", "malaria")
    known: frozenset[str]  # words spelt right: the common ones and proper nouns ("malaysia")
    idf: dict[str, float]  # log inverse document frequency in MedQuAD's answers
    unseen_idf: float  # the idf of a word no answer uses


@cache
def _model(path: Path = MODEL_FILE) -> dict[str, np.ndarray[Any, Any]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(
            f"{path}: cannot read the understanding model ({exc}); rebuild it with "
            "python -m healthqa.search.train_qtype --medquad MedQuAD-master.zip"
        ) from exc


def _strings(array: np.ndarray[Any, Any]) -> list[str]:
    """A list of strings stored as one newline-joined UTF-8 byte array (no pickle needed)."""
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


@cache
def _lexicon(path: Path = MODEL_FILE) -> _Lexicon:
    data = _model(path)
    words = _strings(data["words"])
    kinds = data["word_kind"].tolist()  # 0 seen in answers only, 1 common word, 2 proper noun
    documents = float(data["documents"])
    idf = {
        w: math.log((documents + 1) / (df + 1))
        for w, df in zip(words, data["word_df"].tolist(), strict=True)
    }
    common = frozenset(w for w, k in zip(words, kinds, strict=True) if k == 1)
    known = common | frozenset(w for w, k in zip(words, kinds, strict=True) if k == 2)
    return _Lexicon(common, known, idf, math.log(documents + 1))


# --- focus matching --------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusMatch:
    """One focus name found in a question. `name` is the vocabulary's spelling of what matched,
    `focus` the canonical focus it names, `start:end` the characters of the question that
    matched; `score` (0..1) is higher for rarer, repeated and earlier names; `corrected` says a
    misspelt word was corrected to make the match."""

    name: str
    focus: str
    start: int
    end: int
    score: float
    corrected: bool


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
    the few in LOWERCASE_ACRONYMS ("adhd", "copd") also match in lower case."""

    def __init__(self, names: Iterable[tuple[str, str]], *, model_file: Path = MODEL_FILE) -> None:
        self._lexicon = _lexicon(model_file)
        self._trie: dict[str, Any] = {}
        self._names: dict[Any, dict[tuple[str, str], None]] = {}  # key -> (name, focus) pairs
        self._words: Counter[str] = Counter()  # name words: the targets of spelling correction
        self._memo: dict[str, str | None] = {}
        for name, focus in names:
            for variant in _variants(name, self._lexicon.common):
                self._add(variant, (name, focus))
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

    def _add_acronym(self, token: _Token, entry: tuple[str, str]) -> None:
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

    def _corrected_keys(self, found: Sequence[_Token]) -> tuple[list[str], list[bool]]:
        keys, corrected = [], []
        for t in found:
            fixed = self._correct(t) if t.key not in self._trie else None
            keys.append(stem(fixed) if fixed else t.key)
            corrected.append(fixed is not None)
        return keys, corrected

    def _correct(self, token: _Token) -> str | None:
        """The name word closest to a word that is neither a name word nor spelt right: same
        first letter, Levenshtein distance 1 for 4-7 letters, 2 from 8; or None."""
        word = token.fold
        if len(word) < 4 or not word.isalpha() or word in self._lexicon.known:
            return None
        if word in self._words or is_acronym(token.text):
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

    def _acronym_spans(self, found: Sequence[_Token]) -> list[_Span]:
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
        self, spans: Sequence[_Span], found: Sequence[_Token], keys: Sequence[str]
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
            )
            for s in spans
        ]
        return sorted(out, key=lambda m: (-m.score, m.start))

    def _focus_score(
        self, group: Sequence[_Span], found: Sequence[_Token], keys: Sequence[str]
    ) -> float:
        best = max(self._specificity(s, found, keys) for s in group)
        first = min(found[s.first].start for s in group)
        repeats = 1 + 0.2 * min(len(group) - 1, 3)
        early = 1 + 0.5 * max(0.0, 1 - first / EARLY_CHARS)  # the subject line, the opening
        raw = best * repeats * early
        return round(raw / (raw + 8.0), 4)

    def _specificity(self, span: _Span, found: Sequence[_Token], keys: Sequence[str]) -> float:
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


def _shouted(found: Sequence[_Token]) -> list[bool]:
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


# --- question types --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    qtype: str
    weight: float  # added to the model's logit for `qtype` when the pattern is found
    pattern: re.Pattern[str]
    # Literal starts of its alternatives ("side effect", "how to "): when it has them, a text
    # holding none of them cannot match, and the regex is not run (half the time of predict).
    anchors: tuple[str, ...] | None


# Fragments the cue table shares, written {NAME} there.
_FRAGMENTS = {
    "ME": r"(?:i|we|you|he|she|they|one|my \w+)",
    "IT": r"(?:it|this|that|they|these|xfocusx)",
    "KIN": r"(?:child|children|kids?|sons?|daughters?|baby|babies|grandchildren|offspring)",
    "CARER": r"(?:doctors?|specialists?|physicians?|surgeons?|clinics?|hospitals?|experts?|"
    r"cent(?:er|re)s?|facilit(?:y|ies)|places?|psychiatrists?|neurologists?|therapists?)",
    "FIX": r"(?:get rid of|treat|cure|heal|fix|stop|manage|relieve|ease|reduced?|lower|control|"
    r"deal with|cope with|overcome|beat|improve|remove|lose|get over|recover from)",
    "FIXED": r"(?:cured|treated|fixed|reversed|removed|healed|corrected)",
    "REMEDY": r"(?:cure|treatment|medicine|medication|remedy|therapy|way to|help|hope|operation|"
    r"surgery|solution|pill|drug|cream)",
    "TAKE": r"(?:take|use|give|have)",
    "MISS": r"(?:forgot|forget|forgotten|missed|miss|skipped|skip)",
    "DOSE": r"(?:dose|doses|pills?|tablets?|shot|injection)",
    "MEDIC": r"(?:doctor|gp|physician|er|emergency|hospital)",
}

# The way lay people ask. One cue a line: question type | weight | alternatives separated by
# " ; "; a line starting with spaces continues the one above. Alternatives are regular
# expressions matched as whole words of folded text (lower case, no apostrophes: "what's" is
# "whats"; the focus reads FOCUS_TOKEN). Weights are log-odds added to the model's logits:
# 2 nudges, 4 decides when the model has no strong opinion, 5 wins. Written from the brief's
# examples and MedlinePlus/NHS question pages, refined on LiveQA file 1 (docs/understanding.md).
CUE_TABLE = r"""
treatment | 4.0 | (?:how|what) (?:do|can|could|should|would|shall) {ME} (?:do to )?(?:{FIX}|help)
    ; how to {FIX} ; what (?:would|could|can|will|might) help ; get help
    ; is there (?:a |an |any )?{REMEDY} ; (?:can|could) {IT} be {FIXED}
    ; how (?:is|are|was|were|should|can|could|do you|do they|do doctors) (?:\w+ ){0,4}treated
    ; (?:be|get|gets|getting) (?:it )?treated
    ; anything (?:that )?(?:can be done|i can do|we can do|to help|that helps|that would help)
    ; (?:best|right|effective) (?:medicine|medication|drug|way|option|treatment|remedy|cure)s?
    ; (?:treatments?|cure|remed(?:y|ies)|medicines?|medications?|therap(?:y|ies)) for
    ; what (?:should|can|could|do|shall) {ME} (?:do|take|use|try)
    ; (?:need|want|would like|trying|try) to {FIX}
    ; something (?:to|that) (?:will |would |can |could )?(?:help|helps)
treatment | 3.0 | cure[sd]? ; curable ; remed(?:y|ies) ; treatments? ; therap(?:y|ies)
    ; treat(?:ing)? ; heal(?:ing)? ; get rid of ; reli(?:ef|eve) ; what to do
    ; help (?:with|on|for)
treatment | 2.0 | please (?:help|advise|suggest) ; help (?:me|us|him|her)
    ; any (?:advice|suggestions?) ; suggest ; advise ; (?:need|want) help ; medicines?
    ; medications?
considerations | 2.0 | what (?:should|can) (?:i|we) do ; home (?:care|remed\w*) ; self care
information | 3.0 | what (?:is|are) xfocusx ; whats xfocusx ; explain ; meaning of
    ; what does (?:\w+ ){1,4}mean ; what exactly is ; definition ; tell me (?:more )?about
information | 2.5 | (?:information|info|details|literature) (?:on|about|regarding|for)
    ; (?:material|materials|stuff|articles?) (?:on|about|regarding|for)
    ; (?:learn|know|read|find out) (?:more )?about ; know more ; more (?:information|info)
    ; send (?:me |us )?(?:any |some )?(?:information|info|literature|stuff|material)
how can i learn more | 1.5 | resources? ; websites? ; books? ; where can i (?:find|get|read|learn)
causes | 4.0 | (?:what|which|who) (?:causes?|caused|triggers?|makes|is causing)
    ; (?:what|which|who) (?:could|can|might|would) cause
    ; how did (?:i|he|she|we|they) get ; what (?:is|was) the (?:cause|reason)
    ; why (?:do|does|did|would|am|was|were|have|has|cant|wont|dont|doesnt)
    ; why (?:is|are)(?! there) ; (?:can|could|does|do|did) (?:\w+ ){0,4}cause
causes | 2.5 | causes? ; caused ; reasons? ; triggers? ; due to
symptoms | 3.0 | symptoms? ; signs? ; what does {IT} (?:feel|look) like
    ; how (?:do|would|can|will) {ME} know if {ME} (?:have|has|had)
    ; is (?:this|that|it) (?:normal|a symptom|a sign)
exams and tests | 3.0 | diagnos(?:e|is|ing|tic)(?! with)
    ; how (?:is|are|was|were|should|can|could|do you|do they|do doctors) (?:\w+ ){0,4}diagnosed
    ; how (?:do|can|would|will) (?:i|you|we|they|doctors?) (?:know|tell|find out|check|confirm)
    ; (?:blood|genetic|lab|urine) tests? ; test (?:for|to|that) ; screening
    ; (?:is there|what) (?:a |an )?(?:test|exam|scan)
exams and tests | 2.0 | tests? ; testing ; scans? ; mri ; x rays? ; biopsy ; ultrasound ; results?
    ; levels?
outlook | 3.0 | prognosis ; outlook ; life expectancy ; surviv(?:e|al) ; recover(?:y)? ; permanent
    ; fatal ; deadly ; terminal ; die ; dying ; go away ; get better ; how bad ; possibility
    ; how long (?:will|does|do|can|is|before|until|would) ; (?:come|coming) back ; recur\w*
    ; will (?:it|{ME}) (?:ever )?(?:be|get|go back to) (?:ok|okay|normal|better|well)
    ; grow out of ; chances?
susceptibility | 3.0 | at risk ; risk (?:of|for) ; risk factors? ; more likely ; prone to
    ; likely to (?:get|develop) ; susceptib\w+ ; who gets
    ; chances? of (?:getting|developing|catching|having)
    ; can (?:a|an|someone|people|men|women|children|kids|\d+ year old) (?:get|have|develop)
susceptibility | 3.0 | contagious ; catch it ; catching it ; transmit\w* ; get it from
susceptibility | 2.0 | infectious ; spread
inheritance | 4.0 | inherit\w* ; hereditary ; heredity ; carriers? ; carry the (?:\w+ )?gene
    ; runs? in (?:the|my|our|his|her) family ; pass(?:ed|ing)? (?:\w+ ){0,2}(?:on|down)
    ; future generations ; (?:my|our|her|his|their|the) {KIN} (?:get|have|inherit|develop)
    ; chances? (?:of|that) (?:my|our|her|his|their) {KIN} ; is (?:it|xfocusx) genetic
    ; (?:normal|healthy) {KIN}
inheritance | 2.0 | genetic(?:ally)? ; family history ; offspring
genetic changes | 3.0 | genes? ; mutations? ; mutated ; chromosomes? ; dna
    ; genetic (?:change|changes|cause|defect)
prevention | 4.0 | prevent\w* ; avoid (?:getting|catching|it|this)
    ; protect (?:myself|me|him|her|them|my|our|against)
    ; (?:lower|reduce) (?:my|the|our|his|her) (?:risk|chances?) ; (?:keep|stop) {IT} from
prevention | 2.0 | vaccines? ; vaccinat\w* ; immuni[sz]\w* ; booster
complications | 3.0 | complications? ; leads? to ; long term effects? ; turn into ; develop into
    ; worsen ; damage ; (?:affect|effect)s? (?:on|my|the)
side effects | 4.0 | side effects? ; adverse (?:effects?|reactions?) ; reactions? (?:to|from)
    ; since (?:taking|starting|i started|i began|being on) ; after (?:taking|starting|using)
    ; started (?:taking|on|using)
side effects | 2.0 | is it (?:safe|dangerous|harmful|bad) ; dangerous ; harmful
    ; risks? of (?:taking|using)
usage | 3.0 | how (?:should|do|to) (?:{ME} )?(?:take|use|apply|inject)
    ; how (?:much|many|often|long) (?:\w+ ){0,3}(?:should|can|do|must|may|to) (?:{ME} )?{TAKE}
    ; when (?:should|do|to) (?:{ME} )?(?:take|use) ; time (?:of day )?to take ; dosage ; dosing
    ; doses? ; \d+ ?mg ; times a day ; wean\w* ; taper\w* ; stop(?:ping)? taking
    ; com(?:e|ing) off ; withdrawal
dose | 2.0 | how much ; dosage ; doses? ; \d+ ?mg ; how strong
forget a dose | 5.0 | {MISS} (?:a |my |the |one |to take (?:a |my |the )?)?{DOSE}
emergency or overdose | 5.0 | overdos\w* ; (?:took|taken|take) too (?:much|many)
    ; accidentally (?:took|taken|swallowed|ingested|drank) ; swallowed
storage and disposal | 5.0 | store (?:{IT}|them|my|the) ; storing ; storage ; dispos(?:e|al)
    ; expired ; outdated ; out of date ; expir(?:ation|y) ; shelf life ; refrigerat\w* ; fridge
    ; room temperature
interactions with medications | 4.0 | interact\w* ; (?:used?|taken?|taking) together
    ; together with ; at the same time ; along with ; mix\w* ; combin\w*
    ; with (?:other|my) (?:medications?|medicines?|drugs)
    ; (?:take|taking|use|using) (?:\w+ ){1,3}(?:with|and) (?:\w+ ){0,2}(?:together|at once)
    ; (?:take|taking|use|using|mix|mixing) (?:\w+ ){1,3}with
interactions with medications | 2.5 | (?:while|when) (?:taking|on) \w+
interactions with herbs and supplements | 2.5 |
    ; (?:herbs?|herbal|supplements?|vitamins?|st johns wort) (?:\w+ ){0,3}(?:with|and|while)
interactions with foods | 2.0 | alcohol ; drinks? ; drinking ; beer ; wine ; grapefruit ; caffeine
    ; coffee
dietary | 1.5 | diet ; dietary ; eat ; eating ; foods? ; meals?
precautions | 3.0 | pregnan\w* ; breast ?feed\w* ; breastfeed\w* ; nursing
    ; safe (?:for|during|while|in|with) ; allergic to ; allergy to ; precautions?
    ; before (?:taking|starting|surgery) ; is it (?:ok|okay|safe|alright) to
    ; can i (?:still )?(?:take|use|have|get|drink|eat) ; should i be concerned
contraindication | 3.0 | contraindicat\w* ; should ?n[o']?t (?:take|use|get|have)
    ; not (?:allowed|supposed) to (?:take|use|get) ; who should not
    ; can i (?:still )?(?:take|use|get|have) ; even if
indication | 3.5 | used (?:for|to treat) ; prescribed (?:for|to)
    ; (?:why|what) (?:was|am|is|were|are) {ME} (?:given|prescribed|put on|taking)
    ; is (?:it|xfocusx) (?:good|useful|effective|helpful|used) (?:for|to|in) ; useful (?:for|in)
    ; what (?:is|are) (?:it|xfocusx|this|they) (?:used )?for ; benefits?
how effective is it | 3.0 | how (?:effective|well|good) (?:is|are|does|do) ; effectiveness
    ; does {IT} (?:really )?(?:help|work) ; worth (?:it|taking|trying) ; success rate
how does it work | 3.0 | how (?:does|do) {IT} work ; mechanism ; mode of action
support groups | 4.0 | support groups? ; support (?:for|network) ; specialists? ; speciali[sz]\w+
    ; (?:find|recommend|know of|looking for|suggest|refer me to) (?:\w+ ){0,3}{CARER}
    ; (?:need|contact|consult|see|visit|go to) (?:\w+ ){0,3}{CARER}
    ; what (?:kind|type|sort) of (?:doctor|specialist|physician)
    ; who (?:should|can|do|to) (?:i |we )?(?:see|consult|contact|go to|talk to)
    ; whom to consult ; other (?:people|families|parents|patients) (?:with|who)
    ; anyone (?:else )?(?:with|who has) ; organi[sz]ations? ; foundations? ; associations?
    ; near me ; in (?:my|our|the|his|her) area ; financial (?:help|assistance|aid)
    ; (?:best|top|prestigious) (?:place|hospital|doctor|center|centre|clinic|institution)
research | 3.0 | (?:any|new|latest|current|ongoing|recent) research ; clinical trials?
    ; research (?:on|into|being done|done) ; experimental ; breakthrough
    ; (?:new|latest) (?:treatments?|drugs?|therap(?:y|ies)|developments?)
when to contact a medical professional | 3.5 |
    ; (?:should|do|must) (?:i|we|he|she) (?:see|go to|call|visit|need) (?:a|my|the|an) {MEDIC}
    ; is (?:it|this|that) (?:serious|an emergency|urgent) ; go to (?:the )?(?:er|emergency|hospital)
    ; when (?:should|do|to) (?:i|we) (?:see|call|go)
frequency | 3.5 | how (?:common|rare|frequent|prevalent) ; how many people ; prevalence
    ; is (?:it|xfocusx|this) (?:common|rare)
stages | 2.0 | stages? ; staging
brand names | 3.0 | brand names? ; generic (?:name|version|form) ; trade names?
severe reaction | 3.0 | (?:severe|serious|bad|allergic) reactions?
"""


def _cues(table: str) -> tuple[_Cue, ...]:
    """The cue table compiled: one pattern per line of it."""
    lines: list[str] = []
    for line in table.strip().splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    cues = []
    for line in lines:
        qtype, weight, alternatives = (part.strip() for part in line.split(" | ", 2))
        for name, fragment in _FRAGMENTS.items():
            alternatives = alternatives.replace("{" + name + "}", fragment)
        found = [a.strip() for a in alternatives.strip().removeprefix(";").split(" ; ")]
        found = [a for a in found if a]
        pattern = re.compile(rf"(?<!\w)(?:{'|'.join(found)})\b")
        anchors = [_anchor(a) for a in found]
        complete = all(anchors)
        cues.append(_Cue(qtype, float(weight), pattern, tuple(anchors) if complete else None))
    return tuple(cues)


def _anchor(alternative: str) -> str:
    """The literal text every match of `alternative` starts with, if three letters or more."""
    literal = re.sub(r"[^a-z ].*", "", alternative, flags=re.DOTALL)
    if len(alternative) > len(literal) and alternative[len(literal)] in "?*{":
        literal = literal[:-1]  # "cures?" : the "s" is optional
    return literal if len(literal) >= 3 else ""


CUES = _cues(CUE_TABLE)


class TypeClassifier:
    """Ranks question types for a question. A multinomial logistic regression over word 1-2
    grams (tf-idf) of the question with its focus masked, trained on MedQuAD; lay phrasings add
    their CUES' weights to its logits. Numpy only at run time; load with `TypeClassifier.load`."""

    def __init__(
        self,
        labels: Sequence[str],
        features: Sequence[str],
        idf: np.ndarray[Any, Any],
        coef: np.ndarray[Any, Any],
        intercept: np.ndarray[Any, Any],
    ) -> None:
        self.labels = list(labels)
        self._index = {f: i for i, f in enumerate(features)}
        self._idf = idf.astype(np.float64)
        self._coef = coef.astype(np.float64)
        self._intercept = intercept.astype(np.float64)
        self._label_index = {label: i for i, label in enumerate(self.labels)}
        self._cues = [c for c in CUES if c.qtype in self._label_index]

    @classmethod
    def load(cls, path: Path | None = None) -> TypeClassifier:
        """The shipped model (cached), or the one in `path`."""
        if path is None:
            return _shipped_classifier()
        try:
            return cls._from_arrays(_model(path))
        except KeyError as exc:
            raise ModelFileError(f"{path}: not a question-type model (no {exc})") from exc

    @classmethod
    def _from_arrays(cls, data: dict[str, np.ndarray[Any, Any]]) -> TypeClassifier:
        return cls(
            _strings(data["labels"]),
            _strings(data["features"]),
            data["idf"],
            data["coef"],
            data["intercept"],
        )

    def predict(
        self, text: str, focus_spans: Iterable[tuple[int, int]] = ()
    ) -> list[tuple[str, float]]:
        """Every question type with its probability, best first. `focus_spans` are the
        (start, end) characters of the focus names in `text` (from FocusMatcher.match), masked
        so that "What causes X?" reads the same whatever X is."""
        words = _masked(tokens(text), focus_spans)
        logits = MODEL_WEIGHT * self.logits([key for key, _, _ in words])
        logits += self._cue_boosts(text, words)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return [(self.labels[i], round(float(probs[i]), 4)) for i in order]

    def logits(self, words: Sequence[str]) -> np.ndarray[Any, Any]:
        """The model alone: intercept + weights . tf-idf(1-2 grams), l2-normalised as at
        training (sublinear tf)."""
        counts = Counter(i for g in ngrams(words) if (i := self._index.get(g)) is not None)
        if not counts:
            return self._intercept.copy()
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self._idf[idx]
        values /= np.linalg.norm(values)
        return self._intercept + self._coef[:, idx] @ values

    def _cue_boosts(self, text: str, words: Sequence[_Word]) -> np.ndarray[Any, Any]:
        """Each type gets its strongest cue's weight. Cues in a sentence that asks (ends in "?")
        count fully; elsewhere, when the message has such a sentence, 60%: "I was treated with
        antibiotics" is background, "what else can I try?" is the question."""
        lines, asks = _cue_lines(text, words)
        starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        joined = "\n".join(lines)  # a cue never spans two sentences: patterns have no "\n"
        background = 0.6 if any(asks) else 1.0
        boosts = np.zeros(len(self.labels))
        for cue in self._cues:
            if cue.anchors and not any(a in joined for a in cue.anchors):
                continue
            factor = 0.0
            for m in cue.pattern.finditer(joined):
                factor = max(
                    factor, 1.0 if asks[bisect.bisect(starts, m.start()) - 1] else background
                )
                if factor == 1.0:
                    break
            i = self._label_index[cue.qtype]
            boosts[i] = max(boosts[i], cue.weight * factor)
        return boosts


@cache
def _shipped_classifier() -> TypeClassifier:
    return TypeClassifier._from_arrays(_model())


_Word = tuple[str, str, int]  # (key, fold, start): a word, or FOCUS_TOKEN for a focus name


def masked_words(text: str, focus_spans: Iterable[tuple[int, int]] = ()) -> list[str]:
    """The words of `text` as the model reads them: stemmed, each run of words inside a focus
    span replaced by one FOCUS_TOKEN."""
    return [key for key, _, _ in _masked(tokens(text), focus_spans)]


def _masked(found: Sequence[_Token], focus_spans: Iterable[tuple[int, int]]) -> list[_Word]:
    spans = _merged(focus_spans)
    out: list[_Word] = []
    k = 0
    for t in found:
        while k < len(spans) and spans[k][1] <= t.start:
            k += 1
        if k < len(spans) and spans[k][0] < t.end:
            if not out or out[-1][0] != FOCUS_TOKEN:
                out.append((FOCUS_TOKEN, FOCUS_TOKEN, t.start))
        else:
            out.append((t.key, t.fold, t.start))
    return out


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of possibly overlapping spans, as sorted disjoint spans."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a < b:
            out.append((a, b))
    return out


def ngrams(words: Sequence[str]) -> list[str]:
    """The model's features: words and adjacent word pairs."""
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _cue_lines(text: str, words: Sequence[_Word]) -> tuple[list[str], list[bool]]:
    """The folded words of each sentence of `text`, and whether the sentence asks (has "?")."""
    ends, asks = [], []
    for m in _SENTENCE.finditer(text):
        ends.append(m.end())
        asks.append("?" in m.group())
    lines: list[list[str]] = [[] for _ in ends] or [[]]
    asks = asks or [False]
    for _, folded, start in words:
        lines[min(bisect.bisect(ends, start), len(lines) - 1)].append(folded)
    return [" ".join(line) for line in lines], asks
