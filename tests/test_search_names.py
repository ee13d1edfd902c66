"""Drug and disease names: the two registry dictionaries read as files, names mapped to their
canonical entry with its source, and the expansions the answer engine adds from them."""

from __future__ import annotations

import pytest

from healthqa.search import names
from healthqa.search.focus import english_words
from healthqa.search.names import DISEASES, DRUGS, NameMapping, NamesDataError, lookup
from healthqa.search.vocabulary import expand, expand_names


def test_a_brand_name_maps_to_its_generic_drug_with_the_entry_it_came_from() -> None:
    assert lookup("Tylenol") == [NameMapping("tylenol", "Acetaminophen", DRUGS, "DrugBank DB00316")]
    assert [m.canonical for m in lookup("  ADVIL ")] == ["Ibuprofen"]
    assert (
        str(lookup("zantac")[0]) == "drug-named-entity-recognition: Ranitidine (DrugBank DB00863)"
    )


def test_a_disease_name_variant_maps_to_its_mesh_heading() -> None:
    (found,) = lookup("Bourneville-Pringle disease")
    assert (found.canonical, found.source, found.entry) == (
        "Tuberous Sclerosis",
        DISEASES,
        "MeSH D014402",
    )


@pytest.mark.parametrize("name", ["Tylenoll", "celebrax", "thioguanin", "", "   "])
def test_lookup_is_never_fuzzy(name: str) -> None:
    assert lookup(name) == []


def test_look_alike_drugs_stay_apart() -> None:
    """Celebrex, Cerebyx and Celexa are the classic mix-up: each names its own drug."""
    found = {n: lookup(n)[0].canonical for n in ("celebrex", "cerebyx", "celexa")}
    assert found == {"celebrex": "Celecoxib", "cerebyx": "Fosphenytoin", "celexa": "Citalopram"}


def test_an_entry_lists_its_own_name_first() -> None:
    assert names.drugs().names_of("acetaminophen")[0] == "acetaminophen"
    assert "tylenol" in names.drugs().names_of("acetaminophen")
    assert names.drugs().names_of("no such drug") == []


@pytest.mark.parametrize(
    ("name", "canonical", "expected"),
    [
        ("tylenol", "acetaminophen", True),
        ("Tylenol PM", "acetaminophen", True),
        ("acetominophen", "acetaminophen", True),  # English to MedQuAD, but a spelling of it
        ("Emend", "aprepitant", False),
        ("Plan B", "levonorgestrel", False),
        ("Dawn Mist", "", False),
        ("available generically", "", False),
        ("aids", "hiv infections", False),
        ("hards", "hantavirus pulmonary syndrome", False),  # HARDS, and "hard" once stemmed
        ("esrd", "kidney failure, chronic", False),  # a lower-cased acronym
    ],
)
def test_ordinary_english_never_stands_for_a_drug(
    name: str, canonical: str, expected: bool
) -> None:
    assert names.distinctive(name, english_words(), canonical) is expected


def test_a_missing_dictionary_names_the_package_to_install() -> None:
    with pytest.raises(NamesDataError, match="pip install no-such-names-package"):
        names.load("no_such_names_package", "dictionary.pkl.bz2")


def test_an_unreadable_dictionary_names_the_file() -> None:
    with pytest.raises(NamesDataError, match=r"cannot read .*nothing\.pkl\.bz2"):
        names.load("healthqa", "nothing.pkl.bz2")


def found(text: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    return [(e.term, e.expansions, e.mapping.entry if e.mapping else None) for e in expand(text)]


def test_brand_names_expand_to_their_generic_names() -> None:
    assert found("can I take Tylenol with Advil?") == [
        ("Tylenol", ("acetaminophen",), "DrugBank DB00316"),
        ("Advil", ("ibuprofen",), "DrugBank DB01050"),
    ]
    assert found("is acetominophen safe") == [
        ("acetominophen", ("acetaminophen",), "DrugBank DB00316")
    ]


def test_disease_names_expand_to_mesh_names_as_people_write_them() -> None:
    assert found("my dad has herpetic gingivostomatitis") == [
        (
            "herpetic gingivostomatitis",
            ("herpetic stomatitis",),
            "MeSH D013283",
        )  # "Stomatitis, Herpetic"
    ]


def test_the_lay_terms_table_wins_where_both_name_the_words() -> None:
    assert found("Is paracetamol OK for a tummy ache?") == [
        ("paracetamol", ("acetaminophen",), None),
        ("tummy ache", ("abdominal pain",), None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "my plan b is to see another doctor",  # the brand Plan B
        "please emend the form",  # the brand Emend
        "hearing aids for my dad",
        "I took tylenoll",  # a look-alike: never corrected into a name
        "grandpa has Alzheimer's disease",  # MeSH's Alzheimer Disease says nothing new
        "x" * 50_000,
    ],
)
def test_ordinary_words_look_alikes_and_names_saying_nothing_new_do_not_expand(text: str) -> None:
    assert expand_names(text) == []
