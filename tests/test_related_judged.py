"""The blind-judged sample of Related items and its re-scoring: the bundled sample reads, bad
lines are named, and a list is scored by the labels of what it lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from healthqa.ingest import import_jsonl
from healthqa.related.judged import SAMPLE, SampleError, agreement, read_sample, rescore
from tests.test_related import PARALYSES, open_tmp_index, write_jsonl


def test_the_bundled_sample_covers_every_source_with_at_least_300_pairs() -> None:
    sample = read_sample(SAMPLE)
    pairs = {(j.article, j.item) for j in sample}
    assert len(pairs) >= 300
    sources = {a.split("_")[0].split("-")[0] for a, _ in pairs}
    assert {"ADAM", "MPlusDrugs", "GHR", "GARD", "NINDS", "LiveQA", "demo"} <= sources
    agreed, twice = agreement(sample)
    assert twice >= 200 and agreed / twice > 0.9  # two judges saw these pairs apart


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not JSON"),
        ('["a"]', "line 2: not a JSON object"),
        ('{"article": "a", "item": "b", "label": "good", "judge": "j"}', "field 'label'"),
        ('{"article": "a", "label": "loose", "judge": "j"}', "field 'item'"),
    ],
)
def test_a_bad_line_is_named_by_file_line_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    good = json.dumps({"article": "a", "item": "b", "label": "loose", "judge": "j"})
    path = tmp_path / "judged.jsonl"
    path.write_text(f"{good}\n{line}\n")
    with pytest.raises(SampleError, match=message) as raised:
        read_sample(path)
    assert str(path) in str(raised.value)


def test_a_list_is_scored_by_the_labels_of_what_it_lists(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    lines = [
        {"id": i, "title": f"What are the symptoms of {f}?", "focus": f, "topic": t}
        for i, f, t in PARALYSES
    ]
    import_jsonl(sqlite_engine, write_jsonl(tmp_path / "base.jsonl", lines))
    index = open_tmp_index(sqlite_engine, tmp_path)
    judged = [
        {"article": "hyper", "item": "hypo", "label": "related", "judge": "one"},
        {"article": "hyper", "item": "hypo", "label": "loose", "judge": "two"},  # second opinion
        {"article": "hypo", "item": "somewhere", "label": "off-topic", "judge": "one"},
        {"article": "gone", "item": "hypo", "label": "loose", "judge": "one"},
    ]
    sample = read_sample(write_jsonl(tmp_path / "judged.jsonl", judged))
    score = rescore(index, sample)
    assert score.articles == 2 and score.missing_articles == ["gone"]
    assert dict(score.labels) == {"related": 1}  # the first judgement counts
    assert score.by_reason == {"same family": {"related": 1}}
    assert score.unjudged == [("hypo", "hyper")]  # listed, but nobody judged that pair
    assert score.share("off-topic") == 0.0 and score.short_lists == 2
    assert agreement(sample) == (0, 1)
