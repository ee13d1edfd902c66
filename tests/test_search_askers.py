"""The real-asker dev set: LiveQA reference answers aligned with MedQuAD answers by shared
word trigrams, the graded relevance that follows, the seeded folds, and the two metrics.

The alignment tests read a few real LiveQA questions and MedQuAD documents from the archive."""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from healthqa.cli import app
from healthqa.formats.liveqa import LiveQAQuestion, read_questions
from healthqa.ingest import import_medquad
from healthqa.ingest.medquad import parse_document
from healthqa.search import askers
from healthqa.search.askers import Asker, MedQuADPair
from healthqa.search.learned import HAND_BLEND, Ranking
from healthqa.search.lexical import terms
from healthqa.search.train_ranking import ablation_groups, liveqa_examples

DOCUMENTS = (
    "MedQuAD-master/5_NIDDK_QA/0000009.xml",  # Hypothyroidism (NIDDK)
    "MedQuAD-master/4_MPlus_Health_Topics_QA/0000498.xml",  # Hypothyroidism (MedlinePlus)
    "MedQuAD-master/10_MPlus_ADAM_QA/0002113.xml",  # Hypothyroidism (A.D.A.M., no answers)
    "MedQuAD-master/8_NHLBI_QA_XML/0000010.xml",  # Asthma (NHLBI)
)


@pytest.fixture
def pairs(medquad_zip: Path) -> list[MedQuADPair]:
    with zipfile.ZipFile(medquad_zip) as zf:
        records = [r for name in DOCUMENTS for r in parse_document(name, zf.read(name))]
    return askers.medquad_pairs(records)


@pytest.fixture
def messages(liveqa_dir: Path) -> dict[str, LiveQAQuestion]:
    """Q6 asks about hypothyroidism (its references copy NIH pages); Q57 about lowering a
    bupropion dose (its reference is from elsewhere)."""
    return {q.id: q for q in read_questions(liveqa_dir) if q.id in {"Q6", "Q57"}}


def test_a_copied_reference_answer_finds_its_medquad_answer(
    pairs: list[MedQuADPair], messages: dict[str, LiveQAQuestion]
) -> None:
    found = askers.align(messages["Q6"].answers, pairs)
    aligned = {pairs[j].id for hits in found for j, _ in hits}
    assert {"NIDDK_0000009_Sec1", "MPlusHealthTopics_0000498_Sec1"} <= aligned
    assert not any(pairs[j].id.startswith("NHLBI_") for hits in found for j, _ in hits)
    assert all(c >= askers.COVERAGE for hits in found for _, c in hits)


def test_sharing_words_is_not_sharing_text(
    pairs: list[MedQuADPair], messages: dict[str, LiveQAQuestion]
) -> None:
    """Q57's bupropion note shares most of its words with NHLBI's asthma treatment page, yet
    none of its runs of three words: it is not aligned."""
    (reference,) = messages["Q57"].answers
    asthma = next(p for p in pairs if p.id == "NHLBI_0000010_Sec6")
    words = set(terms(reference))
    assert len(words & set(terms(asthma.answer))) / len(words) > 0.7
    assert askers.align([reference], pairs) == [[]]


def test_the_set_grades_aligned_questions_and_their_same_focus_and_type(
    pairs: list[MedQuADPair], messages: dict[str, LiveQAQuestion]
) -> None:
    (asker,) = askers.askers(list(messages.values()), pairs)
    assert asker.id == "Q6"
    assert asker.relevant["NIDDK_0000009_Sec1"] == 2
    assert asker.relevant["MPlusHealthTopics_0000498_Sec1"] == 2
    # A.D.A.M.'s own "What is Hypothyroidism?" has no answer text: same focus and type, grade 1
    adam = next(p for p in pairs if p.id.startswith("ADAM_") and p.question_type == "information")
    assert asker.relevant[adam.id] == 1
    assert not any(pid.startswith("NHLBI_") for pid in asker.relevant)
    assert {a.medquad for a in asker.alignments} == {
        pid for pid, grade in asker.relevant.items() if grade == 2
    }
    # Six relevant questions but two texts, "What is (are) Hypothyroidism?" and "What causes
    # Hypothyroidism?", each asked by several sources and aligned at least once.
    assert len(asker.relevant) == 6
    assert asker.ideal == [2, 2]


def test_template_text_aligns_nothing() -> None:
    """A sentence that more than BOILERPLATE answers repeat counts on neither side."""
    template = "The Human Phenotype Ontology provides the following list of signs and symptoms"
    pairs = [
        MedQuADPair(f"GARD_{n}", "", f"condition {n}", "symptoms", f"{template} for condition {n}.")
        for n in range(askers.BOILERPLATE + 1)
    ]
    assert askers.align([f"{template} for Lewy body dementia."], pairs) == [[]]
    assert askers.align([f"{template} for condition 3."], pairs[:5])[0][0][0] == 3


def test_folds_are_fixed_by_the_seed_whatever_the_order() -> None:
    items = [Asker(f"Q{n}", "", {}, []) for n in range(23)]
    askers.assign_folds(items)
    first = {a.id: a.fold for a in items}
    again = [Asker(a.id, "", {}, []) for a in reversed(items)]
    askers.assign_folds(again)
    assert {a.id: a.fold for a in again} == first
    assert sorted(list(first.values()).count(f) for f in range(1, 6)) == [4, 4, 5, 5, 5]
    askers.assign_folds(again, seed=askers.SEED + 1)
    assert {a.id: a.fold for a in again} != first


def test_metrics_on_a_hand_checked_ranking() -> None:
    relevant = {"b": 2, "d": 1}
    grades = askers.gains([("a", "A?"), ("b", "B?"), ("c", "C?")], relevant)
    assert grades == [0, 2, 0]
    assert askers.reciprocal_rank(grades) == 0.5
    # DCG = (2^2 - 1) / log2(3); ideal = 3 / log2(2) + 1 / log2(3)
    expected = (3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert askers.ndcg(grades, [2, 1]) == pytest.approx(expected)
    assert askers.ndcg([2, 1], [2, 1]) == pytest.approx(1.0)
    assert askers.reciprocal_rank([0, 0]) == 0.0
    assert askers.reciprocal_rank([0] * 10 + [2]) == 0.0  # rank 11 is past @10


def test_a_repeated_question_text_counts_once() -> None:
    """Two sources asking "What is (are) Asthma?" word for word: the second copy gains
    nothing, and the ideal ranking holds the text once, at its best grade."""
    relevant = {"NHLBI_1": 2, "MPlus_1": 1, "NHLBI_2": 1}
    ranked = [("MPlus_1", "What is (are) Asthma?"), ("NHLBI_1", "What is (are)  asthma?")]
    assert askers.gains(ranked, relevant) == [1, 0]
    titles = {"NHLBI_1": "what is (are) asthma?", "MPlus_1": "what is (are) asthma?"}
    assert askers.ideal(relevant, titles) == [2, 1]


def test_the_command_writes_the_set_and_a_table_by_fold(
    sqlite_engine: Engine, medquad_zip: Path, liveqa_dir: Path, tmp_path: Path
) -> None:
    """`healthqa eval askers` on a base of the four documents: the set is recomputed from the
    data folder (both LiveQA files, a MedQuAD zip of the four documents)."""
    data = tmp_path / "data"
    shutil.copytree(liveqa_dir, data / "liveqa-med-train")
    archive = data / "MedQuAD-master.zip"
    with zipfile.ZipFile(medquad_zip) as src, zipfile.ZipFile(archive, "w") as dst:
        for name in DOCUMENTS:
            dst.writestr(name, src.read(name))
    import_medquad(sqlite_engine, archive)
    db = sqlite_engine.url.render_as_string(False)
    out = tmp_path / "askers.jsonl"
    args = ["--db", db, "eval", "askers", "--data", str(data), "--out", str(out), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    written = {row["id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert written["Q6"]["relevant"]["NIDDK_0000009_Sec1"] == 2
    assert "Q57" not in written
    report = json.loads(result.stdout)
    assert sum(report["folds"]) == len(written)
    assert set(report["rows"]) == {"engine", "BM25", "embedding", "fusion"}
    fold = written["Q6"]["fold"]
    assert report["rows"]["engine"]["MRR@10"][fold - 1] > 0  # hypothyroidism is found


def test_the_command_cross_validates_and_writes_the_learned_ranking(
    sqlite_engine: Engine, medquad_zip: Path, liveqa_dir: Path, tmp_path: Path
) -> None:
    """`healthqa eval askers --train`: the held-out learned rows beside the hand weights and
    the baselines, the ablation, the worst messages, and a ranking file the engine reads."""
    data = tmp_path / "data"
    shutil.copytree(liveqa_dir, data / "liveqa-med-train")
    archive = data / "MedQuAD-master.zip"
    with zipfile.ZipFile(medquad_zip) as src, zipfile.ZipFile(archive, "w") as dst:
        for name in DOCUMENTS:
            dst.writestr(name, src.read(name))
    import_medquad(sqlite_engine, archive)
    db = sqlite_engine.url.render_as_string(False)
    written = tmp_path / "ranking.json"
    args = ["--db", db, "eval", "askers", "--data", str(data), "--train", "--json"]
    result = CliRunner().invoke(app, [*args, "--write", str(written)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["rows"]) == {
        "engine, learned (held out)",
        "engine, hand weights (before)",
        "BM25",
        "embedding",
        "fusion",
    }
    assert set(report["ablation"]) == {f"without {g}" for g in ablation_groups()}
    assert report["worst"] and all(w["text"] for w in report["worst"])
    trained_on = Ranking.load(written).trained_on
    assert trained_on["folds"] == "all" and trained_on["liveqa"] == 0
    assert trained_on["hand_blend"] == HAND_BLEND
    # LiveQA's annotated messages are held out by fold as the askers are, and scored so
    assert sum(report["liveqa_counts"]) > 400
    for system in ("engine, learned (held out)", "engine, hand weights (before)"):
        shares = report["liveqa"][system]
        assert set(shares) == {"focus@1", "type@1", "focus@5"}
        assert all(0 <= s <= 1 for values in shares.values() for s in values)


def test_a_real_asker_keeps_its_fold_among_the_liveqa_training_messages(
    liveqa_dir: Path,
) -> None:
    questions = read_questions(liveqa_dir)
    items = [Asker("Q6", "hypothyroidism", {"NIDDK_0000009_Sec1": 2}, [], fold=4)]
    examples = {e.id: e for e in liveqa_examples(questions, items)}
    assert examples["Q6"].fold == 4 and examples["Q6"].kind == "liveqa"
    assert {e.fold for e in examples.values()} == {1, 2, 3, 4, 5}
    again = {e.id: e.fold for e in liveqa_examples(list(reversed(questions)), items)}
    assert again == {qid: e.fold for qid, e in examples.items()}  # not by reading order
