"""The foci of a knowledge base and how they are clinically close: the graph `lists` draws on.

A focus is what questions are about (a disease, drug, test), keyed by its name as compared
(`names.key`). Two foci are linked only by what says they are close in meaning, never by how
their names look:

- **MeSH family** (`mesh`), diseases only: one is filed under the other (a subtype,
  "narrower", or the wider heading, "broader"), or both under one specific heading ("same
  family": siblings whose parent is at least three levels deep and has few subheadings, so
  not merely "Neoplasms by Site" or "Abnormalities, Multiple", and whose answers, where both
  have some, are not far apart).
- **Close in meaning**: what their sources say about them (the start of an answer, embedded
  with MiniLM) is close: cosine at least `MEANING`. A focus without any answer text (MedQuAD's
  A.D.A.M., drug and herb pages lost theirs for copyright) has no vector, and so no such link:
  the embedding of a bare name is exactly the look-alike signal (Thioguanine, Thiamine).
- **A shared UMLS concept** (MedQuAD's CUIs) confirms a link, never makes one alone: the CUIs
  annotate every concept a focus names ("Adhesions" and "Leukocyte adhesion deficiency" share
  one), so they count only when the meaning is also close (`CONFIRMED`).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from healthqa.encoder import Vectors
from healthqa.related import mesh
from healthqa.search.documents import SearchDoc

MEANING = 0.70  # answer-text cosine from which two foci are close (docs/related.md)
CONFIRMED = 0.60  # enough when they also share a specific UMLS concept
SPECIFIC_CUI = 3  # a concept annotated on more foci than this names a class ("Syndrome")
NEAREST = 12  # close-in-meaning foci kept per focus
MIN_SUBJECT_WORDS = 2  # a subject inside a longer one links only from this many words
SIBLING_DEPTH = 3  # a shared parent heading must be this deep for siblings to count ...
SIBLINGS = 12  # ... and have at most this many subheadings: more make a class, not a family
FAMILY_MEANING = 0.40  # siblings whose answers are further apart than this are not listed
FocusReason = Literal["broader", "narrower", "same family", "same subject", "close in meaning"]
_PUNCTUATION = re.compile(r"['’]s\b|[^\w]+")  # as related.lists compares names
Link = tuple[str, FocusReason, float]  # (other focus, reason, score): the meaning cosine, or 0


@dataclass
class Focus:
    key: str
    docs: list[int] = field(default_factory=list)  # question ids, lowest first
    names: set[str] = field(default_factory=set)
    cuis: set[str] = field(default_factory=set)
    trees: frozenset[str] = frozenset()
    url: str | None = None
    subject: str = ""  # what the name is about, as compared (`subject`)
    name: str = ""  # as the first of its questions writes it


class Foci:
    """Every focus of one version of the index, with its links (computed once, on demand)."""

    def __init__(
        self, docs: Sequence[SearchDoc], keys: dict[int, str], meaning: dict[str, Vectors]
    ):
        self.by_key: dict[str, Focus] = {}
        for doc in docs:
            focus = self.by_key.setdefault(keys[doc.id], Focus(keys[doc.id], url=doc.source_url))
            focus.docs.append(doc.id)
            focus.names.update(n for n in (doc.focus, *doc.synonyms) if n)
            focus.cuis.update(doc.cuis)
            focus.subject = focus.subject or subject(doc.focus)
            focus.name = focus.name or doc.focus
        for focus in self.by_key.values():
            focus.trees = frozenset(t for t in mesh.trees(focus.names, focus.url) if _clinical(t))
        self._meaning_keys = sorted(k for k in meaning if k in self.by_key)
        self._row = {k: r for r, k in enumerate(self._meaning_keys)}
        self._vectors = (
            np.stack([meaning[k] for k in self._meaning_keys])
            if self._meaning_keys
            else np.zeros((0, 1), dtype=np.float32)
        )
        self._by_tree = _index(self.by_key.values(), lambda f: f.trees)
        self._by_subject = _index(self.by_key.values(), lambda f: [f.subject] if f.subject else [])
        self._by_cui = {
            c: keys
            for c, keys in _index(self.by_key.values(), lambda f: f.cuis).items()
            if len(keys) <= SPECIFIC_CUI
        }
        self._subjects = sorted(self._by_subject)
        self._children: defaultdict[str, list[str]] = defaultdict(list)  # heading -> subheadings
        for tree in sorted(self._by_tree):
            if "." in tree:
                self._children[tree.rsplit(".", 1)[0]].append(tree)

    def meaning(self, a: str, b: str) -> float | None:
        """The cosine of two foci's answer vectors, or None when either has none."""
        if a not in self._row or b not in self._row:
            return None
        return float(self._vectors[self._row[a]] @ self._vectors[self._row[b]])

    def links(self, key: str) -> list[Link]:
        """The foci close to `key`, best first: MeSH family, then close in meaning."""
        found: dict[str, Link] = {}
        for other, reason in self._family(key):
            meant = self.meaning(key, other)
            if reason == "same family" and meant is not None and meant < FAMILY_MEANING:
                continue  # one heading, yet what the sources say of them has little in common
            found.setdefault(other, (other, reason, meant or 0.0))
        for other in self._same_subject(key):
            found.setdefault(other, (other, "same subject", self.meaning(key, other) or 0.0))
        for other, score in self._close(key):
            found.setdefault(other, (other, "close in meaning", score))
        found.pop(key, None)
        return sorted(found.values(), key=lambda link: (-round(link[2], 6), link[0]))

    def _family(self, key: str) -> Iterable[tuple[str, FocusReason]]:
        for tree in sorted(self.by_key[key].trees):
            parts = tree.split(".")
            for depth in range(2, len(parts)):  # the headings above, down from the second level
                yield from ((o, "broader") for o in self._by_tree.get(".".join(parts[:depth]), ()))
            for child in self._children.get(tree, ()):
                yield from ((o, "narrower") for o in self._by_tree[child])
                for grandchild in self._children.get(child, ()):
                    yield from ((o, "narrower") for o in self._by_tree[grandchild])
            parent = ".".join(parts[:-1])
            if _specific(parent, self._children.get(parent, ())):
                for sibling in self._children[parent]:
                    yield from ((o, "same family") for o in self._by_tree[sibling])

    def _same_subject(self, key: str) -> list[str]:
        """Foci the source names as parts of one subject: "Abdominal aortic aneurysm repair -
        open - discharge" and "... repair - open" (MedlinePlus's "X - discharge", "X - what to
        ask your doctor"), and a subject of two words or more within a longer one ("Abdominal
        aortic aneurysm" in "Abdominal aortic aneurysm repair"). Whole words only: "Sjogren"
        never reaches "Sjogren-Larsson syndrome", nor "Insulin" "Insulinoma"."""
        mine = self.by_key[key].subject
        if not mine:
            return []
        found = set(self._by_subject.get(mine, ()))
        words = mine.split()
        for n in range(MIN_SUBJECT_WORDS, len(words)):  # my subject's shorter beginnings
            found.update(self._by_subject.get(" ".join(words[:n]), ()))
        if len(words) >= MIN_SUBJECT_WORDS:  # longer subjects that begin with mine
            start = bisect.bisect_left(self._subjects, mine + " ")
            for other in self._subjects[start:]:
                if not other.startswith(mine + " "):
                    break
                found.update(self._by_subject[other])
        found.discard(key)
        return sorted(found)

    def _close(self, key: str) -> list[tuple[str, float]]:
        if key not in self._row:
            return []
        scores = self._vectors @ self._vectors[self._row[key]]
        shared = {o for c in self.by_key[key].cuis for o in self._by_cui.get(c, ())}
        top = np.argsort(-scores, kind="stable")[: NEAREST + 1]
        out = []
        for r in top.tolist():
            other, score = self._meaning_keys[r], float(scores[r])
            if score >= MEANING or (score >= CONFIRMED and other in shared):
                out.append((other, score))
        return out


def subject(focus: str) -> str:
    """A focus name's first part as compared: "Diabetes - low blood sugar - self-care" is
    "diabetes"; "Friedreich's ataxia" is "friedreich ataxia"."""
    first = focus.split(" - ")[0]
    return " ".join(_PUNCTUATION.sub(" ", first.lower()).split())


def _specific(parent: str, children: Sequence[str]) -> bool:
    """Whether the subheadings of `parent` are a family: a deep heading with few of them, and
    not under C23 ("Pathological Conditions, Signs and Symptoms": Bleeding holds Hemothorax
    and Bruise)."""
    return (
        parent.count(".") + 1 >= SIBLING_DEPTH
        and 1 < len(children) <= SIBLINGS
        and not parent.startswith("C23")
    )


def _clinical(tree: str) -> bool:
    """Diseases (C) and mental disorders (F03) are filed by what they are; drugs (D) by their
    chemistry, where Nebivolol's siblings are Aflatoxin and Albuterol: never a link."""
    return tree.startswith(("C", "F03"))


def _index(foci: Iterable[Focus], values: Callable[[Focus], Iterable[str]]) -> dict[str, list[str]]:
    """value -> the foci that have it."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for focus in foci:
        for value in values(focus):
            found[value].append(focus.key)
    return {v: sorted(k) for v, k in found.items()}
