"""Focus matching, with small vocabularies, then MedQuAD's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.search.focus import FocusMatch, FocusMatcher

MEDQUAD_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "MedQuAD-master.zip"

VOCABULARY = [
    ("Hemochromatosis", "Hemochromatosis"),
    ("Iron overload", "Hemochromatosis"),
    ("Raynaud's syndrome", "Raynaud's syndrome"),
    ("Diabetes", "Diabetes"),
    ("Type 2 diabetes", "Type 2 diabetes"),
    ("Alzheimer's disease", "Alzheimer's disease"),
    ("Parkinson's disease", "Parkinson's disease"),
    ("Breast cancer", "Breast cancer"),
    ("Cancer", "Cancer"),
    ("IUD", "Intrauterine devices"),
    ("Cerebral palsy", "Cerebral palsy"),
    ("CP", "Cerebral palsy"),
    ("SAD", "Seasonal affective disorder"),
    ("ALL", "Acute lymphoblastic leukemia"),
    ("AS", "Ankylosing spondylitis"),
    ("MS", "Multiple sclerosis"),
    ("ADHD", "Attention deficit hyperactivity disorder"),
    ("Speed", "Methamphetamine"),
    ("Period", "Menstruation"),
    ("Mind", "Mental health"),
    ("THE syndrome", "Trichohepatoenteric syndrome"),
    ("Lice", "Head lice"),
    ("Rabies", "Rabies"),
    ("Mono", "Mononucleosis"),
    ("Mono", "Infectious mononucleosis"),
    ("Leukemia, acute myeloid", "Acute myeloid leukemia"),
    ("Amyotrophic lateral sclerosis (ALS)", "Amyotrophic lateral sclerosis"),
]


@pytest.fixture(scope="module")
def matcher() -> FocusMatcher:
    return FocusMatcher(VOCABULARY)


def foci(matcher: FocusMatcher, text: str) -> list[str]:
    return [m.focus for m in matcher.match(text)]


def test_finds_the_focus_with_its_place_in_the_text(matcher: FocusMatcher) -> None:
    text = "Hi, my mother was diagnosed with hemochromatosis last year. Can she eat red meat?"
    (m,) = matcher.match(text)
    assert (m.name, m.focus, m.corrected) == ("Hemochromatosis", "Hemochromatosis", False)
    assert text[m.start : m.end] == "hemochromatosis"
    assert 0 < m.score < 1


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("is hemochromotosis inherited", "Hemochromatosis"),
        ("my diabetis is getting worse", "Diabetes"),
        ("grandpa has alzhimers", "Alzheimer's disease"),
        ("Hemochromatossis", "Hemochromatosis"),
    ],
)
def test_misspelt_names_are_corrected(matcher: FocusMatcher, text: str, focus: str) -> None:
    (m,) = matcher.match(text)
    assert (m.focus, m.corrected) == (focus, True)


def test_english_words_are_never_corrected_into_names(matcher: FocusMatcher) -> None:
    assert foci(matcher, "I like babies, they are fun") == []  # not "lice", not "rabies"


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("raynauds syndrome in my toes", "Raynaud's syndrome"),
        ("RAYNAUD’S SYNDROME", "Raynaud's syndrome"),
        ("my dad has parkinsons", "Parkinson's disease"),
        ("Parkinson's", "Parkinson's disease"),
        ("iron-overload", "Hemochromatosis"),
        ("are IUDs safe", "Intrauterine devices"),
        ("acute myeloid leukemia", "Acute myeloid leukemia"),
        ("amyotrophic lateral sclerosis", "Amyotrophic lateral sclerosis"),
        ("he was told it is ALS", "Amyotrophic lateral sclerosis"),
    ],
)
def test_punctuation_plurals_and_name_variants(
    matcher: FocusMatcher, text: str, focus: str
) -> None:
    assert foci(matcher, text) == [focus]
    assert not matcher.match(text)[0].corrected


def test_longest_name_wins_and_matches_do_not_overlap(matcher: FocusMatcher) -> None:
    assert foci(matcher, "she has breast cancer") == ["Breast cancer"]
    assert foci(matcher, "type 2 diabetes") == ["Type 2 diabetes"]
    found = matcher.match("breast cancer, then cancer again")
    assert [m.name for m in found] == ["Breast cancer", "Cancer"]
    assert found[0].end <= found[1].start


def test_acronyms_match_only_in_capitals(matcher: FocusMatcher) -> None:
    assert foci(matcher, "my son has CP") == ["Cerebral palsy"]
    assert foci(matcher, "my son has cp") == []
    assert foci(matcher, "my daughter was told she has ALL") == ["Acute lymphoblastic leukemia"]
    assert foci(matcher, "I feel so sad about it all") == []
    assert foci(matcher, "tired AS usual, MS diagnosed") == ["Multiple sclerosis"]  # AS: stop word
    assert foci(matcher, "I AM HAVING MS FOR YEARS") == []  # shouting is not an acronym
    assert foci(matcher, "does adhd run in families") == [
        "Attention deficit hyperactivity disorder"
    ]


def test_common_words_never_match_alone(matcher: FocusMatcher) -> None:
    assert foci(matcher, "the speed of my period, never mind") == []
    assert foci(matcher, "the syndrome got worse") == []


def test_rarer_earlier_names_come_first(matcher: FocusMatcher) -> None:
    found = matcher.match("Hemochromatosis. Could it turn into cancer, or cancer of the liver?")
    assert [m.focus for m in found] == ["Hemochromatosis", "Cancer", "Cancer"]
    assert found[0].score > found[1].score == found[2].score


def test_foci_lists_every_focus_a_name_can_mean(matcher: FocusMatcher) -> None:
    assert sorted(matcher.foci("mono")) == ["Infectious mononucleosis", "Mononucleosis"]
    assert matcher.foci("CP") == ["Cerebral palsy"]
    assert matcher.foci("unknown thing") == []


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🙂🙂🙂 hemochromatosis 🙂", "<b>diabetes</b>&nbsp;<i>x</i>", "diabetes " * 6_000],
)
def test_odd_input_never_crashes(matcher: FocusMatcher, text: str) -> None:
    found = matcher.match(text)
    assert all(isinstance(m, FocusMatch) and 0 <= m.start < m.end <= len(text) for m in found)


def test_an_empty_vocabulary_matches_nothing() -> None:
    assert FocusMatcher(()).match("diabetes") == []


@pytest.fixture(scope="module")
def medquad_matcher() -> FocusMatcher:
    if not MEDQUAD_ZIP.exists():
        pytest.skip(f"{MEDQUAD_ZIP} is absent: the real-vocabulary test needs the MedQuAD archive")
    from healthqa.ingest.medquad import read

    records, _ = read(MEDQUAD_ZIP)
    return FocusMatcher({(n, r.focus) for r in records if r.focus for n in (r.focus, *r.synonyms)})


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        (
            "Hi, my mother was diagnosed with hemochromotosis last year and ... can she still eat "
            "red meat?",
            "Hemochromatosis",
        ),
        ("My sons toe turned white, is it raynauds syndrome?", "Raynaud's Disease"),
        ("grandad has alzhimers, will I get it too?", "Alzheimer's Disease"),
        ("my son has ADHD and CP", "Attention deficit hyperactivity disorder"),
        ("Is irritable bowel syndrome (IBS) curable?", "Irritable Bowel Syndrome"),
    ],
)
def test_medquad_vocabulary(medquad_matcher: FocusMatcher, text: str, focus: str) -> None:
    found = medquad_matcher.match(text)
    assert found and found[0].focus.lower() == focus.lower()


def test_medquad_vocabulary_ignores_everyday_words(medquad_matcher: FocusMatcher) -> None:
    text = "I take Wellbutrin HCL XL, 150 MG in the AM; I fall asleep at a slow speed."
    assert [m.focus for m in medquad_matcher.match(text)] == []


# ---- drug and disease dictionaries (healthqa/search/names.py) -----------------------------------

DRUGS_KB = [
    ("Acetaminophen", "Acetaminophen"),
    ("Ibuprofen", "Ibuprofen"),
    ("Levonorgestrel", "Levonorgestrel"),
    ("Aprepitant", "Aprepitant"),
    ("Celecoxib", "Celecoxib"),
    ("Citalopram", "Citalopram"),
    ("Tuberous Sclerosis", "Tuberous Sclerosis"),
    ("Iniencephaly", "Iniencephaly"),
    ("Tethered cord syndrome", "Tethered cord syndrome"),
]


@pytest.fixture(scope="module")
def named() -> FocusMatcher:
    return FocusMatcher(DRUGS_KB, dictionaries=True)


def test_brand_names_find_the_generic_focus_with_their_source(named: FocusMatcher) -> None:
    found = named.match("can I take Tylenol with Advil?")
    assert sorted((m.name, m.focus) for m in found) == [
        ("advil", "Ibuprofen"),
        ("tylenol", "Acetaminophen"),
    ]
    mapping = next(m.mapping for m in found if m.focus == "Acetaminophen")
    assert mapping is not None
    assert (mapping.source, mapping.canonical, mapping.entry) == (
        "drug-named-entity-recognition",
        "Acetaminophen",
        "DrugBank DB00316",
    )
    assert named.foci("Advil") == ["Ibuprofen"]


def test_dictionary_names_are_off_unless_asked_for() -> None:
    assert FocusMatcher(DRUGS_KB).match("can I take Tylenol with Advil?") == []


def test_a_common_misspelling_from_the_dictionary_matches_as_written(named: FocusMatcher) -> None:
    (m,) = named.match("is acetominophen safe")
    assert (m.focus, m.corrected, m.mapping is not None) == ("Acetaminophen", False, True)


def test_the_knowledge_base_own_names_win(named: FocusMatcher) -> None:
    matcher = FocusMatcher(DRUGS_KB + [("Tylenol", "Tylenol dosing")], dictionaries=True)
    (m,) = matcher.match("tylenol for a fever")
    assert (m.focus, m.mapping) == ("Tylenol dosing", None)
    (m,) = named.match("ibuprofen dose")
    assert (m.focus, m.mapping) == ("Ibuprofen", None)


@pytest.mark.parametrize(
    "text",
    [
        "my plan b is to see another doctor",  # the brand Plan B (levonorgestrel)
        "I had to emend my claim",  # the brand Emend (aprepitant)
        "I took celebrax",  # a look-alike of Celebrex: never corrected into a dictionary name
        "tylenoll",
        "is acrania inherited",  # MeSH files it under Neural Tube Defects, as two foci here
    ],
)
def test_ordinary_words_look_alikes_and_broad_headings_never_map(
    named: FocusMatcher, text: str
) -> None:
    assert foci(named, text) == []


def test_look_alike_brands_keep_their_own_drugs(named: FocusMatcher) -> None:
    assert foci(named, "celebrex") == ["Celecoxib"]
    assert foci(named, "celexa") == ["Citalopram"]


def test_disease_name_variants_find_the_focus(named: FocusMatcher) -> None:
    (m,) = named.match("my son has Bourneville-Pringle disease")
    assert m.focus == "Tuberous Sclerosis"
    assert m.mapping is not None and m.mapping.entry == "MeSH D014402"


@pytest.fixture(scope="module")
def medquad_named() -> FocusMatcher:
    if not MEDQUAD_ZIP.exists():
        pytest.skip(f"{MEDQUAD_ZIP} is absent: the real-vocabulary test needs the MedQuAD archive")
    from healthqa.ingest.medquad import read

    records, _ = read(MEDQUAD_ZIP)
    pairs = {(n, r.focus) for r in records if r.focus for n in (r.focus, *r.synonyms)}
    return FocusMatcher(pairs, dictionaries=True)


@pytest.mark.parametrize(
    ("text", "focus"),
    [
        ("zantac recall, is it safe?", "Ranitidine"),
        ("can I take motrin and aleve together", "Naproxen"),
        ("side effects of bentyl", "Dicyclomine"),
    ],
)
def test_medquad_vocabulary_with_dictionaries(
    medquad_named: FocusMatcher, text: str, focus: str
) -> None:
    assert focus in foci(medquad_named, text)


def test_medquad_vocabulary_with_dictionaries_ignores_everyday_words(
    medquad_named: FocusMatcher,
) -> None:
    """The brand is found now; HCL, MG, AM, speed and the brand "Emend" still name nothing."""
    text = "I take Wellbutrin HCL XL, 150 MG in the AM; I fall asleep at a slow speed. Emend it."
    assert [m.focus for m in medquad_named.match(text)] == ["Bupropion"]
