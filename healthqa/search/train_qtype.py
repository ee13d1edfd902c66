"""Train the question-type model and collect the word list, the model file (`model_file.py`)
that `qtype.py` and `focus.py` read.

    python -m healthqa.search.train_qtype --medquad MedQuAD-master.zip \\
        --out healthqa/search/understand.npz [--liveqa liveqa-med-train/]

Prints the held-out accuracy on a MedQuAD split by document (a document's questions share a
focus and its templates, so splitting by question would leak), then fits on everything and
writes the model. With --liveqa it also prints type@1 and focus@1 on LiveQA's annotated
consumer questions. scikit-learn is needed here only; the shipped model is plain numpy arrays.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from healthqa.ingest import liveqa, medquad
from healthqa.ingest.records import QuestionRecord
from healthqa.search.focus import FocusMatcher
from healthqa.search.qtype import LIVEQA_TYPES, TypeClassifier, masked_words, ngrams
from healthqa.search.words import fold, tokens

DICTIONARY = Path("/usr/share/dict/american-english")  # Debian's wamerican (SCOWL word list)
MIN_ENGLISH = 2  # written in lower case at least this often in MedQuAD's answers: English
MIN_DF = 2  # answer document frequency kept for the idf table
C = 10.0  # inverse regularisation; MedQuAD's templates separate at any sensible value


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate on the by-document split, fit on everything, write the model, evaluate LiveQA."""
    args = _parser().parse_args(argv)
    records, _ = medquad.read(args.medquad)
    examples = [
        (r.title, _focus_spans(r), r.question_type or "", r.document_id or "") for r in records
    ]
    evaluate_split(examples, args.seed)
    arrays = fit(examples) | word_list(records, args.words)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, allow_pickle=False, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    if args.liveqa:
        evaluate_liveqa(records, args.liveqa, args.out)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m healthqa.search.train_qtype",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--medquad", type=Path, required=True, help="MedQuAD zip or folder")
    p.add_argument("--out", type=Path, required=True, help="where to write the .npz model")
    p.add_argument("--liveqa", type=Path, help="folder of LiveQA XML files to evaluate on")
    p.add_argument(
        "--words",
        type=Path,
        default=DICTIONARY,
        help="a word list, one word a line (optional; default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the by-document split")
    return p


def _focus_spans(record: QuestionRecord) -> list[tuple[int, int]]:
    """Where the record's focus or a synonym appears in its question, longest names first."""
    taken: list[tuple[int, int]] = []
    for name in sorted({record.focus, *record.synonyms} - {""}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), record.title, re.IGNORECASE):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                taken.append(m.span())
    return taken


Example = tuple[str, list[tuple[int, int]], str, str]  # text, focus spans, type, document


def _features(examples: Iterable[Example]) -> list[list[str]]:
    return [ngrams(masked_words(text, spans)) for text, spans, _, _ in examples]


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # The run-time twin is TypeClassifier.logits: sublinear tf, smooth idf, l2 norm.
    return TfidfVectorizer(analyzer=lambda grams: grams, sublinear_tf=True, min_df=2)


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000)


def evaluate_split(examples: Sequence[Example], seed: int) -> None:
    """Fit on 80% of the documents, print accuracy and per-type recall on the other 20%."""
    from sklearn.model_selection import GroupShuffleSplit

    groups = [doc for *_, doc in examples]
    split = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    train, test = next(split.split(examples, groups=groups))
    vec, model = _vectorizer(), _classifier()
    x = _features(examples)
    y = [qtype for _, _, qtype, _ in examples]
    model.fit(vec.fit_transform([x[i] for i in train]), [y[i] for i in train])
    predicted = model.predict(vec.transform([x[i] for i in test]))
    gold = [y[i] for i in test]
    right = sum(p == g for p, g in zip(predicted, gold, strict=True))
    docs = len({groups[i] for i in test})
    print(
        f"MedQuAD held out by document: {right}/{len(gold)} = {right / len(gold):.2%} "
        f"({docs} documents, {len(train)} training questions)"
    )
    _print_recall(gold, list(predicted))


def _print_recall(gold: Sequence[str], predicted: Sequence[str]) -> None:
    total, hits = Counter(gold), Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    confused: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        if g != p:
            confused[g][p] += 1
    print(f"  {'type':42} {'n':>5} {'recall':>7}  most often mistaken for")
    for qtype, n in total.most_common():
        worst = ", ".join(f"{t} ({k})" for t, k in confused[qtype].most_common(2))
        print(f"  {qtype:42} {n:5} {hits[qtype] / n:7.1%}  {worst}")


def fit(examples: Sequence[Example]) -> dict[str, np.ndarray[Any, Any]]:
    """The model fitted on every question, as arrays TypeClassifier reads."""
    vec, model = _vectorizer(), _classifier()
    model.fit(vec.fit_transform(_features(examples)), [q for _, _, q, _ in examples])
    features = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    return {
        "labels": _joined(model.classes_),
        "features": _joined(features),
        "idf": vec.idf_.astype(np.float32),
        "coef": model.coef_.astype(np.float32),
        "intercept": model.intercept_.astype(np.float32),
    }


def word_list(records: Sequence[QuestionRecord], words: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Every word of MedQuAD's answers with its document frequency, plus the dictionary's.
    `word_kind` is 1 for common words (written in lower case in the answers, or in the
    dictionary), 2 for the dictionary's proper nouns ("Malaysia"), 0 for the rest: the focus
    matcher never corrects kinds 1 and 2, and never lets a common word stand for a name."""
    df: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    answers = 0
    for record in records:
        for answer in record.answers:
            answers += 1
            found = tokens(answer.body)
            df.update({t.fold for t in found})
            lower.update(t.fold for t in found if t.text.islower())
    common = {w for w, n in lower.items() if n >= MIN_ENGLISH}
    proper: set[str] = set()
    if words.exists():
        for word in words.read_text(encoding="utf-8").split():
            (common if word.islower() else proper).add(fold(word))
    vocabulary = sorted(
        w for w in {w for w, n in df.items() if n >= MIN_DF} | common | proper if w.isalpha()
    )
    return {
        "words": _joined(vocabulary),
        "word_df": np.array([df[w] for w in vocabulary], dtype=np.int32),
        "word_kind": np.array(
            [1 if w in common else 2 if w in proper else 0 for w in vocabulary], dtype=np.uint8
        ),
        "documents": np.array(answers, dtype=np.int64),
    }


def _joined(strings: Iterable[str]) -> np.ndarray[Any, Any]:
    """Strings as one newline-joined UTF-8 byte array: an npz needs no pickle to hold it."""
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def evaluate_liveqa(records: Sequence[QuestionRecord], folder: Path, model: Path) -> None:
    """type@1 and focus@1 on LiveQA's annotated questions, per file."""
    names = {(n, r.focus) for r in records if r.focus for n in (r.focus, *r.synonyms)}
    matcher = FocusMatcher(names, model_file=model)
    types = TypeClassifier.load(model)
    for file in sorted(folder.glob("*.xml")):
        questions, _ = liveqa.read(file)
        counts: Counter[str] = Counter()
        for q in questions:
            counts.update(_judge(q, matcher, types))
        n, typed = len(questions), counts["typed"]
        print(f"LiveQA {file.name}: {n} questions")
        print(
            f"  type@1 {counts['type@1']}/{typed} = {counts['type@1'] / typed:.1%}, "
            f"model alone {counts['model@1'] / typed:.1%}, type@3 "
            f"{counts['type@3'] / typed:.1%} ({n - typed} with unmapped types left out)"
        )
        print(
            f"  focus@1 {counts['focus@1']}/{n} = {counts['focus@1'] / n:.1%}; lenient "
            f"{counts['lenient@1'] / n:.1%}; annotated focus in the vocabulary "
            f"{counts['known']}/{n}, focus@1 among them {counts['focus@1'] / counts['known']:.1%}"
            f"; no match {counts['none']}"
        )


def _judge(q: QuestionRecord, matcher: FocusMatcher, types: TypeClassifier) -> Counter[str]:
    """Which LiveQA measures one question scores on (see docs/understanding.md)."""
    shortened = q.title.endswith("…") and q.body.startswith(q.title[:-1])
    text = q.body if shortened else f"{q.title}\n{q.body}"
    subs = q.annotations["sub_questions"]
    found = matcher.match(text)
    out: Counter[str] = Counter()
    wanted = {t for s in subs for t in LIVEQA_TYPES.get(s["type"].lower(), ())}
    if wanted:
        ranked = [t for t, _ in types.predict(text, [(m.start, m.end) for m in found])]
        model = types.labels[
            int(np.argmax(types.logits(masked_words(text, [(m.start, m.end) for m in found]))))
        ]
        out.update(
            typed=1,
            **{
                "type@1": ranked[0] in wanted,
                "type@3": bool(wanted & set(ranked[:3])),
                "model@1": model in wanted,
            },
        )
    strict = {f for s in subs for f in matcher.foci(s["focus"])}
    lenient = strict | {m.focus for s in subs for m in matcher.match(s["focus"])}
    first = found[0].focus if found else None
    out.update(
        known=bool(strict),
        none=first is None,
        **{"focus@1": first in strict, "lenient@1": first in lenient},
    )
    return out


if __name__ == "__main__":
    sys.exit(main())
