"""The `healthqa` command line: parse options, call the library, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from healthqa import ingest
from healthqa.ingest.jsonl import question_dict
from healthqa.ingest.topics import TopicsFileError
from healthqa.kb import load_demo_if_empty, open_kb
from healthqa.store import DatabaseURLError, QuestionNotFound, get_question, stats

app = typer.Typer(help="healthqa: a self-hosted consumer-health Q&A system.", no_args_is_help=True)
import_app = typer.Typer(help="Import questions and answers (idempotent).", no_args_is_help=True)
export_app = typer.Typer(help="Export the knowledge base.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate healthqa's parts on labelled data.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(eval_app, name="eval")

out = Console()
err = Console(stderr=True)

# Failures a user can act on: printed as one line, exit code 1, no traceback.
USER_ERRORS = (
    DatabaseURLError,
    QuestionNotFound,
    TopicsFileError,
    ingest.ImportRejected,
    ingest.JSONLError,
    ingest.LiveQAError,
    ingest.MedQuADError,
    OSError,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite path [env: HEALTHQA_DATABASE_URL]."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Import nothing if any record is invalid.")
]


@app.callback()
def _root(ctx: typer.Context, db: DbOption = None) -> None:
    ctx.obj = {"db": db}


@contextmanager
def _kb(ctx: typer.Context) -> Iterator[Engine]:
    """Open the knowledge base and turn user errors into a message and exit code 1."""
    try:
        engine = open_kb(ctx.obj["db"] if ctx.obj else None)
        try:
            yield engine
        finally:
            engine.dispose()
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema and the topic list."""
    with _kb(ctx) as engine:
        out.print(f"knowledge base ready at {engine.url.render_as_string(hide_password=True)}")


def _run_import(
    ctx: typer.Context, as_json: bool, run: Callable[[Engine], ingest.ImportSummary]
) -> None:
    with _kb(ctx) as engine:
        summary = run(engine)
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2))
        return
    for rejection in summary.rejected:
        err.print(f"rejected {rejection}", highlight=False, markup=False)
    out.print(
        f"{summary.label}: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {len(summary.rejected)} rejected"
    )


@import_app.command("medquad")
def import_medquad(
    ctx: typer.Context,
    location: Annotated[
        str | None, typer.Argument(help="Zip, extracted folder or URL (default: public archive).")
    ] = None,
    strict: StrictOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import MedQuAD (47,457 question-answer pairs from 12 NIH websites)."""
    _run_import(ctx, as_json, lambda e: ingest.import_medquad(e, location, strict=strict))


@import_app.command("liveqa")
def import_liveqa(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A LiveQA XML file or a folder of them.")],
    strict: StrictOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import TREC 2017 LiveQA medical questions with their reference answers."""
    _run_import(ctx, as_json, lambda e: ingest.import_liveqa(e, path, strict=strict))


@import_app.command("jsonl")
def import_jsonl(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A file in the format of docs/jsonl-format.md.")],
    strict: StrictOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import your own questions and answers, one JSON object per line."""
    _run_import(ctx, as_json, lambda e: ingest.import_jsonl(e, path, strict=strict))


@import_app.command("demo")
def import_demo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Import the demo corpus that ships with healthqa."""
    _run_import(ctx, as_json, ingest.import_demo)


@app.command("stats")
def show_stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Count questions and answers by source, topic and answered/unanswered."""
    with _kb(ctx) as engine:
        result = stats(engine)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    out.print(
        f"{result.questions:,} questions ({result.answered:,} answered, "
        f"{result.unanswered:,} unanswered), {result.answers:,} answers"
    )
    for title, counts in (("source", result.by_source), ("topic", result.by_topic)):
        table = Table(title=f"by {title}")
        table.add_column(title)
        table.add_column("questions", justify="right")
        for key, n in counts.items():
            table.add_row(key, f"{n:,}")
        out.print(table)


@app.command()
def show(
    ctx: typer.Context,
    question_id: Annotated[str, typer.Argument(help="External id, e.g. GHR_0000001_Sec1.")],
    as_json: JsonOption = False,
) -> None:
    """Show one question with its answers and sources."""
    with _kb(ctx) as engine:
        question = get_question(engine, question_id)
    data = question_dict(question)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_question(data, question.source.name, question.source.attribution)


def _print_question(data: dict[str, Any], source: str, attribution: str | None) -> None:
    out.print(f"[bold]{data['title']}[/bold]  ({data['id']})", markup=True, highlight=False)
    facts = [f"topic: {data['topic']}", f"type: {data.get('question_type', '-')}"]
    facts += [f"focus: {data.get('focus', '-')}", f"source: {source}"]
    out.print(" · ".join(facts), markup=False, highlight=False)
    if data.get("body"):
        out.print(f"\n{data['body']}", markup=False, highlight=False)
    for i, answer in enumerate(data.get("answers", []), 1):
        who = ", ".join(x for x in (answer.get("author"), answer.get("author_role")) if x)
        out.print(f"\n[bold]Answer {i}[/bold] — {who}", markup=True, highlight=False)
        out.print(answer["body"], markup=False, highlight=False)
    if not data.get("answers"):
        out.print(f"\nNo answer text stored; read it at {data.get('source_url')}", markup=False)
    if attribution:
        out.print(f"\n{attribution}", style="dim", markup=False, highlight=False)


@export_app.command("jsonl")
def export_jsonl(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="File (default: stdout).")
    ] = None,
) -> None:
    """Export every question and answer in the JSONL import format."""
    with _kb(ctx) as engine:
        if output is None:
            count = ingest.export_jsonl(engine, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as fh:
                count = ingest.export_jsonl(engine, fh)
    err.print(f"exported {count:,} questions")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the website (loads the demo corpus first if the knowledge base is empty)."""
    import uvicorn

    from healthqa.web.app import create_app

    with _kb(ctx) as engine:
        summary = load_demo_if_empty(engine)
        if summary:
            out.print(f"empty knowledge base: loaded the demo corpus ({summary.added} questions)")
        out.print(f"healthqa on http://{host}:{port}/")
        uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


def main() -> None:
    app()
