"""Display titles (healthqa/ingest/titles.py): one real MedQuAD title for every template the
archive uses, the rules that decide the case of a focus, titles of other sources left alone,
and the rules run over all 47,457 MedQuAD titles (skipped without ../shared/data)."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, select

from healthqa.ingest import export_jsonl, import_jsonl
from healthqa.ingest.demo import CORPUS
from healthqa.ingest.medquad import read
from healthqa.ingest.records import QuestionRecord
from healthqa.ingest.titles import display_title, load_rules
from healthqa.store.models import Question
from tests.data import shared


class Example(NamedTuple):
    title: str
    focus: str
    shown: str
    category: str | None = None


# One title for each template of MedQuAD (its title with the focus taken out), as the archive
# writes it, with its focus and what a page shows.
TEMPLATES = [
    Example(
        "What is (are) Periorbital cellulitis?",
        "Periorbital cellulitis",
        "What is periorbital cellulitis?",
        "Disease",
    ),
    Example(
        "What are the symptoms of Poikiloderma with neutropenia?",
        "Poikiloderma with neutropenia",
        "What are the symptoms of poikiloderma with neutropenia?",
    ),
    Example(
        "What are the treatments for High blood pressure and eye disease?",
        "High blood pressure and eye disease",
        "What are the treatments for high blood pressure and eye disease?",
        "Disease",
    ),
    Example("What causes Liver spots?", "Liver spots", "What causes liver spots?", "Disease"),
    Example(
        "What is the outlook for Sciatica?",
        "Sciatica",
        "What is the outlook for sciatica?",
        "Disease",
    ),
    Example(
        "Do you have information about Laser Eye Surgery",
        "Laser Eye Surgery",
        "What should I know about laser eye surgery?",
        "Other",
    ),
    Example(
        "How to diagnose Lichen planus pigmentosus?",
        "Lichen planus pigmentosus",
        "How to diagnose lichen planus pigmentosus?",
    ),
    Example(
        "Do I need to see a doctor for Selective mutism?",
        "Selective mutism",
        "Do I need to see a doctor for selective mutism?",
        "Disease",
    ),
    Example("Is Retinoblastoma inherited?", "Retinoblastoma", "Is retinoblastoma inherited?"),
    Example(
        "Are there safety concerns or special precautions about Panobinostat?",
        "Panobinostat",
        "Are there safety concerns or special precautions about panobinostat?",
        "Drug",
    ),
    Example(
        "What are the side effects or risks of Acyclovir Topical?",
        "Acyclovir Topical",
        "What are the side effects or risks of acyclovir topical?",
        "Drug",
    ),
    Example(
        "What other information should I know about Magnesium Oxide?",
        "Magnesium Oxide",
        "What other information should I know about magnesium oxide?",
        "Drug",
    ),
    Example(
        "Who should get Enalapril and why is it prescribed?",
        "Enalapril",
        "Who should get enalapril and why is it prescribed?",
        "Drug",
    ),
    Example(
        "How should Lamivudine and Zidovudine be used and what is the dosage?",
        "Lamivudine and Zidovudine",
        "How should lamivudine and zidovudine be used and what is the dosage?",
        "Drug",
    ),
    Example(
        "What are the brand names of Doxycycline?",
        "Doxycycline",
        "What are the brand names of doxycycline?",
        "Drug",
    ),
    Example(
        "How to prevent Cranial mononeuropathy III - diabetic type?",
        "Cranial mononeuropathy III - diabetic type",
        "How to prevent cranial mononeuropathy III - diabetic type?",
        "Disease",
    ),
    Example(
        "What to do in case of emergency or overdose of Triamcinolone Nasal Spray?",
        "Triamcinolone Nasal Spray",
        "What to do in case of emergency or overdose of triamcinolone nasal spray?",
        "Drug",
    ),
    Example(
        "What are the complications of Malocclusion of teeth?",
        "Malocclusion of teeth",
        "What are the complications of malocclusion of teeth?",
        "Disease",
    ),
    Example(
        "What should I know about storage and disposal of Pitavastatin?",
        "Pitavastatin",
        "What should I know about storage and disposal of pitavastatin?",
        "Drug",
    ),
    Example(
        "How many people are affected by Aarskog-Scott syndrome?",
        "Aarskog-Scott syndrome",
        "How many people are affected by Aarskog-Scott syndrome?",
    ),
    Example(
        "What should I do if I forget a dose of Progesterone?",
        "Progesterone",
        "What should I do if I forget a dose of progesterone?",
        "Drug",
    ),
    Example(
        "What special dietary instructions should I follow with Ofloxacin Ophthalmic?",
        "Ofloxacin Ophthalmic",
        "What special dietary instructions should I follow with ofloxacin ophthalmic?",
        "Drug",
    ),
    Example(
        "What are the genetic changes related to Chronic Myelogenous Leukemia?",
        "Chronic Myelogenous Leukemia",
        "What are the genetic changes related to chronic myelogenous leukemia?",
    ),
    Example(
        "What to do for Abdominal bloating?",
        "Abdominal bloating",
        "What to do for abdominal bloating?",
        "Disease",
    ),
    Example(
        "Who is at risk for Parasites - Lice - Head Lice??",
        "Parasites - Lice - Head Lice",
        "Who is at risk for parasites - lice - head lice?",
    ),
    Example(
        "What important warning or information should I know about Daunorubicin?",
        "Daunorubicin",
        "What important warning or information should I know about daunorubicin?",
        "Drug",
    ),
    Example(
        "what research (or clinical trials) is being done for Melanoma?",
        "Melanoma",
        "What research and clinical trials are being done for melanoma?",
    ),
    Example(
        "What are the brand names of combination products of Tramadol?",
        "Tramadol",
        "What are the brand names of combination products of tramadol?",
        "Drug",
    ),
    Example(
        "Where to find support for people with Chronic lymphocytic leukemia (CLL)?",
        "Chronic lymphocytic leukemia (CLL)",
        "Where to find support for people with chronic lymphocytic leukemia (CLL)?",
        "Disease",
    ),
    Example("What is Grapefruit?", "Grapefruit", "What is grapefruit?", "Drug"),
    Example(
        "What is the dosage of Lycopene?", "Lycopene", "What is the dosage of lycopene?", "Drug"
    ),
    Example(
        "How effective is Activated Charcoal?",
        "Activated Charcoal",
        "How effective is activated charcoal?",
        "Drug",
    ),
    Example(
        "What is the action of Black psyllium and how does it work?",
        "Black psyllium",
        "What is the action of black psyllium and how does it work?",
        "Drug",
    ),
    Example(
        "Are there interactions between Coconut Water and other medications?",
        "Coconut Water",
        "Are there interactions between coconut water and other medications?",
        "Drug",
    ),
    Example(
        "Are there interactions between Zinc and herbs and supplements?",
        "Zinc",
        "Are there interactions between zinc and herbs and supplements?",
        "Drug",
    ),
    Example(
        "Are there interactions between Beta-carotene and foods?",
        "Beta-carotene",
        "Are there interactions between beta-carotene and foods?",
        "Drug",
    ),
    Example(
        "What are the stages of Ovarian Germ Cell Tumors?",
        "Ovarian Germ Cell Tumors",
        "What are the stages of ovarian germ cell tumors?",
    ),
    Example(
        "How can I learn more about Anthrax Vaccine?",
        "Anthrax Vaccine",
        "How can I learn more about anthrax vaccine?",
        "Drug",
    ),
    Example(
        "What to do in case of a severe reaction to Rabies Vaccine?",
        "Rabies Vaccine",
        "What to do in case of a severe reaction to rabies vaccine?",
        "Drug",
    ),
    Example(
        "Who should not get Polio Vaccine and what are its contraindications?",
        "Polio Vaccine",
        "Who should not get polio vaccine and what are its contraindications?",
        "Drug",
    ),
    Example(
        "Why get vaccinated with Varicella (Chickenpox) Vaccine?",
        "Varicella (Chickenpox) Vaccine",
        "Why get vaccinated with varicella (chickenpox) vaccine?",
        "Drug",
    ),
    # NINDS and CDC wrote some titles in lower case, one template or a few titles each
    Example(
        "what research is being done for Psychogenic Movement?",
        "Psychogenic Movement",
        "What research is being done for psychogenic movement?",
    ),
    Example("is there any treatment for ALS?", "ALS", "Is there any treatment for ALS?"),
    Example(
        "what is the prognosis for Lipid Storage Diseases?",
        "Lipid Storage Diseases",
        "What is the prognosis for lipid storage diseases?",
    ),
    Example("what are marine toxins?", "Marine Toxins", "What are marine toxins?"),
    Example(
        "what is psychogenic movement?", "Psychogenic Movement", "What is psychogenic movement?"
    ),
    Example("how is rabies diagnosed?", "Rabies", "How is rabies diagnosed?"),
    Example("what is holmes-adie syndrome?", "Holmes-Adie", "What is Holmes-Adie syndrome?"),
    Example(
        "what is amyotrophic lateral sclerosis (als)?",
        "ALS",
        "What is amyotrophic lateral sclerosis (ALS)?",
    ),
    Example("how common is botulism?", "Botulism", "How common is botulism?"),
    Example("what are the symptoms of botulism?", "Botulism", "What are the symptoms of botulism?"),
    Example("how can botulism be treated?", "Botulism", "How can botulism be treated?"),
    Example(
        "are there complications from botulism?",
        "Botulism",
        "Are there complications from botulism?",
    ),
    Example("how can botulism be prevented?", "Botulism", "How can botulism be prevented?"),
    Example(
        "what are public health agencies doing to prevent or control botulism?",
        "Botulism",
        "What are public health agencies doing to prevent or control botulism?",
    ),
    Example(
        "how is hps diagnosed and treated for Hantavirus?",
        "Hantavirus",
        "How is HPS diagnosed and treated for hantavirus?",
    ),
    Example(
        "what are the symptoms for Hantavirus?",
        "Hantavirus",
        "What are the symptoms for hantavirus?",
    ),
    Example(
        "how can hps be prevented for Hantavirus?",
        "Hantavirus",
        "How can HPS be prevented for hantavirus?",
    ),
    Example(
        "what is the history of hps for Hantavirus?",
        "Hantavirus",
        "What is the history of HPS for hantavirus?",
    ),
    Example(
        "how can these diseases be diagnosed for Marine Toxins?",
        "Marine Toxins",
        "How can these diseases be diagnosed for marine toxins?",
    ),
    Example(
        "how can these diseases be treated for Marine Toxins?",
        "Marine Toxins",
        "How can these diseases be treated for marine toxins?",
    ),
    Example(
        "how common are these diseases for Marine Toxins?",
        "Marine Toxins",
        "How common are these diseases for marine toxins?",
    ),
    Example(
        "what can i do to prevent poisoning by marine toxins?",
        "Marine Toxins",
        "What can I do to prevent poisoning by marine toxins?",
    ),
    Example(
        "what is the government doing about these diseases for Marine Toxins?",
        "Marine Toxins",
        "What is the government doing about these diseases for marine toxins?",
    ),
    Example(
        "what else can be done to prevent these diseases for Marine Toxins?",
        "Marine Toxins",
        "What else can be done to prevent these diseases for marine toxins?",
    ),
    Example(
        "what are the signs and symptoms of rabies?",
        "Rabies",
        "What are the signs and symptoms of rabies?",
    ),
    Example(
        "what is the risk for my pet for Rabies?",
        "Rabies",
        "What is the risk for my pet for rabies?",
    ),
    Example("what is yersiniosis for Yersinia?", "Yersinia", "What is yersiniosis for Yersinia?"),
    Example(
        "how common is infection with y. enterocolitica for Yersinia?",
        "Yersinia",
        "How common is infection with Y. enterocolitica for Yersinia?",
    ),
    Example(
        "how can y. enterocolitica infections be diagnosed for Yersinia?",
        "Yersinia",
        "How can Y. enterocolitica infections be diagnosed for Yersinia?",
    ),
    Example(
        "how can y. enterocolitica infections be treated for Yersinia?",
        "Yersinia",
        "How can Y. enterocolitica infections be treated for Yersinia?",
    ),
    Example(
        "what are public health agencies doing to prevent or control yersiniosis for Yersinia?",
        "Yersinia",
        "What are public health agencies doing to prevent or control yersiniosis for Yersinia?",
    ),
    # two CDC documents have no focus: their titles are their own templates
    Example("What is (are)?", "", "What is this about?"),
    Example("Who is at risk for??", "", "Who is at risk?"),
    Example("How to prevent?", "", "How to prevent it?"),
    Example("how vaccines prevent disease", "", "How vaccines prevent disease?"),
    Example("what diseases are vaccine preventable", "", "What diseases are vaccine preventable?"),
    Example("what is staphylococcus aureus?", "", "What is Staphylococcus aureus?"),
    Example(
        "how can the spread of visa and vrsa be prevented?",
        "",
        "How can the spread of VISA and VRSA be prevented?",
    ),
    Example(
        "what is cdc doing to address visa and vrsa?",
        "",
        "What is CDC doing to address VISA and VRSA?",
    ),
    Example(
        "what is vancomycin-resistant enterococci?", "", "What is vancomycin-resistant enterococci?"
    ),
    Example(
        "what types of infections does vancomycin-resistant enterococci cause?",
        "",
        "What types of infections does vancomycin-resistant enterococci cause?",
    ),
    Example(
        "are certain people at risk of getting vancomycin-resistant enterococci?",
        "",
        "Are certain people at risk of getting vancomycin-resistant enterococci?",
    ),
    Example(
        "what is the treatment for vancomycin-resistant enterococci?",
        "",
        "What is the treatment for vancomycin-resistant enterococci?",
    ),
    Example(
        "how can patients prevent the spread of vancomycin-resistant enterococci?",
        "",
        "How can patients prevent the spread of vancomycin-resistant enterococci?",
    ),
]

# How a focus is written mid-sentence, and what its number makes of "What is (are)".
FOCUS_RULES = [
    # a plain disease name in title case goes lower case; plurals are plural
    Example("What is (are) Back Pain?", "Back Pain", "What is back pain?"),
    Example("What is (are) Kidney Stones?", "Kidney Stones", "What are kidney stones?"),
    Example(
        "What is (are) Holes in the Heart?", "Holes in the Heart", "What are holes in the heart?"
    ),
    Example(
        "Is Ovarian Germ Cell Tumors inherited?",
        "Ovarian Germ Cell Tumors",
        "Are ovarian germ cell tumors inherited?",
    ),
    Example("What is (are) Diabetes?", "Diabetes", "What is diabetes?"),
    Example("What is (are) Shingles?", "Shingles", "What is shingles?"),
    Example(
        "What is (are) Sprains and Strains?", "Sprains and Strains", "What are sprains and strains?"
    ),
    Example(
        "What is (are) Pain and your emotions?",
        "Pain and your emotions",
        "What is pain and your emotions?",
    ),
    # eponyms, acronyms and names with a capital inside keep their case
    Example(
        "What is (are) Alzheimer's Disease?", "Alzheimer's Disease", "What is Alzheimer's disease?"
    ),
    Example(
        "What is (are) Parkinson's Disease?", "Parkinson's Disease", "What is Parkinson's disease?"
    ),
    Example("What causes Crohn's Disease?", "Crohn's Disease", "What causes Crohn's disease?"),
    Example("What is (are) Down syndrome?", "Down syndrome", "What is Down syndrome?"),
    Example("What is (are) Marfan Syndrome?", "Marfan Syndrome", "What is Marfan syndrome?"),
    Example("What is (are) HIV/AIDS?", "HIV/AIDS", "What is HIV/AIDS?"),
    Example("What causes COPD?", "COPD", "What causes COPD?"),
    Example("What is (are) ARDS?", "ARDS", "What is ARDS?"),
    Example("What is (are) DiGeorge syndrome?", "DiGeorge syndrome", "What is DiGeorge syndrome?"),
    Example(
        "What is (are) X-Linked Agammaglobulinemia?",
        "X-Linked Agammaglobulinemia",
        "What is X-linked agammaglobulinemia?",
    ),
    # a name the word lists do not know keeps its case: one unknown word keeps a title-case
    # name whole, and only the first word of a sentence-case name is in question
    Example("What causes Ecthyma?", "Ecthyma", "What causes Ecthyma?", "Disease"),
    Example(
        "What is (are) Aarskog syndrome?",
        "Aarskog syndrome",
        "What is Aarskog syndrome?",
        "Disease",
    ),
    Example(
        "What are the side effects or risks of Liothyronine?",
        "Liothyronine",
        "What are the side effects or risks of Liothyronine?",
        "Drug",
    ),
    Example(
        "What are the brand names of Cefepime Injection?",
        "Cefepime Injection",
        "What are the brand names of Cefepime Injection?",
        "Drug",
    ),
    # a generic medicine name goes lower case (USAN stems); a brand name in brackets stays
    Example(
        "What are the brand names of Atorvastatin?",
        "Atorvastatin",
        "What are the brand names of atorvastatin?",
        "Drug",
    ),
    Example(
        "What is Human Papillomavirus (HPV) Vaccine (Gardasil)?",
        "Human Papillomavirus (HPV) Vaccine (Gardasil)",
        "What is human papillomavirus (HPV) vaccine (Gardasil)?",
        "Drug",
    ),
    # a focus that is an article's title is quoted in a question about what it says
    Example(
        "What causes Treatment for childhood cancer - long-term risks?",
        "Treatment for childhood cancer - long-term risks",
        "What does “Treatment for childhood cancer - long-term risks” say about causes?",
    ),
    Example(
        "What causes What I need to know about Gas?",
        "What I need to know about Gas",
        "What does “What I need to know about Gas” say about causes?",
    ),
    Example(
        "What is (are) How to care for pressure sores?",
        "How to care for pressure sores",
        "What is “How to care for pressure sores” about?",
    ),
    Example(
        "Do you have information about A guide to herbal remedies",
        "A guide to herbal remedies",
        "What is “A guide to herbal remedies” about?",
    ),
    Example(
        "What is (are) Bunion removal - discharge?",
        "Bunion removal - discharge",
        "What is “Bunion removal - discharge” about?",
    ),
    Example(
        "What to do for Viral Hepatitis: A through E and Beyond?",
        "Viral Hepatitis: A through E and Beyond",
        "What does “Viral Hepatitis: A through E and Beyond” say about what to do?",
    ),
    # a focus that is itself a question, asked about in general, is the title
    Example(
        "What is (are) What causes bone loss??", "What causes bone loss?", "What causes bone loss?"
    ),
    Example(
        "What are the symptoms of Do you have a drinking problem??",
        "Do you have a drinking problem?",
        "What does “Do you have a drinking problem?” say about symptoms?",
    ),
]


def shown(example: Example) -> str:
    return display_title(example.title, example.focus, category=example.category)


@pytest.mark.parametrize("example", TEMPLATES, ids=lambda e: e.title[:60])
def test_every_medquad_template_reads_as_a_person_would_write_it(example: Example) -> None:
    assert shown(example) == example.shown


@pytest.mark.parametrize("example", FOCUS_RULES, ids=lambda e: e.title[:60])
def test_the_focus_is_written_as_mid_sentence(example: Example) -> None:
    assert shown(example) == example.shown


def test_every_template_of_the_rules_file_has_an_example() -> None:
    titles = [e.title for e in TEMPLATES]
    unused = [
        t.medquad
        for t in load_rules().templates
        if not any(t.pattern.match(" ".join(title.split())) for title in titles)
    ]
    assert not unused, f"templates in titles.toml without an example here: {unused}"


def test_the_record_signals_decide_the_case_of_a_focus() -> None:
    # a synonym writing the word in lower case says it is a plain word
    assert display_title("What causes Glorp Fever?", "Glorp Fever") == "What causes Glorp Fever?"
    with_synonym = display_title(
        "What causes Glorp Fever?", "Glorp Fever", synonyms=["acute glorp"]
    )
    assert with_synonym == "What causes glorp fever?"
    # a gene's name (UMLS semantic type T028) keeps its case as written
    gene = display_title(
        "What is (are) Chronic Disease?", "Chronic Disease", semantic_types=["T028"]
    )
    assert gene == "What is Chronic Disease?"


def test_spacing_and_question_marks_are_tidied() -> None:
    title = "What causes  Gout ?"
    assert display_title(title, "Gout") == "What causes gout?"
    assert display_title("Who is at risk for Gout??", "Gout") == "Who is at risk for gout?"


OTHER_TITLES = [
    ("Lower back pain since my IUD was put in — what should I do?", ""),
    ("What is ibuprofen used for?", "ibuprofen"),  # looks like "What is {focus}?": not its focus
    ("What causes Gout?", ""),  # no focus: no template is applied
    ("Is it safe to take Ibuprofen with Warfarin?", "Ibuprofen"),
    ("Body Lice: How do I get rid of these little devils?", "Body Lice"),
]


@pytest.mark.parametrize(("title", "focus"), OTHER_TITLES)
def test_a_good_title_of_another_source_is_left_as_it_is(title: str, focus: str) -> None:
    assert display_title(title, focus) == title


def test_the_demo_corpus_titles_are_left_as_they_are() -> None:
    lines = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    questions = [q for q in lines if "title" in q]
    assert questions
    changed = [
        (q["title"], shown_)
        for q in questions
        if (shown_ := display_title(q["title"], q.get("focus", ""))) != q["title"]
    ]
    assert not changed


def test_a_lower_case_question_of_the_ask_form_gets_its_capital_and_question_mark() -> None:
    assert display_title("how long does morning sickness last") == (
        "How long does morning sickness last?"
    )


# ----- stored with every imported question -----

MEDQUAD_LIKE = [
    {
        "id": "MPlusHealthTopics_0000001_Sec1",
        "title": "What is (are) Back Pain?",
        "focus": "Back Pain",
        "topic": "bones-joints-muscles",
    },
    {
        "id": "MPlusHealthTopics_0000002_Sec1",
        "title": "Do you have information about Kidney Stones",
        "focus": "Kidney Stones",
        "topic": "kidneys-and-urinary",
    },
]


def test_imports_store_the_display_title_and_export_keeps_the_title(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "medquad-like.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in MEDQUAD_LIKE), encoding="utf-8")
    import_jsonl(engine, path)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Question.title, Question.display_title)).all())
    assert stored == {
        "What is (are) Back Pain?": "What is back pain?",
        "Do you have information about Kidney Stones": "What should I know about kidney stones?",
    }
    out = io.StringIO()
    export_jsonl(engine, out)
    exported = {json.loads(line).get("title") for line in out.getvalue().splitlines()}
    assert {"What is (are) Back Pain?", "Do you have information about Kidney Stones"} <= exported
    assert "display_title" not in out.getvalue()  # the import format carries the title alone


# ----- all of MedQuAD -----


@pytest.fixture(scope="module")
def medquad_records() -> list[QuestionRecord]:
    records, rejected = read(shared("MedQuAD-master.zip"))
    assert not rejected
    return records


def template_of(record: QuestionRecord) -> str:
    """The record's title with its focus taken out (the title itself when it has none)."""
    return template_of_title(record.title, record.focus)


def template_of_title(title: str, focus: str) -> str:
    found = re.search(re.escape(focus), title, re.IGNORECASE) if focus else None
    return f"{title[: found.start()]}{{focus}}{title[found.end() :]}" if found else title


def test_every_template_of_medquad_has_an_example(medquad_records: list[QuestionRecord]) -> None:
    templates = {template_of(r) for r in medquad_records}
    covered = {template_of_title(e.title, e.focus) for e in TEMPLATES}
    assert len(templates) == 85
    assert not templates - covered, f"templates without an example: {sorted(templates - covered)}"


def test_all_medquad_titles_keep_the_promises(medquad_records: list[QuestionRecord]) -> None:
    """Over all 47,457 titles: a question mark last, a capital first, no "(are)", no double
    spaces, the focus still in it, no "What causes Treatment"; and how many each template
    changed (shown when the test fails, and by pytest -rP)."""
    broken, changed, total = [], Counter[str](), Counter[str]()
    for r in medquad_records:
        title = display_title(
            r.title,
            r.focus,
            synonyms=r.synonyms,
            semantic_types=r.semantic_types,
            category=r.focus_category,
        )
        template = template_of(r)
        total[template] += 1
        changed[template] += title != r.title
        promises = {
            "ends with ?": title.endswith("?"),
            "starts with a capital": title[:1].isupper(),
            "no (are)": "(are)" not in title,
            "no double spaces": "  " not in title,
            "the focus in it": r.focus.casefold() in title.casefold(),
            "no What causes Treatment": "what causes treatment" not in title.casefold(),
        }
        broken += [f"{r.external_id}: {title!r}: {p}" for p, kept in promises.items() if not kept]
    report = "\n".join(f"{changed[t]:>6,} of {total[t]:>6,}  {t}" for t, _ in total.most_common())
    print(f"titles changed per template:\n{report}")
    assert len(medquad_records) == 47_457
    assert not broken, "\n".join(broken[:50])
    assert changed["What is (are) {focus}?"] == total["What is (are) {focus}?"] == 7_009
    assert changed["Do you have information about {focus}"] == 2_073
    assert sum(changed.values()) > 30_000
