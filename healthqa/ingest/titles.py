"""Display titles: a question's title as a person would write it, by documented rules.

MedQuAD builds its titles from templates: "What is (are) Back Pain?", "Do you have information
about Kidney Stones" (no question mark), "what research (or clinical trials) is being done for
Melanoma?", "What causes Treatment for childhood cancer - long-term risks?". `display_title`
rewrites such a title; the stored title stays as the source wrote it, and is what search reads
and export writes. Every rule is explained with examples in docs/titles.md; the data (templates,
word lists) is in titles.toml and title_words.toml beside this module.

1. Spacing: runs of spaces are one space, none before "?", "??" is "?".
2. A template applies when the title matches it and its slot holds the record's focus (so a
   title of another source that only looks like one is left alone). Its `display` wording is
   used, with the focus written as mid-sentence (rule 4) and "is"/"are" by its number (rule 5).
3. A focus that is an article's own title is quoted as it is, in a question about what that
   article says; one that is itself a question, asked about in general, is the title.
4. The focus mid-sentence: a capitalised word is lowered only when it is known to be a plain
   word (listed in `lower`, a generic medicine name, or written in lower case by the record's
   own synonyms); acronyms, eponyms ("Alzheimer's", "Down"), names with a capital inside
   ("DiGeorge") and every unknown word keep their case. In a name in sentence case ("Aarskog
   syndrome") only the first word is in question; in title case one unknown word keeps it all.
5. Number: "are" when the head of the focus is plural ("Kidney Stones", "Holes in the Heart").
6. A title MedQuAD wrote in lower case gets its capital, its acronyms ("als" -> "ALS") and the
   focus mid-sentence; one that asks something gets its "?".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MAX_CHARS = 600  # the longest display title stored (questions.display_title)
RULES_FILE = Path(__file__).with_name("titles.toml")
WORDS_FILE = Path(__file__).with_name("title_words.toml")

SLOT = "{focus}"
SPACES = re.compile(r"\s+")
SPACE_BEFORE = re.compile(r"\s+([?.,;:!])")
QUESTION_MARKS = re.compile(r"\?{2,}")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# A word's core: what is left once its brackets, quotes and punctuation are set aside.
CORE = re.compile(r"^([^\w]*)(.*?)([)\]}\"”,.;:!?]*)$")
POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")
GENUS_ABBREVIATION = re.compile(r"\b([a-z])\. (?=[a-z]{3,})")  # "y. enterocolitica"
PARENTHESES = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class Template:
    """One MedQuAD title template and how it is displayed."""

    medquad: str
    pattern: re.Pattern[str]
    display: str
    aspect: str | None = None
    about: bool = False
    unnamed: str | None = None


@dataclass(frozen=True)
class TitleRules:
    """The rules' data, read from titles.toml and title_words.txt."""

    templates: tuple[Template, ...]
    article: str  # a question about what an article says about an aspect
    article_about: str  # ... and about what it says at all
    article_openers: frozenset[str]
    article_endings: tuple[str, ...]
    keep: frozenset[str]  # words that keep their capital
    lower: frozenset[str]  # words written in lower case mid-sentence
    generic_endings: tuple[str, ...]
    keep_types: frozenset[str]
    small_words: frozenset[str]
    head_ends_before: frozenset[str]
    singular: frozenset[str]
    determiners: frozenset[str]
    plural: frozenset[str]
    written: dict[str, str]  # lower-case form -> as written
    question_words: frozenset[str]


@lru_cache
def load_rules(path: Path = RULES_FILE, words: Path = WORDS_FILE) -> TitleRules:
    """The display-title rules in `path` with the word list `words` (read once)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    focus, number, lowered = data["focus"], data["number"], data["lower_case_titles"]
    with words.open("rb") as fh:
        written = tomllib.load(fh)
    templates = sorted((_template(t) for t in data["template"]), key=_specific_first)
    return TitleRules(
        templates=tuple(templates),
        article=data["article"],
        article_about=data["article_about"],
        article_openers=_words(focus["article_openers"]),
        article_endings=tuple(e.strip() for e in focus["article_endings"].lower().split("|")),
        keep=_words(focus["keep"]) | _words(written["proper"]),
        lower=_words(written["lower"]) | _words(focus["lower"]),
        generic_endings=tuple(focus["generic_endings"].split()),
        keep_types=frozenset(focus["keep_types"].split()),
        small_words=_words(focus["small_words"]),
        head_ends_before=_words(number["head_ends_before"]),
        singular=_words(number["singular"]),
        determiners=_words(number["determiners"]),
        plural=_words(number["plural"]),
        written={w.lower(): w for w in lowered["written"].split()},
        question_words=_words(lowered["question_words"]),
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(text.lower().split())


def _template(entry: dict[str, Any]) -> Template:
    """A template entry; its pattern ignores case and spacing, the final "?"s optional."""
    before, after = (re.escape(_tidy(part)).replace(r"\ ", r"\s*") for part in _split(entry))
    after = after.replace(r"\?", "") + r"\?*"
    pattern = re.compile(rf"^{before}\s*(?P<focus>.*?)\s*{after}$", re.IGNORECASE)
    return Template(
        medquad=entry["medquad"],
        pattern=pattern,
        display=entry["display"],
        aspect=entry.get("aspect"),
        about=bool(entry.get("about", False)),
        unnamed=entry.get("unnamed"),
    )


def _split(entry: dict[str, Any]) -> tuple[str, str]:
    before, slot, after = str(entry["medquad"]).partition(SLOT)
    if not slot:
        raise ValueError(f"{RULES_FILE}: template {entry['medquad']!r} has no {SLOT}")
    return before, after


def _specific_first(template: Template) -> int:
    """Longer templates first: "What is the outlook for {focus}?" before "What is {focus}?"."""
    return -len(template.medquad)


# ----- the display title -----


def display_title(
    title: str,
    focus: str = "",
    *,
    synonyms: Sequence[str] = (),
    semantic_types: Sequence[str] = (),
    category: str | None = None,
    rules: TitleRules | None = None,
) -> str:
    """`title` as a person would write it (rules in the module docstring and docs/titles.md).

    `focus` and the rest are the record's own annotations: what the question is about, its
    synonyms, UMLS semantic types and MedQuAD's focus category (Disease, Drug, Other)."""
    rules = rules or load_rules()
    name = Name(focus.strip(), tuple(synonyms), tuple(semantic_types), category, rules)
    text = _tidy(title)
    for template in rules.templates:
        found = template.pattern.match(text)
        if found and _same(found["focus"], name.text):
            return _capitalised(_from_template(template, found["focus"], name, rules))
    if text[:1].islower():
        return _from_lower_case(text, name, rules)
    return text


def _tidy(text: str) -> str:
    text = SPACE_BEFORE.sub(r"\1", SPACES.sub(" ", text).strip())
    return QUESTION_MARKS.sub("?", text)


def _same(slot: str, focus: str) -> bool:
    """Whether a template's slot holds the focus (MedQuAD drops the "?" of a question focus)."""
    return slot.casefold().rstrip("?") == focus.casefold().rstrip("?")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _from_template(template: Template, slot: str, name: Name, rules: TitleRules) -> str:
    if not slot:
        return template.unnamed or _fill(template.display, "it", plural=False)
    if name.text.endswith("?"):  # MedQuAD dropped the "?" of a focus that is a question
        slot = name.text
        if template.about:
            return slot  # "What is (are) What causes bone loss?": the focus asks it already
    if name.is_article(slot):
        return _about_article(template, slot, rules)
    return _fill(template.display, name.mid_sentence(slot), plural=name.plural(slot))


def _about_article(template: Template, slot: str, rules: TitleRules) -> str:
    """A question about what the article titled `slot` says, its title quoted as written."""
    if template.about:
        return rules.article_about.replace(SLOT, slot)
    if template.aspect:
        return rules.article.replace(SLOT, slot).replace("{aspect}", template.aspect)
    return _fill(template.display, f"“{slot}”", plural=False)


def _fill(wording: str, focus: str, *, plural: bool) -> str:
    verb = "are" if plural else "is"
    return wording.replace("{is}", verb).replace("{Is}", verb.capitalize()).replace(SLOT, focus)


def _from_lower_case(text: str, name: Name, rules: TitleRules) -> str:
    """A title MedQuAD wrote in lower case: its acronyms and names, its focus, a capital and a
    question mark."""
    written = rules.written | name.acronyms()
    text = WORD.sub(lambda m: written.get(m.group(0), m.group(0)), text)
    text = GENUS_ABBREVIATION.sub(lambda m: f"{m.group(1).upper()}. ", text)
    if name.text:
        at = text.casefold().find(name.text.casefold())
        if at > 0:
            text = text[:at] + name.mid_sentence(name.text) + text[at + len(name.text) :]
    first = text.split(" ", 1)[0].lower()
    if first in rules.question_words and not text.endswith(("?", ".", "!")):
        text += "?"
    return _capitalised(text)


# ----- the focus as a name -----


@dataclass(frozen=True)
class Name:
    """A record's focus with what the record says about it: synonyms, semantic types and
    category, which help decide how it is written mid-sentence."""

    text: str
    synonyms: tuple[str, ...]
    semantic_types: tuple[str, ...]
    category: str | None
    rules: TitleRules

    def is_article(self, slot: str) -> bool:
        """Whether the focus is an article's own title ("How to care for pressure sores")."""
        first, lower = slot.split(" ", 1)[0].lower(), " ".join(slot.lower().split())
        if first in self.rules.article_openers or lower.endswith(self.rules.article_endings):
            return True
        return ": " in slot or slot.endswith("?")

    def acronyms(self) -> dict[str, str]:
        """The acronyms of the focus and its synonyms, by their lower-case form."""
        names = (self.text, *self.synonyms)
        return {w.lower(): w for n in names for w in WORD.findall(n) if _acronym(w)}

    def mid_sentence(self, slot: str) -> str:
        """`slot` (the focus as the title writes it) as written in the middle of a sentence.

        In a name in title case every word is in question, and one unknown word keeps the
        whole name as written ("Romidepsin Injection"); in sentence case only the first."""
        if self.rules.keep_types & set(self.semantic_types):
            return slot
        tokens = slot.split(" ")
        candidates, title_case = self._candidates(tokens)
        cased = {i: self._lowered(tokens[i]) for i in candidates}
        if title_case and any(word is None for word in cased.values()):
            return slot
        return " ".join(cased.get(i) or token for i, token in enumerate(tokens))

    def _candidates(self, tokens: list[str]) -> tuple[list[int], bool]:
        """The words whose capital is in question, and whether the name is in title case
        ("Chronic Myelogenous Leukemia": all of them) or not ("Aarskog syndrome": the first)."""
        content = [
            i
            for i, token in enumerate(tokens)
            if (core := _core(token))[:1].isalpha() and core.lower() not in self.rules.small_words
        ]
        title_case = len(content) > 1 and all(_core(tokens[i])[0].isupper() for i in content)
        return (content if title_case else content[:1]), title_case

    def _lowered(self, token: str) -> str | None:
        """`token` as written mid-sentence; None when unknown. A hyphenated word is lowered
        when all its parts are ("Drug-Induced"), a single letter before a hyphen stays
        ("X-Linked": "X-linked")."""
        lead, core, trail = _parts(token)
        if self._brand(lead, core, trail):
            return token
        pieces = re.split(r"([-/])", core)
        if len(pieces) > 1 and len(pieces[0]) == 1:
            pieces = pieces[:2] + [p.lower() if self._word(p) == "lower" else p for p in pieces[2:]]
            return lead + "".join(pieces) + trail
        decided = [p if p in ("-", "/") else self._word(p) for p in pieces]
        if "unknown" in decided:
            return None
        if "keep" in decided:
            return token
        return lead + core.lower() + trail

    def _brand(self, lead: str, core: str, trail: str) -> bool:
        """An unknown word alone in brackets after a medicine's name is its brand name:
        "Human Papillomavirus (HPV) Vaccine (Gardasil)"."""
        bracketed = lead == "(" and trail.startswith(")")
        return self.category == "Drug" and bracketed and self._word(core) == "unknown"

    def _word(self, word: str) -> str:
        """How a word is written mid-sentence: "lower", "keep" (as written) or "unknown"."""
        lower = word.lower()
        if word == lower:
            return "lower"
        if len(word) == 1 or word[1:] != word[1:].lower() or POSSESSIVE.search(word):
            return "keep"  # a letter, an acronym, a capital inside ("DiGeorge"), "Crohn's"
        if any(c.isdigit() for c in word) or lower in self.rules.keep:
            return "keep"
        if _known(lower, self.rules.lower) or lower in self._lower_in_synonyms:
            return "lower"
        generic = lower.endswith(self.rules.generic_endings) and len(lower) > 5
        if self.category == "Drug" and generic:
            return "lower"
        return "unknown"

    @property
    def _lower_in_synonyms(self) -> frozenset[str]:
        """Words that the record's synonyms write in lower case after their first word (not
        those turned round, "Carcinoma, merkel cell", nor qualified, "Cancer - vulva")."""
        plain = [s for s in self.synonyms if "," not in s and " - " not in s]
        return frozenset(
            w for s in plain for w in WORD.findall(s)[1:] if w.islower() and len(w) > 2
        )

    def plural(self, slot: str) -> bool:
        """Whether the name is plural: its head, the last word before a preposition, is
        ("Kidney Stones", "Holes in the Heart"). Joined by "and", it is when the last part is and
        the first is too, or is one word sharing the last part's head ("Sprains and strains",
        "Taste and smell disorders"); a last part starting with "your", "the"... names a
        topic, and the first part decides ("Pain and your emotions")."""
        name = PARENTHESES.sub(" ", slot).split(" - ")[0].split(":")[0]
        parts = [p.split() for p in re.split(r"\s+and\s+", name, flags=re.IGNORECASE)]
        last = self._plural_part(parts[-1])
        if len(parts) == 1 or not last:
            return last
        first = parts[0]
        if parts[-1][0].lower() in self.rules.determiners:
            return self._plural_part(first)
        return (len(first) == 1 and len(parts[-1]) > 1) or self._plural_part(first)

    def _plural_part(self, words: list[str]) -> bool:
        head: list[str] = []
        for word in words:
            if word.lower() in self.rules.head_ends_before and head:
                break
            head.append(word)
        cores = [_core(w) for w in head if len(_core(w)) > 1 and not _numeral(_core(w))]
        return bool(cores) and _plural_word(cores[-1], self.rules)


def _parts(token: str) -> tuple[str, str, str]:
    """A word's brackets and quotes before, its core, and its punctuation after."""
    found = CORE.match(token)
    return (found.group(1), found.group(2), found.group(3)) if found else ("", token, "")


def _core(token: str) -> str:
    return _parts(token)[1]


def _known(word: str, words: frozenset[str]) -> bool:
    """`word`, its singular or its plural is listed ("bunion": "bunions")."""
    forms = [word]
    if word.endswith("oses"):
        forms.append(word[:-4] + "osis")  # "mucolipidoses": "mucolipidosis"
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    forms.append(word[:-1] if word.endswith("s") else word + "s")
    return any(form in words for form in forms)


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper() and word.isalpha()


def _numeral(word: str) -> bool:
    return bool(re.fullmatch(r"[IVXLC]+|\d\w*", word))


def _plural_word(word: str, rules: TitleRules) -> bool:
    lower = word.lower()
    if word.isupper():
        return False  # an acronym: "ARDS" is one syndrome
    if word[:-1].isupper() and word.endswith("s"):
        return True  # "STDs"
    if lower in rules.plural:
        return True
    if lower in rules.singular or lower.endswith(("ss", "us", "is", "as")):
        return False
    return lower.endswith("s")
