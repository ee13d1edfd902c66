"""Development benchmarks for the answer engine, each beside plain baselines in the same run.

- MQP (Curai medical question pairs): for each of 1,524 doctor-written triples, does the
  similarity rank the paraphrase above the look-alike? Baselines: TF-IDF cosine and plain
  MiniLM cosine.
- LiveQA training set (446 real consumer questions, annotated FOCUS and TYPE): focus@k and
  type@k of the top k stored questions. Baselines: plain BM25 (the lexical index alone, raw
  words) and plain embedding search (the whole message, cosine). LiveQA's own questions are
  never among the candidates, so a question cannot find itself.

These sets guide development. One part of the engine is fitted to LiveQA: the learned
ranking (`learned.py`) is trained on the 139 LiveQA training messages of the real-asker set
(`askers.py`), so the LiveQA rows here are not held-out figures for it; the held-out ones are
`healthqa eval askers --train`. MQP does not go through the ranking.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from healthqa.ingest import liveqa
from healthqa.search.ask import ask, clean
from healthqa.search.documents import SearchDoc
from healthqa.search.index import SearchIndex
from healthqa.search.lexical import terms
from healthqa.search.qtype import LIVEQA_TYPES, TypeClassifier
from healthqa.search.similarity import question_similarity

Ranker = Callable[[str, int], list[SearchDoc]]
FUSION_DEPTH = 100  # candidates taken from each run before fusing


@dataclass
class Report:
    """One row per system, one column per figure."""

    columns: list[str]
    rows: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def mqp_triples(path: Path) -> list[tuple[str, str, str]]:
    """(question, paraphrase, look-alike) for each doctor-written pair of rows."""
    by_question: dict[tuple[str, str], dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, fieldnames=["dr_id", "q1", "q2", "label"]):
            by_question.setdefault((row["dr_id"], row["q1"]), {})[row["label"]] = row["q2"]
    return [(q, p["1"], p["0"]) for (_, q), p in by_question.items() if {"0", "1"} <= set(p)]


def mqp_share(triples: Sequence[tuple[str, str, str]], sim: Callable[[str, str], float]) -> float:
    right = sum(sim(q, para) > sim(q, look) for q, para, look in triples)
    return right / len(triples)


def tfidf_similarity(texts: Sequence[str]) -> Callable[[str, str], float]:
    """Plain TF-IDF cosine, IDF taken over `texts`: the classic lexical baseline."""
    docs = [Counter(terms(t)) for t in texts]
    df = Counter(w for d in docs for w in d)
    idf = {w: math.log(len(docs) / n) + 1 for w, n in df.items()}

    def vector(text: str) -> dict[str, float]:
        return {w: c * idf.get(w, 1.0) for w, c in Counter(terms(text)).items()}

    def sim(a: str, b: str) -> float:
        va, vb = vector(a), vector(b)
        dot = sum(v * vb.get(w, 0.0) for w, v in va.items())
        norm = math.sqrt(sum(v * v for v in va.values()) * sum(v * v for v in vb.values()))
        return dot / norm if norm else 0.0

    return sim


def evaluate_mqp(index: SearchIndex, path: Path, report: Report) -> None:
    triples = mqp_triples(path)
    texts = sorted({t for triple in triples for t in triple})
    vectors = dict(zip(texts, index.embedder.embed(texts), strict=True))
    types = TypeClassifier.load()

    def minilm(a: str, b: str) -> float:
        return float(vectors[a] @ vectors[b])

    def engine(a: str, b: str) -> float:
        return question_similarity(index, types, a, b, vectors)

    for system, sim in (
        ("engine", engine),
        ("BM25", tfidf_similarity(texts)),
        ("embedding", minilm),
    ):
        report.rows.setdefault(system, {})["MQP"] = mqp_share(triples, sim)
    report.notes.append(f"MQP: {len(triples)} triples; the BM25 row there is TF-IDF cosine")


@dataclass
class LiveQuery:
    qid: str
    text: str
    foci: list[str]
    types: set[str]


def liveqa_queries(folder: Path) -> list[LiveQuery]:
    queries = []
    for file in sorted(folder.glob("*.xml")):
        records, _ = liveqa.read(file)
        for r in records:
            subs = r.annotations.get("sub_questions", [])
            types = {t for s in subs for t in LIVEQA_TYPES.get(s["type"].lower(), ())}
            foci = [s["focus"] for s in subs if s["focus"]]
            queries.append(LiveQuery(r.external_id, f"{r.title}. {r.body}", foci, types))
    return queries


def _norm(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def focus_matches(doc: SearchDoc, foci: Sequence[str]) -> bool:
    """The stored question is about an annotated focus: same name, a synonym, or one name
    containing the other as whole words ("breast cancer" vs "Breast Cancer Treatment")."""
    names = {_norm(n) for n in (doc.focus, *doc.synonyms) if n}
    for focus in map(_norm, foci):
        for name in names:
            if focus == name or f" {focus} " in f" {name} " or f" {name} " in f" {focus} ":
                return True
    return False


def evaluate_liveqa(index: SearchIndex, folder: Path, report: Report) -> None:
    queries = [q for q in liveqa_queries(folder) if q.foci]
    rankers = runners(index)
    del rankers["fusion"]  # `healthqa eval` keeps its three rows
    for system, run in rankers.items():
        got = Counter[str]()
        for q in queries:
            top = run(q.text, 5)
            for k in (1, 5):
                got[f"focus@{k}"] += any(focus_matches(d, q.foci) for d in top[:k])
                got[f"type@{k}"] += any(d.question_type in q.types for d in top[:k])
        report.rows.setdefault(system, {}).update({c: n / len(queries) for c, n in got.items()})
    report.notes.append(f"LiveQA: {len(queries)} questions with a FOCUS annotation")


def runners(index: SearchIndex) -> dict[str, Ranker]:
    """The engine and its plain baselines, over the stored questions other than LiveQA's:
    BM25 alone, MiniLM alone, and their reciprocal rank fusion."""
    allowed = {i for i, d in index.docs.items() if d.source != liveqa.SOURCE}
    by_external = {index.docs[i].external_id: index.docs[i] for i in allowed}
    return {
        "engine": lambda text, k: _engine_run(index, text, k, by_external),
        "BM25": lambda text, k: _lexical_run(index, text, k, allowed),
        "embedding": lambda text, k: _semantic_run(index, text, k, allowed),
        "fusion": lambda text, k: _fusion_run(index, text, k, allowed),
    }


def _fusion_run(index: SearchIndex, text: str, k: int, allowed: set[int]) -> list[SearchDoc]:
    """Reciprocal rank fusion (Cormack et al., SIGIR 2009; constant 60) of the top
    FUSION_DEPTH of BM25 and of MiniLM."""
    score: dict[int, float] = {}
    for run in (_lexical_run, _semantic_run):
        for place, doc in enumerate(run(index, text, FUSION_DEPTH, allowed), 1):
            score[doc.id] = score.get(doc.id, 0.0) + 1 / (60 + place)
    best = sorted(score, key=lambda i: (-score[i], i))[:k]
    return [index.docs[i] for i in best]


def _engine_run(
    index: SearchIndex, text: str, k: int, by_external: dict[str, SearchDoc]
) -> list[SearchDoc]:
    result = ask(index, text, k=k + 10)
    return [by_external[m.id] for m in result.matches if m.id in by_external][:k]


def _lexical_run(index: SearchIndex, text: str, k: int, allowed: set[int]) -> list[SearchDoc]:
    hits = index.lexical.search(terms(clean(text)[0]), k + 50)
    return [index.docs[i] for i, _ in hits if i in allowed][:k]


def _semantic_run(index: SearchIndex, text: str, k: int, allowed: set[int]) -> list[SearchDoc]:
    hits = index.semantic.search(index.embedder.embed([clean(text)[0]]), k + 50)
    return [index.docs[i] for i, _ in hits if i in allowed][:k]


def evaluate(index: SearchIndex, data_dir: Path) -> Report:
    """All development benchmarks whose data is present under `data_dir`."""
    report = Report(["MQP", "focus@1", "type@1", "focus@5", "type@5"])
    if (data_dir / "mqp.csv").exists():
        evaluate_mqp(index, data_dir / "mqp.csv", report)
    else:
        report.notes.append(f"MQP skipped: {data_dir / 'mqp.csv'} is absent")
    if (data_dir / "liveqa-med-train").is_dir():
        evaluate_liveqa(index, data_dir / "liveqa-med-train", report)
    else:
        report.notes.append(f"LiveQA skipped: {data_dir / 'liveqa-med-train'} is absent")
    return report
