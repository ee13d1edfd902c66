"""Lay-term expansion: the shipped table, the file format, and every entry checked against the
real MedQuAD vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from healthqa.search.focus import FocusMatcher
from healthqa.search.vocabulary import (
    TERMS_FILE,
    LayTermsError,
    expand,
    load_terms,
)

MEDQUAD_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "MedQuAD-master.zip"


def found(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.term, e.expansions) for e in expand(text)]


def test_lay_phrases_expand_to_the_knowledge_base_words() -> None:
    assert found("Can I still get pregnant with the coil?") == [
        ("pregnant", ("pregnancy",)),
        ("the coil", ("intrauterine devices",)),
    ]
    assert found("my dad takes water pills") == [("water pills", ("diuretics",))]
    assert found("Is paracetamol OK for a tummy ache?") == [
        ("paracetamol", ("acetaminophen",)),
        ("tummy ache", ("abdominal pain",)),
    ]


def test_offsets_point_at_the_phrase_as_written() -> None:
    text = "Why do I keep getting a NOSE-BLEED?"
    (e,) = expand(text)
    assert text[e.start : e.end] == e.term == "NOSE-BLEED"
    assert e.expansions == ("nosebleed",)


def test_longest_phrase_wins_and_matches_never_overlap() -> None:
    assert found("heavy periods") == [("heavy periods", ("menorrhagia",))]
    assert found("a clot in my leg") == [("clot in my leg", ("deep vein thrombosis",))]


def test_whole_words_only_and_common_words_need_their_phrase() -> None:
    assert found("a sugar-free diet for a period of time") == []
    assert found("she has high sugar") == [("high sugar", ("diabetes", "blood sugar"))]
    assert found("coiling of an aneurysm") == []  # "coil" inside a longer word
    assert found("smoking weed daily") == [("smoking weed", ("marijuana",))]


def test_apostrophes_may_be_left_out() -> None:
    for text in ("I cant get an erection", "I can't get an erection", "I can’t get an erection"):
        assert found(text) == [(text[2:], ("erectile dysfunction",))]


@pytest.mark.parametrize("text", ["", "   ", "🙂" * 100, "<p>&nbsp;</p>", "x" * 50_000])
def test_odd_input_expands_to_nothing(text: str) -> None:
    assert expand(text) == []


def test_long_message_is_searched_whole() -> None:
    text = "blah " * 10_000 + "I am diabetic"
    assert found(text) == [("diabetic", ("diabetes",))]


def test_shipped_table_has_one_to_two_hundred_documented_entries() -> None:
    terms = load_terms().terms
    assert 100 <= len(terms) <= 200
    assert "Where the terms come from" in TERMS_FILE.read_text(encoding="utf-8")


def test_bad_files_name_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "terms.toml"
    bad.write_text('[[term]]\nlay = ["coil"]\n\n[[term]]\nlay = ["x"]\nmedical = []\n')
    with pytest.raises(LayTermsError, match=r"terms.toml: term 1: 'medical' must be"):
        load_terms(bad)
    bad.write_text('[[term]]\nlay = ["a"]\nmedical = ["b"]\nsource = "?"\n')
    with pytest.raises(LayTermsError, match="term 1: unknown key"):
        load_terms(bad)
    bad.write_text("[[term]\n")
    with pytest.raises(LayTermsError, match="cannot read"):
        load_terms(bad)


def test_a_site_table_is_loaded_from_its_own_file(tmp_path: Path) -> None:
    own = tmp_path / "terms.toml"
    own.write_text('[[term]]\nlay = ["brolly"]\nmedical = ["umbrella"]\nnote = "test"\n')
    found = [(e.term, e.expansions) for e in load_terms(own).expand("Brolly? Two brollys.")]
    assert found == [("Brolly", ("umbrella",)), ("brollys", ("umbrella",))]


@pytest.fixture(scope="module")
def medquad() -> tuple[FocusMatcher, str]:
    if not MEDQUAD_ZIP.exists():
        pytest.skip(f"{MEDQUAD_ZIP} is absent: checking the table needs the MedQuAD archive")
    from healthqa.ingest.medquad import read

    records, _ = read(MEDQUAD_ZIP)
    names = {(n, r.focus) for r in records if r.focus for n in (r.focus, *r.synonyms)}
    titles = "\n".join(r.title.lower() for r in records)
    return FocusMatcher(names), titles


def test_every_entry_fills_a_real_gap_in_medquad(medquad: tuple[FocusMatcher, str]) -> None:
    matcher, titles = medquad
    already = []
    unknown = []
    for term in load_terms().terms:
        for phrase in term.lay:
            if any(m.start == 0 and m.end == len(phrase) for m in matcher.match(phrase)):
                already.append(phrase)
        for word in term.medical:
            if not matcher.foci(word) and not re.search(rf"\b{re.escape(word)}\b", titles):
                unknown.append(word)
    assert already == [], "lay phrases MedQuAD already names (remove them)"
    assert unknown == [], "medical terms MedQuAD never uses (use its own words)"
