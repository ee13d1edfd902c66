"""How alike two questions are, as the engine judges it (used for MQP and near-duplicates).

Meaning (MiniLM cosine) carries most of the weight; agreement on focus and on question type
is what separates a paraphrase from a look-alike that shares the words but asks something else
("can I drink alcohol on azithromycin?" vs "is my vomiting a side effect of azithromycin?").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from healthqa.search.index import SearchIndex
from healthqa.search.lexical import terms
from healthqa.search.qtype import TypeClassifier

W_MEANING = 1.0
W_TYPE = 0.15
W_FOCUS = 0.05
W_WORDS = 0.05


def question_similarity(
    index: SearchIndex,
    types: TypeClassifier,
    a: str,
    b: str,
    vectors: Mapping[str, NDArray[np.float32]] | None = None,
) -> float:
    va, vb = (vectors[a], vectors[b]) if vectors else index.embedder.embed([a, b])
    meaning = float(va @ vb)
    fa, fb = index.focus.match(a), index.focus.match(b)
    ta = dict(types.predict(a, [(f.start, f.end) for f in fa]))
    tb = dict(types.predict(b, [(f.start, f.end) for f in fb]))
    type_agreement = sum(p * tb.get(t, 0.0) for t, p in ta.items())
    focus_a, focus_b = {f.focus for f in fa}, {f.focus for f in fb}
    focus_agreement = len(focus_a & focus_b) / len(focus_a | focus_b) if focus_a | focus_b else 0
    wa, wb = set(terms(a)), set(terms(b))
    words = len(wa & wb) / len(wa | wb) if wa | wb else 0.0
    return (
        W_MEANING * meaning + W_TYPE * type_agreement + W_FOCUS * focus_agreement + W_WORDS * words
    )
