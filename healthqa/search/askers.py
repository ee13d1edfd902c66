"""A dev set of real askers: LiveQA consumer messages, each with the MedQuAD questions that
answer it, and the engine and its parts measured on it (MRR@10, nDCG@10, 5 folds).

Many LiveQA training reference answers are copies of NIH pages that MedQuAD also holds. A
reference answer is *aligned* with a MedQuAD answer when the MedQuAD answer holds at least
`COVERAGE` of the reference's word trigrams (three consecutive words, lower case, stop words
kept). Trigrams, not single words: a long MedQuAD answer holds 70% of the words of many short
references by chance (a bupropion dosage note "covered" by an asthma treatment page), while
copied text shares runs of words; the best trigram coverage of a reference is near 0 or near 1,
few in between. Trigrams found in more than `BOILERPLATE` MedQuAD answers are templates (GARD's
"The Human Phenotype Ontology provides the following list of signs and symptoms for ...") and
counted on neither side; a reference with fewer than `MIN_TRIGRAMS` left is not aligned.

What is relevant to a message (graded, for nDCG):
- 2: every MedQuAD question whose answer a reference answer of the message is aligned with;
- 1: every other MedQuAD question with the same focus (case-folded) and the same question type
  as one of those, answered or not: another NIH page answering the same question.
MRR counts the first of either grade. LiveQA's own questions are never candidates. A ranking is
judged per question text: MedQuAD repeats some questions word for word across sources, `ask`
lists each text once, so a repeat of a text already listed gains nothing and the ideal ranking
holds each relevant text once, at its best grade.

The set is computed from the data files each time (never stored in the repository); the folds
are fixed by `SEED`, so a learned ranker trained on four folds is measured on the fifth. For an
untrained system every fold is just a test split.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from healthqa.formats.liveqa import LiveQAQuestion, read_questions
from healthqa.ingest import medquad
from healthqa.ingest.records import QuestionRecord
from healthqa.search.evaluate import Ranker

COVERAGE = 0.5  # share of a reference's trigrams a MedQuAD answer must hold
BOILERPLATE = 20  # a trigram in more MedQuAD answers than this is template text
MIN_TRIGRAMS = 8  # informative trigrams a reference needs to be aligned at all
FOLDS = 5
SEED = 13
K = 10
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class MedQuADPair:
    """One MedQuAD question as the alignment needs it (`answer` is empty for the three
    sources whose answers were removed)."""

    id: str  # e.g. GHR_0000123_Sec2, the knowledge base's external id
    title: str
    focus: str
    question_type: str | None
    answer: str


@dataclass(frozen=True)
class Alignment:
    reference: int  # which reference answer of the message (from 0)
    medquad: str
    coverage: float


@dataclass
class Asker:
    """One LiveQA message with the MedQuAD questions that answer it (id -> grade 1 or 2)."""

    id: str
    text: str
    relevant: dict[str, int]
    alignments: list[Alignment]
    fold: int = 0
    ideal: list[int] = field(default_factory=list)  # best grade of each relevant question text


@dataclass
class FoldTable:
    """Per system, per fold (1..FOLDS), the mean of each metric over the fold's messages."""

    counts: list[int]
    rows: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def trigrams(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def read_medquad(path: Path) -> list[MedQuADPair]:
    return medquad_pairs(medquad.read(path)[0])


def medquad_pairs(records: Iterable[QuestionRecord]) -> list[MedQuADPair]:
    return [
        MedQuADPair(
            r.external_id, r.title, r.focus, r.question_type, r.answers[0].body if r.answers else ""
        )
        for r in records
    ]


def align(references: Sequence[str], pairs: Sequence[MedQuADPair]) -> list[list[tuple[int, float]]]:
    """For each reference answer, the (pair index, coverage) of the MedQuAD answers holding at
    least COVERAGE of its informative trigrams, best first. An informative trigram is in at
    most BOILERPLATE answers, so its list of answers is short and counting is cheap."""
    holders: dict[str, list[int]] = {}
    for j, pair in enumerate(pairs):
        for gram in trigrams(pair.answer):
            holders.setdefault(gram, []).append(j)
    out: list[list[tuple[int, float]]] = []
    for reference in references:
        grams = [g for g in trigrams(reference) if len(holders.get(g, ())) <= BOILERPLATE]
        shared = Counter(j for g in grams for j in holders.get(g, ()))
        hits = (
            [(j, n / len(grams)) for j, n in shared.items()] if len(grams) >= MIN_TRIGRAMS else []
        )
        out.append(sorted(((j, c) for j, c in hits if c >= COVERAGE), key=_best_first))
    return out


def _best_first(hit: tuple[int, float]) -> tuple[float, int]:
    return -hit[1], hit[0]


def build_set(
    liveqa_dir: Path, medquad_path: Path, *, seed: int = SEED, folds: int = FOLDS
) -> list[Asker]:
    """Every LiveQA training message with at least one aligned reference answer, each in
    its fold."""
    return askers(read_questions(liveqa_dir), read_medquad(medquad_path), seed=seed, folds=folds)


def askers(
    questions: Sequence[LiveQAQuestion],
    pairs: Sequence[MedQuADPair],
    *,
    seed: int = SEED,
    folds: int = FOLDS,
) -> list[Asker]:
    refs = [(q, n, a) for q in questions for n, a in enumerate(q.answers)]
    found = align([a for _, _, a in refs], pairs)
    by_question: dict[str, Asker] = {}
    for (q, n, _), hits in zip(refs, found, strict=True):
        for j, coverage in hits:
            asker = by_question.setdefault(q.id, Asker(q.id, q.text, {}, []))
            asker.alignments.append(Alignment(n, pairs[j].id, round(coverage, 3)))
    grade = relevance(pairs)
    titles = {p.id: title_key(p.title) for p in pairs}
    for asker in by_question.values():
        asker.relevant = grade({a.medquad for a in asker.alignments})
        asker.ideal = ideal(asker.relevant, titles)
    out = list(by_question.values())
    assign_folds(out, seed=seed, folds=folds)
    return out


def relevance(pairs: Sequence[MedQuADPair]) -> Callable[[set[str]], dict[str, int]]:
    """What grades a message's aligned MedQuAD questions give: 2 for each of them, 1 for the
    others of the same focus and type."""
    keys = {p.id: _key(p) for p in pairs if p.focus}
    same: dict[tuple[str, str], list[str]] = {}
    for pid, key in keys.items():
        same.setdefault(key, []).append(pid)

    def grade(aligned: set[str]) -> dict[str, int]:
        near = {pid: 1 for a in aligned if a in keys for pid in same[keys[a]]}
        grades = near | dict.fromkeys(aligned, 2)
        return dict(sorted(grades.items(), key=lambda g: (-g[1], g[0])))  # the same every run

    return grade


def _key(pair: MedQuADPair) -> tuple[str, str]:
    return " ".join(pair.focus.casefold().split()), pair.question_type or ""


def assign_folds(items: list[Asker], *, seed: int = SEED, folds: int = FOLDS) -> None:
    """Fold 1..`folds` for each message: its place in a shuffle fixed by `seed`, modulo
    `folds` (messages sorted by id first, so the order they were read in does not matter)."""
    order = sorted(items, key=lambda a: a.id)
    random.Random(seed).shuffle(order)
    for place, asker in enumerate(order):
        asker.fold = place % folds + 1


def title_key(title: str) -> str:
    """A question's text as `ask` tells repeats apart (MedQuAD repeats some word for word)."""
    return " ".join(title.lower().split())


def ideal(relevant: dict[str, int], titles: dict[str, str]) -> list[int]:
    """The best ranking's grades: one per relevant question text, its best grade."""
    best: dict[str, int] = {}
    for pid, grade in relevant.items():
        key = titles.get(pid, pid)
        best[key] = max(best.get(key, 0), grade)
    return sorted(best.values(), reverse=True)


def gains(ranked: Sequence[tuple[str, str]], relevant: dict[str, int]) -> list[int]:
    """The grade of each ranked (id, title), 0 for a repeat of a question text listed above:
    a second copy answers nothing new, and `ask` lists each text once, so the baselines do not
    score twice for copies."""
    seen: set[str] = set()
    out = []
    for pid, title in ranked:
        key = title_key(title)
        out.append(0 if key in seen else relevant.get(pid, 0))
        seen.add(key)
    return out


def reciprocal_rank(grades: Sequence[int], k: int = K) -> float:
    return next((1 / n for n, g in enumerate(grades[:k], 1) if g), 0.0)


def ndcg(grades: Sequence[int], best: Sequence[int], k: int = K) -> float:
    """nDCG@k with gain 2^grade - 1 and the usual log2(rank + 1) discount."""
    top = _dcg(best[:k])
    return _dcg(grades[:k]) / top if top else 0.0


def _dcg(grades: Sequence[int]) -> float:
    return sum(float(2**g - 1) / math.log2(n + 1) for n, g in enumerate(grades, 1))


def measure(
    items: Sequence[Asker], runners: dict[str, Ranker], *, folds: int = FOLDS, k: int = K
) -> FoldTable:
    """MRR@k and nDCG@k of each system, fold by fold."""
    table = FoldTable([sum(a.fold == f for a in items) for f in range(1, folds + 1)])
    for system, run in runners.items():
        sums = {"MRR@10": [0.0] * folds, "nDCG@10": [0.0] * folds}
        for asker in items:
            got = gains([(d.external_id, d.title) for d in run(asker.text, k)], asker.relevant)
            sums["MRR@10"][asker.fold - 1] += reciprocal_rank(got, k)
            sums["nDCG@10"][asker.fold - 1] += ndcg(got, asker.ideal, k)
        table.rows[system] = {
            metric: [s / n if n else 0.0 for s, n in zip(values, table.counts, strict=True)]
            for metric, values in sums.items()
        }
    return table


def write_jsonl(items: Iterable[Asker], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for asker in items:
            fh.write(json.dumps(asdict(asker), ensure_ascii=False) + "\n")
