"""Commands of the answer engine: build its indexes, ask, and evaluate it."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from healthqa.cli._shared import (
    JsonOption,
    app,
    err,
    eval_app,
    knowledge_base,
    out,
    show_result,
)
from healthqa.formats.batch import BatchFileError, read_batch
from healthqa.formats.liveqa import read_questions
from healthqa.kb import open_index
from healthqa.parallel import cores
from healthqa.progress import progress
from healthqa.related.stored import build_all as build_related_lists
from healthqa.related.stored import embed_meanings
from healthqa.search import askers, train_ranking
from healthqa.search.ask import AskError, AskResult
from healthqa.search.ask import ask as ask_index
from healthqa.search.evaluate import evaluate, runners
from healthqa.search.index import SearchIndex
from healthqa.search.trec import trec_lines
from healthqa.web.service import keep_reading_grades


@app.command("index")
def build_index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option(help="Start from scratch.")] = True,
) -> None:
    """(Re)build the search indexes: lexical, and embeddings for new or changed text; then
    every article's Related list; then triage the questions whose text or triage rules
    changed, and grade the answers' reading levels (their pages show both); then, where the
    site reads other languages (HEALTHQA_LANGUAGES), the multilingual index."""
    with knowledge_base(ctx) as kb:
        start = time.perf_counter()
        index = open_index(kb.engine, kb.settings, rebuild=rebuild)
        out.print(
            f"indexed {len(index.docs):,} questions in {time.perf_counter() - start:.1f} s "
            f"({len(index.lexical):,} lexical, {len(index.semantic):,} vectors) at {index.path}"
        )
        start = time.perf_counter()
        total, embed = embed_meanings(index)
        with progress("what each focus is (answers embedded)", total=total) as advance:
            embed(advance)
        with progress("related lists", total=len(index.docs)) as advance:
            listed = build_related_lists(index, advance, workers=cores())
        out.print(f"kept {listed:,} related lists in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        triaged = kb.keep_triage_of_questions(workers=cores())
        out.print(
            f"triaged {triaged:,} new or changed questions in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        graded = keep_reading_grades(kb)
        seconds = time.perf_counter() - start
        out.print(f"graded {graded:,} new or changed answers in {seconds:.1f} s")
        if kb.settings.ask_languages - {"en"}:
            start = time.perf_counter()
            count = len(kb.multilingual)  # built here, so no asker waits for it
            seconds = time.perf_counter() - start
            out.print(f"multilingual index of {count:,} questions in {seconds:.1f} s")


@app.command("ask")
def ask_command(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="Your question, in your own words.")] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="How many matches.")] = 10,
    topic: Annotated[str | None, typer.Option(help="Only this topic (a slug).")] = None,
    batch: Annotated[Path | None, typer.Option(help="Queries file: lines 'qid<TAB>text'.")] = None,
    run: Annotated[
        Path | None, typer.Option(help="With --batch: write a TREC run file here.")
    ] = None,
    tag: Annotated[str, typer.Option(help="Run tag in the TREC file.")] = "healthqa",
    as_json: JsonOption = False,
) -> None:
    """Find the stored questions that ask what you ask, with their answers' sources."""
    if (text is None) == (batch is None):
        err.print("error: give either a question or --batch FILE")
        raise typer.Exit(2)
    with knowledge_base(ctx) as kb:
        try:
            if batch is not None:
                _ask_batch(kb.index, batch, run, k, tag, topic)
                return
            assert text is not None
            result = kb.ask(text, k, topic)
        except (AskError, BatchFileError) as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    show_result(result, as_json, _print_result)


def _print_result(result: AskResult) -> None:
    level = (result.triage or {}).get("level")
    if level in ("emergency", "urgent"):
        advice = (result.triage or {}).get("advice") or {}
        out.print(
            f"[bold red]{level.upper()}:[/bold red] {advice.get('headline', '')}",
            markup=True,
            highlight=False,
        )
    if result.trimmed:
        out.print(f"(your message was long: the first {len(result.query):,} characters were used)")
    if not result.matches:
        out.print("No stored question matches yet. You can ask an expert on the website.")
    for n, m in enumerate(result.matches, 1):
        out.print(
            f"\n[bold]{n}. {m.display_title}[/bold]  [dim]{m.id} · score {m.score:.3f}[/dim]",
            markup=True,
            highlight=False,
        )
        out.print(
            m.snippet or f"Answer on {m.source_name}: {m.source_url}", markup=False, highlight=False
        )
        why = [f"focus {m.why.focus}" if m.why.focus else "", f"type {m.question_type}"]
        why.append("words: " + ", ".join(m.why.terms) if m.why.terms else "")
        out.print(
            f"source: {m.source_name} {m.source_url or ''}  · " + "; ".join(w for w in why if w),
            style="dim",
            markup=False,
            highlight=False,
        )


def _ask_batch(
    index: SearchIndex, path: Path, run: Path | None, k: int, tag: str, topic: str | None
) -> None:
    queries = read_batch(path)
    target = run.open("w", encoding="utf-8") if run else sys.stdout
    try:
        with progress("asking", total=len(queries)) as advance:
            for qid, text in queries:
                for line in trec_lines(qid, ask_index(index, text, k, topic), tag):
                    target.write(line)
                advance(1)
    finally:
        if run:
            target.close()
    if run:
        err.print(f"wrote {len(queries):,} queries to {run}")


@eval_app.callback(invoke_without_command=True)
def eval_engine(
    ctx: typer.Context,
    data: Annotated[
        Path, typer.Option(help="Folder holding mqp.csv and liveqa-med-train/.")
    ] = Path("../shared/data"),
    as_json: JsonOption = False,
) -> None:
    """Development benchmarks of the answer engine (MQP, LiveQA) beside plain baselines."""
    if ctx.invoked_subcommand is not None:
        return
    with knowledge_base(ctx) as kb:
        report = evaluate(kb.index, data)
    if as_json:
        print(json.dumps({"rows": report.rows, "notes": report.notes}, indent=2))
        return
    table = Table(title="answer engine, development sets")
    table.add_column("system")
    for column in report.columns:
        table.add_column(column, justify="right")
    for system, values in report.rows.items():
        table.add_row(system, *(f"{values[c]:.3f}" if c in values else "-" for c in report.columns))
    out.print(table)
    for note in report.notes:
        out.print(note, style="dim", markup=False)


@eval_app.command("askers")
def eval_askers(
    ctx: typer.Context,
    data: Annotated[
        Path, typer.Option(help="Folder holding MedQuAD-master.zip and liveqa-med-train/.")
    ] = Path("../shared/data"),
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the set here (JSONL), for inspection.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the 5 cross-validation folds.")] = askers.SEED,
    train: Annotated[
        bool,
        typer.Option(
            "--train",
            help="Cross-validate the learned ranking (trained on 4 folds, scored on the fifth) "
            "beside today's hand weights, with the ablation and the ten worst messages.",
        ),
    ] = False,
    medquad: Annotated[
        bool, typer.Option(help="With --train: also train on MedQuAD's own structure.")
    ] = False,
    train_on_liveqa: Annotated[
        bool,
        typer.Option(
            help="With --train: also train on LiveQA's annotated focus and type (they are "
            "scored held out by fold either way)."
        ),
    ] = False,
    write: Annotated[
        Path | None,
        typer.Option(help="With --train: write the ranking trained on every fold here."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Real askers: LiveQA messages whose reference answers MedQuAD holds (aligned by shared
    word trigrams), and MRR@10 / nDCG@10 of the engine, BM25, MiniLM and their fusion, by fold.
    The plain engine row uses the shipped ranking, which was trained on these messages: the
    held-out figures are those of --train."""
    found = askers.build_set(data / "liveqa-med-train", data / "MedQuAD-master.zip", seed=seed)
    if out_file is not None:
        askers.write_jsonl(found, out_file)
        err.print(f"wrote {len(found):,} messages to {out_file}")
    with knowledge_base(ctx) as kb:
        table = askers.measure(found, runners(kb.index))
        learned = None
        if train:
            learned = train_ranking.study(
                kb.index,
                found,
                liveqa_questions=read_questions(data / "liveqa-med-train"),
                train_on_liveqa=train_on_liveqa,
                medquad=medquad,
            )
    if learned is not None:
        table.rows = learned.rows | {s: r for s, r in table.rows.items() if s != "engine"}
        if write is not None:
            learned.final.save(write)
            err.print(f"wrote the ranking trained on every fold to {write}")
    if as_json:
        extra = asdict(learned) if learned else {}
        for merged in ("final", "rows", "counts"):  # the rows are in table.rows already
            extra.pop(merged, None)
        print(json.dumps({"folds": table.counts, "rows": table.rows} | extra, indent=2))
        return
    for metric in ("MRR@10", "nDCG@10"):
        title = f"{metric}, {len(found)} real askers, folds of seed {seed}"
        _fold_grid(title, table.counts, table.rows, metric)
    if learned is not None:
        for metric in ("focus@1", "type@1", "focus@5"):
            title = f"{metric}, LiveQA messages with a FOCUS annotation, held out by fold"
            _fold_grid(title, learned.liveqa_counts, learned.liveqa, metric)
        _fold_grid("ablation: learned ranking, MRR@10", table.counts, learned.ablation, "MRR@10")
        _fold_grid("ablation: learned ranking, nDCG@10", table.counts, learned.ablation, "nDCG@10")
        _print_worst(learned.worst)


def _fold_grid(
    title: str, counts: list[int], rows: dict[str, dict[str, list[float]]], metric: str
) -> None:
    grid = Table(title=title)
    grid.add_column("system")
    for fold, count in enumerate(counts, 1):
        grid.add_column(f"fold {fold} ({count})", justify="right")
    grid.add_column("mean", justify="right")
    for system, values in rows.items():
        folds = values[metric]
        mean = sum(f * n for f, n in zip(folds, counts, strict=True)) / sum(counts)
        grid.add_row(system, *(f"{f:.3f}" for f in folds), f"{mean:.3f}")
    out.print(grid)


def _print_worst(worst: list[train_ranking.Wrong]) -> None:
    out.print(f"the {len(worst)} messages the learned engine (held out) serves worst:")
    for w in worst:
        place = f"first relevant at {w.place}: {w.first_relevant}" if w.place else "none listed"
        out.print(f"- {w.id} (MRR {w.mrr:.2f}) {w.text[:160]}", markup=False, highlight=False)
        out.print(f"    read as: {' | '.join(q[:100] for q in w.read_as)}", markup=False)
        out.print(f"    listed: {' | '.join(w.listed)}", markup=False, highlight=False)
        out.print(f"    {place}", markup=False, highlight=False)
