"""Train the learned ranking and measure it: 5-fold cross-validation on the real-asker set
(`askers.py`), the ablation, and the messages the engine still gets wrong.

Training questions come from three places, each graded 2 / 1 / 0 per candidate:
- real askers (LiveQA messages aligned to MedQuAD, `askers.py`): their grades, weight 1;
- LiveQA Train messages by their annotated FOCUS and TYPE: a candidate about an annotated
  focus (`evaluate.focus_matches`) and of an annotated type is 2, about the focus only 1;
  weight LIVEQA_WEIGHT. A message of the real-asker set counts in its own fold only, so a
  fold held out is held out here too;
- MedQuAD's own structure: a MedQuAD title as the question, the other questions of the same
  focus and type (another source's page) 2, the same focus with another type 1, the question
  itself left out; `MEDQUAD_QUESTIONS` of them drawn with `SEED`, weight MEDQUAD_WEIGHT.
The weights of the three kinds were set before the first cross-validated run, not tuned on it.

Every message is read and its candidates fetched once (`ask.prepare`); models are then
fitted and scored on those features, through the same `ask.ranked` that `ask` uses.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from healthqa.formats.liveqa import LiveQAQuestion
from healthqa.ingest import liveqa
from healthqa.progress import progress
from healthqa.search.ask import Prepared, prepare, ranked
from healthqa.search.askers import FOLDS, Asker, K, gains, ndcg, reciprocal_rank
from healthqa.search.documents import SearchDoc
from healthqa.search.evaluate import focus_matches
from healthqa.search.index import SearchIndex
from healthqa.search.learned import HAND_BLEND, L2, NEGATIVES, Group, Ranking, fit, with_hand
from healthqa.search.qtype import LIVEQA_TYPES
from healthqa.search.rank import GROUPS

LIVEQA_WEIGHT = 0.5
MEDQUAD_WEIGHT = 0.1
MEDQUAD_QUESTIONS = 1000
SEED = 13
FETCH = K + 10  # as `healthqa eval askers` asks the engine (evaluate._engine_run)


@dataclass
class Example:
    """One training or test question: `grade` of a candidate, its fold (0: in every training
    split, never tested), what kind it is, how much it counts, and a question to leave out."""

    id: str
    text: str
    grade: Callable[[SearchDoc], int]
    fold: int = 0
    kind: str = "askers"
    weight: float = 1.0
    itself: int | None = None
    relevant: dict[str, int] = field(default_factory=dict)  # real askers: as askers.py grades
    ideal: list[int] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # LiveQA: the annotated types
    prepared: Prepared | None = field(default=None, repr=False)


def asker_examples(items: Iterable[Asker]) -> list[Example]:
    return [
        Example(a.id, a.text, _graded(a.relevant), a.fold, relevant=a.relevant, ideal=a.ideal)
        for a in items
    ]


def _graded(relevant: dict[str, int]) -> Callable[[SearchDoc], int]:
    def grade(doc: SearchDoc) -> int:
        return relevant.get(doc.external_id, 0)

    return grade


def liveqa_examples(
    questions: Sequence[LiveQAQuestion], items: Iterable[Asker], *, seed: int = SEED
) -> list[Example]:
    """LiveQA messages graded by their annotated focus and type (see the module docstring),
    each in a fold: a real asker's own, else one drawn as `askers.assign_folds` draws them."""
    folds = {a.id: a.fold for a in items}
    others = sorted(q.id for q in questions if q.id not in folds)
    random.Random(seed).shuffle(others)
    folds |= {qid: place % FOLDS + 1 for place, qid in enumerate(others)}
    out = []
    for q in questions:
        foci = [s.focus for s in q.sub_questions if s.focus]
        types = {t for s in q.sub_questions for t in LIVEQA_TYPES.get(s.type.lower(), ())}
        if foci:
            grade = _annotated(foci, types)
            example = Example(q.id, q.text, grade, folds[q.id], "liveqa", LIVEQA_WEIGHT)
            example.types = types
            out.append(example)
    return out


def _annotated(foci: list[str], types: set[str]) -> Callable[[SearchDoc], int]:
    def grade(doc: SearchDoc) -> int:
        if not focus_matches(doc, foci):
            return 0
        return 2 if doc.question_type in types else 1

    return grade


def medquad_examples(docs: Mapping[int, SearchDoc], n: int = MEDQUAD_QUESTIONS) -> list[Example]:
    """MedQuAD titles as questions, graded by focus and type (see the module docstring)."""
    medquad = sorted(
        (d for d in docs.values() if d.focus and d.source != liveqa.SOURCE and d.answer),
        key=lambda d: d.id,
    )
    by_focus: dict[str, list[SearchDoc]] = {}
    for d in medquad:
        by_focus.setdefault(d.focus.casefold(), []).append(d)
    chosen = random.Random(SEED).sample(medquad, min(n, len(medquad)))
    return [
        Example(d.external_id, d.title, _sibling(d), 0, "medquad", MEDQUAD_WEIGHT, d.id)
        for d in chosen
        if len(by_focus[d.focus.casefold()]) > 1
    ]


def _sibling(query: SearchDoc) -> Callable[[SearchDoc], int]:
    focus = query.focus.casefold()

    def grade(doc: SearchDoc) -> int:
        if doc.focus.casefold() != focus:
            return 0
        return 2 if doc.question_type == query.question_type else 1

    return grade


def gather(index: SearchIndex, examples: Sequence[Example]) -> None:
    """Read each example's message and fetch its candidates, once."""
    with progress("reading the training messages", total=len(examples)) as advance:
        for e in examples:
            if e.prepared is None:
                e.prepared = prepare(index, e.text, FETCH)
            advance(1)


def groups(examples: Iterable[Example], docs: Mapping[int, SearchDoc]) -> list[Group]:
    """One training group per question a message asks, LiveQA's own questions left out (one
    of them is the message itself)."""
    out = []
    for e in examples:
        assert e.prepared is not None
        runs = e.prepared.runs
        for candidates, rows in runs:
            keep = [
                n
                for n, c in enumerate(candidates)
                if docs[c.id].source != liveqa.SOURCE and c.id != e.itself
            ]
            grades = np.array([e.grade(docs[candidates[n].id]) for n in keep], dtype=np.int64)
            if grades.any():
                out.append(Group(rows[keep], grades, e.weight / len(runs)))
    return out


def scores(
    example: Example, docs: Mapping[int, SearchDoc], ranking: Ranking, k: int = K
) -> tuple[float, float]:
    """(MRR@k, nDCG@k) of one real asker under `ranking`, as `healthqa eval askers` counts."""
    top = top_docs(example, docs, ranking, k)
    got = gains([(d.external_id, d.title) for d in top], example.relevant)
    return reciprocal_rank(got, k), ndcg(got, example.ideal, k)


def top_docs(
    example: Example, docs: Mapping[int, SearchDoc], ranking: Ranking, k: int
) -> list[SearchDoc]:
    assert example.prepared is not None
    listed = (docs[c.id] for c in ranked(example.prepared, docs, ranking))
    return [d for d in listed if d.source != liveqa.SOURCE][:k]


@dataclass
class Validated:
    """Cross-validated figures: per metric, per fold; each test message's (MRR, nDCG); and the
    ranking each fold was scored with (trained on the other folds)."""

    folds: dict[str, list[float]]
    per_message: dict[str, tuple[float, float]]
    rankings: dict[int, Ranking]


def cross_validate(
    tests: Sequence[Example],
    extra: Sequence[Example],
    docs: Mapping[int, SearchDoc],
    *,
    drop: Iterable[str] = (),
    folds: int = FOLDS,
    l2: float = L2,
    negatives: int = NEGATIVES,
    blend: float = HAND_BLEND,
) -> Validated:
    """MRR@10 and nDCG@10 per fold of rankings fitted on the other folds (and on `extra`, but
    never on an extra example of the fold scored)."""
    drop = tuple(drop)
    rankings, per_message = {}, {}
    for fold in range(1, folds + 1):
        train = [e for e in [*tests, *extra] if e.fold != fold]
        fitted = fit(groups(train, docs), drop=drop, l2=l2, negatives=negatives)
        rankings[fold] = with_hand(fitted, blend)
        for e in (e for e in tests if e.fold == fold):
            per_message[e.id] = scores(e, docs, rankings[fold])
    return Validated(_by_fold(tests, per_message, folds), per_message, rankings)


def fixed(
    tests: Sequence[Example], docs: Mapping[int, SearchDoc], ranking: Ranking, folds: int = FOLDS
) -> dict[str, list[float]]:
    """The same figures for a ranking that is not trained (today's hand weights)."""
    return _by_fold(tests, {e.id: scores(e, docs, ranking) for e in tests}, folds)


def _by_fold(
    tests: Sequence[Example], per_message: dict[str, tuple[float, float]], folds: int
) -> dict[str, list[float]]:
    out = {}
    for m, metric in enumerate(("MRR@10", "nDCG@10")):
        sums, counts = [0.0] * folds, [0] * folds
        for e in tests:
            sums[e.fold - 1] += per_message[e.id][m]
            counts[e.fold - 1] += 1
        out[metric] = [s / n if n else 0.0 for s, n in zip(sums, counts, strict=True)]
    return out


def annotated(
    examples: Sequence[Example], docs: Mapping[int, SearchDoc], rankings: dict[int, Ranking]
) -> dict[str, list[float]]:
    """focus@1, type@1 and focus@5 per fold of LiveQA messages under the ranking of their fold
    (trained without it), counted as `healthqa eval` counts them."""
    hits = {m: [0] * FOLDS for m in ("focus@1", "type@1", "focus@5")}
    counts = [0] * FOLDS
    for e in examples:
        top = top_docs(e, docs, rankings[e.fold], 5)
        f = e.fold - 1
        counts[f] += 1
        hits["focus@1"][f] += bool(top) and e.grade(top[0]) > 0
        hits["type@1"][f] += bool(top) and top[0].question_type in e.types
        hits["focus@5"][f] += any(e.grade(d) > 0 for d in top)
    return {m: _shares(v, counts) for m, v in hits.items()}


def _shares(hits: list[int], counts: list[int]) -> list[float]:
    return [n / c if c else 0.0 for n, c in zip(hits, counts, strict=True)]


def ablation_groups() -> list[str]:
    return list(dict.fromkeys(GROUPS.values()))


@dataclass
class Wrong:
    """A real asker the learned engine (held out) still serves badly, and what it listed."""

    id: str
    text: str
    read_as: list[str]
    listed: list[str]  # the top three titles
    first_relevant: str | None  # the best-placed relevant title, if any was listed at all
    place: int | None
    mrr: float


@dataclass
class Study:
    """Everything `healthqa eval askers --train` prints."""

    counts: list[int]
    rows: dict[str, dict[str, list[float]]]
    liveqa_counts: list[int]  # LiveQA messages with a FOCUS annotation, per fold
    liveqa: dict[str, dict[str, list[float]]]  # their focus@1, type@1, focus@5 per fold
    ablation: dict[str, dict[str, list[float]]]
    worst: list[Wrong]
    final: Ranking


def study(
    index: SearchIndex,
    items: Sequence[Asker],
    *,
    liveqa_questions: Sequence[LiveQAQuestion] = (),
    train_on_liveqa: bool = False,
    medquad: bool = False,
    worst: int = 10,
) -> Study:
    """Cross-validate the learned ranking on the real askers (with, if `train_on_liveqa`, the
    annotated LiveQA messages and, if `medquad`, MedQuAD's structure as extra training data),
    beside today's hand weights; the held-out focus@1 and type@1 of the LiveQA messages; the
    ablation; the `worst` messages; and the ranking trained on every fold, to ship. (Training
    on LiveQA's annotations lost real-asker MRR@10 at every weight tried, 0.5 and 2.0.)"""
    tests = asker_examples(items)
    live = liveqa_examples(liveqa_questions, items)
    extra = [*(live if train_on_liveqa else []), *(medquad_examples(index.docs) if medquad else [])]
    gather(index, [*tests, *extra, *live])
    docs = index.docs
    learned = cross_validate(tests, extra, docs)
    hand = Ranking.hand()
    rows = {
        "engine, learned (held out)": learned.folds,
        "engine, hand weights (before)": fixed(tests, docs, hand),
    }
    on_liveqa = {
        "engine, learned (held out)": annotated(live, docs, learned.rankings),
        "engine, hand weights (before)": annotated(live, docs, {f: hand for f in learned.rankings}),
    }
    ablation = {
        f"without {g}": cross_validate(tests, extra, docs, drop=[g]).folds
        for g in ablation_groups()
    }
    final = with_hand(fit(groups([*tests, *extra], docs)))
    trained = {
        "askers": len(tests),
        "liveqa": len(live) if train_on_liveqa else 0,
        "medquad": sum(e.kind == "medquad" for e in extra),
        "hand_blend": HAND_BLEND,
    }
    final = Ranking(final.weights, final.mean, final.scale, trained | {"folds": "all"})
    counts = [sum(e.fold == f for e in tests) for f in range(1, FOLDS + 1)]
    live_counts = [sum(e.fold == f for e in live) for f in range(1, FOLDS + 1)]
    return Study(
        counts, rows, live_counts, on_liveqa, ablation, _worst(tests, docs, learned, worst), final
    )


def _worst(
    tests: Sequence[Example], docs: Mapping[int, SearchDoc], learned: Validated, n: int
) -> list[Wrong]:
    def badness(e: Example) -> tuple[float, float, str]:
        return (*learned.per_message[e.id], e.id)

    out = []
    for e in sorted(tests, key=badness)[:n]:
        assert e.prepared is not None
        listed = top_docs(e, docs, learned.rankings[e.fold], 10_000)
        place = next((p for p, d in enumerate(listed, 1) if e.relevant.get(d.external_id)), None)
        out.append(
            Wrong(
                e.id,
                e.text,
                [q.text for q in e.prepared.questions],
                [d.title for d in listed[:3]],
                listed[place - 1].title if place else None,
                place,
                learned.per_message[e.id][0],
            )
        )
    return out
