"""MeSH tree numbers from the two dictionary packages: exact names only, drugs by their
MedlinePlus page, broken tree numbers dropped."""

from __future__ import annotations

from healthqa.related import mesh


def test_a_disease_is_found_by_any_of_its_names() -> None:
    assert mesh.trees(["High blood pressure", "Hypertension"]) == {"C14.907.489"}


def test_a_drug_is_found_by_name_and_look_alike_names_find_nothing() -> None:
    assert mesh.trees(["Thioguanine"]) == {"D03.633.100.759.854"}
    assert mesh.trees(["Thioguanin"]) == frozenset()  # no fuzzy matching, ever


def test_broken_tree_numbers_in_the_dictionary_are_dropped() -> None:
    # the package lists "94.750", "C18.452.3" and "C19.246" for it; "back pain" has only
    # broken ones ("888.592.612.107", "C23.")
    assert mesh.trees(["Diabetes mellitus"]) == {"C19.246"}
    assert mesh.trees(["Back pain"]) == frozenset()
