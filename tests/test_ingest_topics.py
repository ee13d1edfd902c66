"""Topics: the packaged rules on real examples, file overrides, and broken topics files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from healthqa.ingest.medquad import read
from healthqa.ingest.topics import TopicHints, TopicRules, TopicsFileError, load_rules

SLUGS = [
    "womens-health", "pregnancy", "mens-health", "childrens-health", "older-adults",
    "sexual-health", "cancer", "heart-and-blood", "lungs-and-breathing", "brain-and-nerves",
    "mental-health", "diabetes-and-hormones", "digestive-health", "kidneys-and-urinary",
    "bones-joints-muscles", "skin-hair-nails", "eyes-and-vision", "ear-nose-throat",
    "infections", "immune-and-allergies", "genetic-conditions", "medicines", "supplements",
    "tests-and-procedures", "injuries-and-first-aid", "healthy-living", "general-health",
]  # fmt: skip

# One real question per topic: (expected topic, hints). Foci are MedQuAD's or LiveQA's.
EXAMPLES = [
    ("womens-health", TopicHints("demo", "Intrauterine device", "Other", (),
                                 "Lower back pain after IUD insertion", ("IUD", "coil"))),
    ("pregnancy", TopicHints("GHR", "preeclampsia")),
    ("mens-health", TopicHints("ADAM", "Enlarged prostate", "Disease")),
    ("childrens-health", TopicHints("ADAM", "Developmental milestones record - 2 years", "Other")),
    ("older-adults", TopicHints("ADAM", "Aging changes in the heart and blood vessels", "Other")),
    ("sexual-health", TopicHints("MPlusHealthTopics", "Genital Herpes", "Disease")),
    ("cancer", TopicHints("GHR", "breast cancer", semantic_types=("T191",))),
    ("heart-and-blood", TopicHints("NHLBI", "Heart Attack", semantic_types=("T047",))),
    ("lungs-and-breathing", TopicHints("MPlusHealthTopics", "Asthma", "Disease")),
    ("brain-and-nerves", TopicHints("NINDS", "Central Cord Syndrome")),
    ("mental-health", TopicHints("NIHSeniorHealth", "Depression")),
    ("diabetes-and-hormones", TopicHints("MPlusHealthTopics", "Diabetes Type 2", "Disease")),
    ("digestive-health", TopicHints("NIDDK", "Celiac Disease")),
    ("kidneys-and-urinary", TopicHints("NIDDK", "Kidney Stones in Adults")),
    ("bones-joints-muscles", TopicHints("NIHSeniorHealth", "Osteoporosis")),
    ("skin-hair-nails", TopicHints("ADAM", "Atopic dermatitis - self-care", "Disease")),
    ("eyes-and-vision", TopicHints("GHR", "retinitis pigmentosa")),
    ("ear-nose-throat", TopicHints("LiveQA", "tinnitus", title="ringing in my ears")),
    ("infections", TopicHints("CDC", "Parasites - Taeniasis")),
    ("immune-and-allergies", TopicHints("ADAM", "Anaphylaxis", "Disease")),
    ("genetic-conditions", TopicHints("GHR", "Aarskog-Scott syndrome", None, ("T019", "T047"),
                                      synonyms=("Faciogenital dysplasia", "AAS"))),
    ("medicines", TopicHints("MPlusDrugs", "Insulin Glargine Injection", "Drug")),
    ("supplements", TopicHints("MPlusHerbsSupplements", "Ginkgo", "Drug")),
    ("tests-and-procedures", TopicHints("ADAM", "Kidney biopsy", "Other")),
    ("injuries-and-first-aid", TopicHints("ADAM", "Digoxin overdose", "Other")),
    ("healthy-living", TopicHints("NHLBI", "Smoking and Your Heart")),
    ("general-health", TopicHints("MPlusHealthTopics", "Health Insurance", "Other")),
]  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> TopicRules:
    return load_rules()


def test_packaged_topics_are_the_agreed_list_in_order(rules: TopicRules) -> None:
    assert [topic.slug for topic in rules.topics] == SLUGS
    assert rules.topics[0].name == "Women's health"
    assert rules.fallback == "general-health"
    assert all(topic.description for topic in rules.topics)


@pytest.mark.parametrize(("expected", "hints"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_real_questions_get_their_topic(
    rules: TopicRules, expected: str, hints: TopicHints
) -> None:
    assert rules.assign(hints) == expected, rules.explain(hints)


def test_every_topic_is_reachable_by_a_rule() -> None:
    assert sorted({expected for expected, _ in EXAMPLES}) == sorted(SLUGS)


@pytest.mark.parametrize(
    ("expected", "hints"),
    [
        # A neoplasm is cancer, whichever organ; screening of the breast is women's health.
        ("cancer", TopicHints("GHR", "hereditary breast cancer")),
        ("womens-health", TopicHints("ADAM", "Breast cancer screenings", "Other")),
        # A rare disease named after an organ condition sits with the organ.
        ("heart-and-blood", TopicHints("GHR", "familial hypercholesterolemia")),
        # Synonyms of a rare disease are symptom lists, not names: they are not used.
        ("genetic-conditions", TopicHints("GARD", "IMAGe syndrome",
                                          synonyms=("Intrauterine growth retardation",))),
        # Catalogues about one thing decide before the name: insulin is a medicine here.
        ("medicines", TopicHints("MPlusDrugs", "Insulin Lispro Injection", "Drug")),
        ("diabetes-and-hormones", TopicHints("ADAM", "Type 2 diabetes", "Disease")),
        ("pregnancy", TopicHints("NIDDK", "What I need to know about Gestational Diabetes")),
        ("mens-health", TopicHints("NIDDK", "What I need to know about Erectile Dysfunction")),
        ("womens-health", TopicHints("ADAM", "Endometriosis", "Disease")),
        # Synonyms help when the focus says nothing.
        ("lungs-and-breathing", TopicHints("ADAM", "Caplan syndrome", "Disease",
                                           synonyms=("Rheumatoid pneumoconiosis",))),
        # Questions with no focus fall back on their own words.
        ("pregnancy", TopicHints("demo", title="Is it safe to take ibuprofen while pregnant?")),
        ("medicines", TopicHints("LiveQA", "Citalopram", title="side effects")),
        # Semantic types and the focus category come last.
        ("cancer", TopicHints("ADAM", "Ganglioneuroma", "Disease", ("T191",))),
        ("medicines", TopicHints("demo", "Xyzzy", "Drug")),
        ("general-health", TopicHints("demo")),
    ],
)  # fmt: skip
def test_the_order_of_the_layers_decides(
    rules: TopicRules, expected: str, hints: TopicHints
) -> None:
    assert rules.assign(hints) == expected, rules.explain(hints)


def test_explain_names_the_rule_and_the_words_that_matched(rules: TopicRules) -> None:
    why = rules.explain(TopicHints("GHR", "preeclampsia"))
    assert why.startswith("pregnancy: layer 'focus names a condition' rule ")
    assert "'preeclampsia' in focus" in why
    assert rules.explain(TopicHints("demo")) == (
        "general-health: no rule matched, fallback of topics.toml"
    )
    assert "(source mplusdrugs)" in rules.explain(TopicHints("MPlusDrugs", "Aspirin", "Drug"))


def test_the_packaged_rules_are_loaded_once() -> None:
    assert load_rules() is load_rules()


SMALL = """
fallback = "other"

[[topic]]
slug = "pets"
name = "Pets"
description = "Animals at home."

[[topic]]
slug = "other"
name = "Everything else"

[[layer]]
name = "focus"
match_in = ["focus", "title"]

[[layer.rule]]
topic = "pets"
keywords = ['(?<!hot )dogs?', 'cat[- ]scratch', '\\w*parrots?', '^hamsters?$', '- kitten']

[[layer]]
name = "sources"

[[layer.rule]]
topic = "pets"
sources = ["vet"]
"""


def test_a_site_file_replaces_the_packaged_rules(tmp_path: Path) -> None:
    path = tmp_path / "site-topics.toml"
    path.write_text(SMALL, encoding="utf-8")
    rules = load_rules(path)
    assert [topic.slug for topic in rules.topics] == ["pets", "other"]
    assert rules.assign(TopicHints("demo", "My dog limps")) == "pets"
    assert rules.assign(TopicHints("demo", title="Cat-scratch fever?")) == "pets"
    assert rules.assign(TopicHints("demo", "Heart")) == "other"
    assert rules.assign(TopicHints("VET", "Heart")) == "pets"  # source keys ignore case
    assert "fallback of site-topics.toml" in rules.explain(TopicHints("demo", "Heart"))


@pytest.mark.parametrize(
    ("focus", "expected"),
    [
        ("DOGS", "pets"),  # case-insensitive
        ("hotdogs", "other"),  # whole words only
        ("Hot dogs", "other"),  # a lookbehind in a keyword
        ("Grey parrot", "pets"),  # a keyword starting with \w*
        ("African greyparrots", "pets"),
        ("Hamster", "pets"),  # anchored to the whole focus...
        ("Hamster cage", "other"),  # ...so not here
        ("Rescue - kitten", "pets"),  # a keyword starting with punctuation
        ("kitten", "other"),
    ],
)
def test_keywords_match_whole_words_however_they_start(
    tmp_path: Path, focus: str, expected: str
) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(SMALL, encoding="utf-8")
    assert load_rules(path).assign(TopicHints("demo", focus)) == expected


BROKEN = [
    ("unknown-topic", SMALL.replace('topic = "pets"\nsources', 'topic = "cats"\nsources'),
     "layer 2 (sources) rule 1 (cats): unknown topic 'cats'"),
    ("duplicate-slug", SMALL.replace('slug = "other"', 'slug = "pets"'),
     "topic 2 (pets): duplicate slug 'pets'"),
    ("bad-regex", SMALL.replace("'cat[- ]scratch'", "'cat[- scratch'"),
     "layer 1 (focus) rule 1 (pets): bad keyword 'cat[- scratch'"),
    ("missing-name", SMALL.replace('name = "Pets"\n', ""),
     "topic 1 (pets): missing field 'name'"),
    ("missing-topic", SMALL.replace('topic = "pets"\nsources = ["vet"]', 'sources = ["vet"]'),
     "layer 2 (sources) rule 1 (?): missing field 'topic'"),
    ("typo-field", SMALL.replace("keywords =", "keyword ="),
     "layer 1 (focus) rule 1 (pets): unknown field 'keyword'"),
    ("unknown-fallback", SMALL.replace('fallback = "other"', 'fallback = "misc"'),
     "fallback 'misc' is not one of the topic slugs"),
    ("no-condition", SMALL.replace('sources = ["vet"]', ""),
     "layer 2 (sources) rule 1 (pets): a rule needs at least one condition"),
    ("keywords-without-text", SMALL.replace('match_in = ["focus", "title"]\n', ""),
     "layer 1 (focus) rule 1 (pets): has keywords"),
    ("unknown-field-to-match", SMALL.replace('"title"]', '"body"]'),
     "layer 1 (focus): match_in 'body' is not one of focus, synonyms, title"),
    ("reuse-unknown-layer", SMALL + '[[layer]]\nname = "again"\nmatch_in = ["synonyms"]\n'
     'rules_from = ["nope"]\n', "layer 3 (again): rules_from 'nope' is not an earlier layer"),
    ("keywords-not-a-list", SMALL.replace("keywords = [", "keywords = 'dogs' #["),
     "layer 1 (focus) rule 1 (pets): 'keywords' must be a list of non-empty strings"),
    ("not-toml", "fallback = \n", "not valid TOML"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_file_is_refused_naming_the_file_and_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "site-topics.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TopicsFileError) as error:
        load_rules(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(TopicsFileError, match="nowhere.toml: cannot read topics file"):
        load_rules(path)


@pytest.mark.slow
def test_few_medquad_questions_fall_to_general_health(rules: TopicRules, medquad_zip: Path) -> None:
    records, _ = read(medquad_zip)
    by_document: dict[tuple[str, str | None], str] = {}
    by_pair: Counter[str] = Counter()
    for record in records:
        topic = rules.assign(
            TopicHints(
                record.source,
                record.focus,
                record.focus_category,
                tuple(record.semantic_types),
                record.title,
                tuple(record.synonyms),
            )
        )
        by_pair[topic] += 1
        by_document.setdefault((record.source, record.document_id), topic)
    documents = Counter(by_document.values())
    assert len(by_document) > 11_000
    assert documents["general-health"] / len(by_document) < 0.05
    assert by_pair["general-health"] / len(records) < 0.05
    assert set(documents) == set(SLUGS)
