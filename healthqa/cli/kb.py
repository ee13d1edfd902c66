"""Commands on the knowledge base itself: create it, import, count, show, export, serve."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from healthqa import ingest
from healthqa.cli._shared import (
    JsonOption,
    StrictOption,
    app,
    database,
    database_at,
    err,
    export_app,
    import_app,
    knowledge_base,
    out,
)
from healthqa.ingest.jsonl import question_dict
from healthqa.kb import KnowledgeBase, load_demo_if_empty
from healthqa.progress import progress
from healthqa.store import get_question, stats
from healthqa.store.backup import backup, restore
from healthqa.store.copy import copy_database, rows_to_copy


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database schema and the topic list."""
    with database(ctx) as engine:
        out.print(f"knowledge base ready at {engine.url.render_as_string(hide_password=True)}")


def _run_import(
    ctx: typer.Context, as_json: bool, run: Callable[[KnowledgeBase], ingest.ImportSummary]
) -> None:
    with knowledge_base(ctx) as kb:
        summary = run(kb)
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
    _run_import(
        ctx, as_json,
        lambda kb: ingest.import_medquad(
            kb.engine, location, strict=strict, rules=kb.topic_rules, settings=kb.settings
        ),
    )  # fmt: skip


def _file_import(
    name: str, importer: Callable[..., ingest.ImportSummary], what: str, summary: str
) -> None:
    """Register `healthqa import NAME PATH` (its help: `summary`): `importer` reads PATH (`what`
    it is) into the knowledge base with the site's topic rules."""

    def command(
        ctx: typer.Context,
        path: Path = typer.Argument(..., help=what),  # noqa: B008 (typer's way to name it)
        strict: StrictOption = False,
        as_json: JsonOption = False,
    ) -> None:
        _run_import(
            ctx, as_json, lambda kb: importer(kb.engine, path, strict=strict, rules=kb.topic_rules)
        )

    command.__doc__ = summary
    import_app.command(name)(command)


_file_import(
    "liveqa", ingest.import_liveqa, "A LiveQA XML file or a folder of them.",
    "Import TREC 2017 LiveQA medical questions with their reference answers.",
)  # fmt: skip
_file_import(
    "jsonl", ingest.import_jsonl, "A file in the format of docs/jsonl-format.md.",
    "Import your own questions and answers, one JSON object per line.",
)  # fmt: skip


@import_app.command("demo")
def import_demo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Import the demo corpus that ships with healthqa."""
    _run_import(ctx, as_json, lambda kb: ingest.import_demo(kb.engine, kb.topic_rules))


@app.command("stats")
def show_stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Count questions and answers by source, topic and answered/unanswered."""
    with database(ctx) as engine:
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
    """Show one question with its answers and sources (its display title first, then its
    title as the source wrote it, where they differ)."""
    with database(ctx) as engine:
        question = get_question(engine, question_id)
    data = question_dict(question) | {"display_title": question.display_title or question.title}
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_question(data, question.source.name, question.source.attribution)


def _print_question(data: dict[str, Any], source: str, attribution: str | None) -> None:
    shown = escape(data["display_title"])
    out.print(f"[bold]{shown}[/bold]  ({data['id']})", markup=True, highlight=False)
    if data["display_title"] != data["title"]:
        out.print(f"as written by the source: {data['title']}", markup=False, highlight=False)
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
    with database(ctx) as engine:
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
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (each loads the search index).")
    ] = 1,
) -> None:
    """Run the website (loads the demo corpus first if the knowledge base is empty)."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    from healthqa.web.app import worker_app

    with knowledge_base(ctx) as kb:
        summary = load_demo_if_empty(kb.engine, kb.topic_rules)
        if summary:
            out.print(f"empty knowledge base: loaded the demo corpus ({summary.added} questions)")
        database_url = kb.engine.url.render_as_string(hide_password=False)
    out.print(f"healthqa on http://{host}:{port}/ (the search index loads first)")
    # Each worker process builds its app from the database URL handed to it (not from the
    # environment): the loader is pickled into the worker.
    Granian(
        "healthqa.web.app:worker_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,  # asyncio's own loop gave 927 uncached req/s against 1,053 (docs/web.md)
        workers=workers,
        respawn_failed_workers=True,  # a worker that dies is replaced; the others serve meanwhile
        log_level=LogLevels.warning,
    ).serve(target_loader=partial(worker_app, database_url), wrap_loader=False)


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="The backup file to write.")],
) -> None:
    """Back up the whole site while it runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    with database(ctx) as engine:
        written = backup(engine, target)
    out.print(f"backed up to {written} ({written.stat().st_size:,} bytes)")


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A file written by `healthqa backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing.")] = False,
) -> None:
    """Replace the site's whole database with a backup (then rebuild with `healthqa index`)."""
    with database(ctx) as engine:
        where = engine.url.render_as_string(hide_password=True)
        if not yes and not typer.confirm(f"Replace everything in {where} with {source}?"):
            raise typer.Exit(1)
        restore(engine, source)
    out.print(f"restored {where} from {source}; run `healthqa index` to rebuild the search index")


@app.command("migrate-db")
def migrate_db(
    from_url: Annotated[str, typer.Argument(help="The database to copy from.")],
    to_url: Annotated[
        str,
        typer.Argument(
            help="The database to copy into (empty, or a copy interrupted earlier: it resumes)."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Move a whole site to another database (SQLite to PostgreSQL, or back), counts checked."""
    with (
        database_at(from_url) as source,
        database_at(to_url) as target,
        progress("copying", total=rows_to_copy(source)) as advance,
    ):
        report = copy_database(source, target, lambda _table, rows: advance(rows))
    if as_json:
        print(json.dumps([vars(r) for r in report], indent=2))
        return
    table = Table(title=f"copied to {target.url.render_as_string(hide_password=True)}")
    for column in ("table", "rows", "copied now"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for r in report:
        table.add_row(r.table, f"{r.target_rows:,}", f"{r.copied:,}")
    out.print(table)
