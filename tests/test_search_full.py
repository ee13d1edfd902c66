"""The answer engine on the whole MedQuAD base: a batch run over the 446 LiveQA questions
writes a valid TREC run. Slow (about three minutes: most of it embedding 47,457 questions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from healthqa.cli import app
from healthqa.ingest import import_medquad
from healthqa.search.evaluate import liveqa_queries


@pytest.mark.slow
def test_batch_run_over_medquad(
    sqlite_engine: Engine, medquad_zip: Path, liveqa_dir: Path, tmp_path: Path
) -> None:
    import_medquad(sqlite_engine, medquad_zip)
    queries = liveqa_queries(liveqa_dir)
    tsv = tmp_path / "liveqa.tsv"
    tsv.write_text("".join(f"{q.qid}\t{' '.join(q.text.split())}\n" for q in queries))
    run = tmp_path / "liveqa.trec"
    db = sqlite_engine.url.render_as_string(False)
    result = CliRunner().invoke(
        app, ["--db", db, "ask", "--batch", str(tsv), "--run", str(run), "--k", "100"]
    )
    assert result.exit_code == 0, result.output

    lines = [line.split(" ") for line in run.read_text().splitlines()]
    assert {line[0] for line in lines} == {q.qid for q in queries}
    assert all(len(line) == 6 and line[1] == "Q0" for line in lines)
    per_query: dict[str, list[list[str]]] = {}
    for line in lines:
        per_query.setdefault(line[0], []).append(line)
    for qid, rows in per_query.items():
        assert [int(r[3]) for r in rows] == list(range(1, len(rows) + 1)), qid
        assert len({r[2] for r in rows}) == len(rows), f"{qid}: a document listed twice"
        assert 50 <= len(rows) <= 100, qid
    # the hemochromatosis example of the issue: its focus is found
    top = CliRunner().invoke(
        app,
        [
            "--db",
            db,
            "ask",
            "--json",
            "-k",
            "3",
            "Hi, my mother was diagnosed with hemochromatosis last year and her doctor said to "
            "watch her diet. Can she still eat red meat?",
        ],
    )
    assert "Hemochromatosis" in top.output
