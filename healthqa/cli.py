"""The `healthqa` command line: parse options, call the library, print."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from healthqa import ingest
from healthqa.people import accounts
from healthqa.people import audit as audit_log
from healthqa.ingest.jsonl import question_dict
from healthqa.ingest.topics import TopicsFileError
from healthqa.kb import load_demo_if_empty, open_index, open_kb
from healthqa.progress import progress
from healthqa.search.ask import AskError, AskResult
from healthqa.search.ask import ask as ask_index
from healthqa.search.batch import BatchError, read_queries, trec_lines
from healthqa.search.evaluate import evaluate
from healthqa.search.index import SearchIndex
from healthqa.store import DatabaseURLError, QuestionNotFound, get_question, stats
from healthqa.triage import (
    MessageError,
    Triage,
    TriageInputError,
    batch_line,
    read_batch,
    triage,
)
from healthqa.triage import evaluate as triage_evaluate

app = typer.Typer(help="healthqa: a self-hosted consumer-health Q&A system.", no_args_is_help=True)
import_app = typer.Typer(help="Import questions and answers (idempotent).", no_args_is_help=True)
export_app = typer.Typer(help="Export the knowledge base.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate healthqa's parts on labelled data.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(eval_app, name="eval")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

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
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (each loads the search index).")
    ] = 1,
) -> None:
    """Run the website (loads the demo corpus first if the knowledge base is empty)."""
    import os

    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    with _kb(ctx) as engine:
        summary = load_demo_if_empty(engine)
        if summary:
            out.print(f"empty knowledge base: loaded the demo corpus ({summary.added} questions)")
        # Each worker opens the same knowledge base from this variable (app_from_environment).
        os.environ["HEALTHQA_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    out.print(f"healthqa on http://{host}:{port}/ (the search index loads first)")
    Granian(
        "healthqa.web.app:app_from_environment",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        log_level=LogLevels.warning,
    ).serve()


# ----- the answer engine -----


@app.command("index")
def build_index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option(help="Start from scratch.")] = True,
) -> None:
    """(Re)build the search indexes: lexical, and embeddings for new or changed text."""
    with _kb(ctx) as engine:
        start = time.perf_counter()
        index = open_index(engine, rebuild=rebuild)
        out.print(
            f"indexed {len(index.docs):,} questions in {time.perf_counter() - start:.1f} s "
            f"({len(index.lexical):,} lexical, {len(index.semantic):,} vectors) at {index.path}"
        )


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
    with _kb(ctx) as engine:
        index = open_index(engine)
        try:
            if batch is not None:
                _ask_batch(index, batch, run, k, tag, topic)
                return
            assert text is not None
            result = ask_index(index, text, k, topic)
        except (AskError, BatchError) as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
        result.triage = triage(text, vector=result.vector).to_dict()
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_result(result)


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
            f"\n[bold]{n}. {m.title}[/bold]  [dim]{m.id} · score {m.score:.3f}[/dim]",
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
    queries = read_queries(path)
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
    with _kb(ctx) as engine:
        report = evaluate(open_index(engine), data)
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


@app.command("triage")
def triage_command(
    text: Annotated[str | None, typer.Argument(help="A message to triage.")] = None,
    batch: Annotated[Path | None, typer.Option(help="Messages file: lines 'id<TAB>text'.")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="With --batch: write the results here.")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Country code for phone numbers [env: HEALTHQA_COUNTRY].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Say whether a message is an emergency, urgent or routine, and what to do now.

    With --batch, print 'id<TAB>level<TAB>flags' per message (or JSON lines with --json).
    """
    if (text is None) == (batch is None):
        err.print("error: give either a message or --batch FILE")
        raise typer.Exit(2)
    if batch is not None:
        _triage_batch(batch, out_file, country, as_json)
        return
    assert text is not None
    try:
        result = triage(text, country)
    except MessageError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_triage(result)


def _print_triage(result: Triage) -> None:
    colour = {"emergency": "bold red", "urgent": "bold yellow"}.get(result.level.value, "green")
    label = result.level.value.upper() if result.checked else "NOT CHECKED"
    out.print(f"[{colour}]{label}[/{colour}]", markup=True)
    if result.advice is None:
        out.print("No red flags found.", markup=False)
        return
    if not result.checked:
        out.print(result.advice.headline, markup=False, highlight=False)
        return
    out.print(result.advice.headline, markup=False, highlight=False)
    for line in result.advice.more:
        out.print(line, markup=False, highlight=False)
    table = Table("red flag", "words that triggered it", "rule")
    for flag in result.flags:
        table.add_row(flag.name, "; ".join(flag.matched), flag.rule)
    out.print(table)
    for flag in result.flags:
        out.print(f"{flag.name}: {flag.rationale}", style="dim", markup=False, highlight=False)


def _triage_batch(path: Path, out_file: Path | None, country: str | None, as_json: bool) -> None:
    try:
        rows = read_batch(path)
    except TriageInputError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    target = out_file.open("w", encoding="utf-8") if out_file else sys.stdout
    levels: dict[str, int] = {}
    try:
        for message_id, text in rows:
            try:
                result = triage(text, country)
            except MessageError as exc:
                err.print(f"error: {path}: message {message_id!r}: {exc}", markup=False)
                raise typer.Exit(1) from None
            levels[result.level.value] = levels.get(result.level.value, 0) + 1
            line = json.dumps({"id": message_id, **result.to_dict()}, ensure_ascii=False)
            target.write((line if as_json else batch_line(message_id, result)) + "\n")
    finally:
        if out_file:
            target.close()
    counts = ", ".join(f"{n:,} {level}" for level, n in sorted(levels.items()))
    err.print(f"triaged {len(rows):,} messages: {counts or 'none'}", markup=False)


@eval_app.command("triage")
def eval_triage(
    liveqa: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the LiveQA XML files (default: ../shared/data beside the repo)."
        ),
    ] = None,
    show_test_misses: Annotated[
        bool, typer.Option(help="List the frozen test half's misses too (never while tuning).")
    ] = False,
    check: Annotated[
        bool, typer.Option(help="Exit 1 if a figure falls below the floors this version reached.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Triage on the blind sets (dev, two frozen tests), LiveQA and the team set, by family."""
    folder = liveqa or triage_evaluate.DEFAULT_LIVEQA
    try:
        reports = triage_evaluate.standard_reports(folder if folder.is_dir() else None)
    except (triage_evaluate.EvalSetError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if not folder.is_dir():
        err.print(f"LiveQA skipped: {folder} is absent", markup=False, soft_wrap=True)
    if as_json:
        shown = {
            name: r.to_dict(with_misses=not name.startswith("test") or show_test_misses)
            for name, r in reports.items()
        }
        print(json.dumps(shown, indent=2))
    else:
        for name, report in reports.items():
            _print_triage_report(report, misses=not name.startswith("test") or show_test_misses)
    for report in reports.values():
        for failure in report.target_failures():
            err.print(f"target missed: {failure}", markup=False, soft_wrap=True)
    below = triage_evaluate.below_floors(reports)
    for failure in below:
        err.print(f"below floor: {failure}", markup=False, soft_wrap=True)
    if check and below:
        raise typer.Exit(1)


def _print_triage_report(report: triage_evaluate.Report, misses: bool) -> None:
    table = Table(title=f"triage, {report.name} ({report.overall.size} messages)")
    for column in ("family", "n", "emergency", "urgent", "routine", *triage_evaluate.TARGETS):
        table.add_column(column, justify="left" if column == "family" else "right")
    rows = [*report.families().items(), ("all", report.overall)]
    for name, scores in rows:
        figures = [f"{v:.3f}" if v == v else "-" for v in scores.figures().values()]
        support = [str(scores.support(level)) for level in triage_evaluate.LEVELS]
        table.add_row(name, str(scores.size), *support, *figures)
    out.print(table)
    if misses:
        for miss in report.misses():
            flags = ",".join(f.rule for f in miss.flags) or "-"
            out.print(
                f"miss {miss.message.id} [{miss.message.family}] {miss.message.level.value} -> "
                f"{miss.got.value} ({flags}): {miss.message.text[:100]}",
                markup=False,
                highlight=False,
            )


# ----- accounts -----

user_app = typer.Typer(help="Manage accounts: experts, moderators, admins.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(accounts.ROLES)}.")] = "asker",
    name: Annotated[str, typer.Option(help="Name shown on answers.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (asks for the password unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _kb(ctx) as engine:
        account = _account_call(lambda: accounts.add_user(engine, email, password, role, name))
    out.print(f"added {account.email} as {account.role}", markup=False, highlight=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List accounts with their roles."""
    with _kb(ctx) as engine:
        found = _account_call(lambda: accounts.list_users(engine, role))
    if as_json:
        print(json.dumps([a.__dict__ for a in found], default=str, indent=2))
        return
    for a in found:
        state = " (disabled)" if a.disabled else ""
        out.print(f"{a.email}\t{a.role}\t{a.display_name}{state}", markup=False, highlight=False)


@user_app.command("role")
def user_role(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(accounts.ROLES)}.")],
) -> None:
    """Change an account's role."""
    with _kb(ctx) as engine:
        account = _account_call(lambda: accounts.set_role(engine, email, role))
    out.print(f"{account.email} is now {account.role}", markup=False, highlight=False)


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    scope: Annotated[
        list[str], typer.Option(help=f"Repeat for several: {', '.join(accounts.SCOPES)}.")
    ],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
) -> None:
    """Make an API token for a program (printed once; only its hash is kept)."""
    with _kb(ctx) as engine:
        account = _account_call(lambda: accounts.get_user(engine, email))
        info, token = _account_call(lambda: accounts.create_api_token(engine, account, name, scope))
    err.print(f"token {info.id} for {account.email}: {', '.join(info.scopes)}", markup=False)
    print(token)


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many entries.")] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. approve.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The audit log of moderation and administration, newest first."""
    with _kb(ctx) as engine:
        entries = audit_log.read(engine, limit=limit, action=action)
    if as_json:
        print(json.dumps([e.__dict__ for e in entries], default=str, indent=2))
        return
    for e in entries:
        line = f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.target} {e.target_id}"
        out.print(line + (f"\t{e.detail}" if e.detail else ""), markup=False, highlight=False)


T = TypeVar("T")


def _account_call(call: Callable[[], T]) -> T:
    try:
        return call()
    except accounts.AccountError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def main() -> None:
    app()
