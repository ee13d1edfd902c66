"""Write healthqa/ingest/title_words.toml: how the words of MedQuAD's focus names are written
in the middle of a sentence, so that a display title knows which capitals it may lower.

    .venv/bin/python tools/title_words.py ../shared/data/MedQuAD-master.zip

Evidence comes from MedQuAD's running text: its answers, and its names written in sentence
case ("Chronic subdural hematoma": "subdural" in lower case after the first word). Before the
answers are counted, each answer's own focus and synonyms and every run of capitalised words
("National Institute of Diabetes and Digestive and Kidney Diseases") are blanked out: they are
names as their sources capitalise them, not running text.

- `lower`: written in lower case mid-sentence, and capitalised between two lower-case words at
  most once in 20 times ("disease": 8,780 to 0; "down" is not listed, since "Down syndrome" is).
- `proper`: capitalised mid-sentence at least twice and twice as often as not
  ("Marfan", "Japanese"), or capitalised inside a focus name of Genetics Home Reference, which
  writes its names in running case ("Down syndrome", "Bowen-Conradi syndrome").
A word in neither list is unknown, and a display title keeps it as written. See docs/titles.md.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from healthqa.ingest.medquad import read
from healthqa.ingest.records import QuestionRecord
from healthqa.ingest.titles import WORDS_FILE

TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*|[^\sA-Za-z]")
NAME_RUN = re.compile(
    r"\b[A-Z][\w'’\-]*(?:(?:\s+(?:of|and|for|on|the|in|&|to|with))*\s+[A-Z][\w'’\-]*)+"
)
NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
LOWER_SHARE = 20  # `lower`: at most one capitalised use in this many lower-case ones
PROPER_SHARE = 2  # `proper`: at least this many capitalised uses for each lower-case one
MIN_PROPER = 2

HEADER = """\
# How the words of focus names are written mid-sentence: a display title lowers a capitalised
# word listed in `lower` and keeps one listed in `proper` (healthqa/ingest/titles.py,
# docs/titles.md). Made by tools/title_words.py from MedQuAD's running text (Ben Abacha &
# Demner-Fushman 2019, CC BY 4.0). Do not edit: rerun the tool.
"""


def main(archive: Path) -> None:
    records, _ = read(archive)
    lower, capital = case_counts(records)
    in_names_lower, in_names_capital = name_counts(records)
    lower.update(in_names_lower)
    capital.update(in_names_capital)
    ghr = ghr_capitals(records)
    words = {w.lower() for r in records for w in NAME_WORD.findall(r.focus)}
    plain = {w for w in words if lower[w] and capital[w] * LOWER_SHARE <= lower[w]} - ghr
    proper = {
        w for w in words if capital[w] >= MIN_PROPER and lower[w] * PROPER_SHARE <= capital[w]
    }
    proper = (proper | (ghr & words)) - plain
    WORDS_FILE.write_text(
        HEADER + _listed("lower", plain) + _listed("proper", proper), encoding="utf-8"
    )
    print(f"{len(words):,} focus words: {len(plain):,} lower, {len(proper):,} proper")


def _listed(key: str, words: set[str]) -> str:
    lines, line = [], ""
    for word in sorted(words):
        if len(line) + len(word) > 95:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    return f'\n{key} = """\n' + "\n".join([*lines, line]) + '\n"""\n'


def case_counts(records: Iterable[QuestionRecord]) -> tuple[Counter[str], Counter[str]]:
    """How often each word is written in lower case mid-sentence, and how often capitalised
    between lower-case words, in the answers (each text counted once per focus)."""
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for record in records:
        names = sorted({n for n in (record.focus, *record.synonyms) if n}, key=len, reverse=True)
        for answer in record.answers:
            if (answer.body, record.focus) in seen:
                continue
            seen.add((answer.body, record.focus))
            text = answer.body
            for name in names:
                text = re.sub(re.escape(name), " # ", text, flags=re.IGNORECASE)
            _count(TOKEN.findall(NAME_RUN.sub(" # ", text)), lower, capital)
    return lower, capital


def _count(tokens: list[str], lower: Counter[str], capital: Counter[str]) -> None:
    for i, token in enumerate(tokens):
        if not token[0].isalpha():
            continue
        before = tokens[i - 1] if i else "."
        after = tokens[i + 1] if i + 1 < len(tokens) else "."
        if token.islower():
            if before[0].isalpha() or before in ",(":
                lower[token] += 1
        elif token[1:] == token[1:].lower() and _between_lower_case(before, after):
            capital[token.lower()] += 1


def _between_lower_case(before: str, after: str) -> bool:
    """A capital after a lower-case word and before one (or punctuation) is a proper name's."""
    return before[0].isalpha() and before.islower() and (not after[0].isalpha() or after.islower())


def name_counts(records: Iterable[QuestionRecord]) -> tuple[Counter[str], Counter[str]]:
    """The words after the first of names in sentence case (focus names and synonyms), in
    lower case and capitalised; each distinct name counted once."""
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    names = {n for r in records for n in (r.focus, *r.synonyms)}
    for name in names:
        words = NAME_WORD.findall(name)[1:]
        if not any(w.islower() and len(w) > 3 for w in words):
            continue  # title case, or too short to tell
        for word in words:
            if word.islower():
                lower[word] += 1
            elif word[1:] == word[1:].lower():
                capital[word.lower()] += 1
    return lower, capital


def ghr_capitals(records: Iterable[QuestionRecord]) -> set[str]:
    """Words that Genetics Home Reference capitalises in a focus name: GHR writes its names
    in running case ("Down syndrome", "ethylmalonic encephalopathy"), so a capital there is a
    proper name. (Its synonyms are in any case, and say nothing.)"""
    found: set[str] = set()
    for record in records:
        words = NAME_WORD.findall(record.focus)
        if record.source == "GHR" and any(w.islower() for w in words):
            found.update(w.lower() for w in words if w[:1].isupper())
    return found


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/MedQuAD-master.zip"))
