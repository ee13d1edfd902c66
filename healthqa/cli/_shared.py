"""What every command shares: the command groups, the consoles, the common options, and
opening the knowledge base with user errors turned into one line and exit code 1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol, TypeVar

import typer
from rich.console import Console
from sqlalchemy import Engine

from healthqa import ingest
from healthqa.ingest.topics import TopicsFileError
from healthqa.kb import KnowledgeBase
from healthqa.people import accounts
from healthqa.store import DatabaseURLError, QuestionNotFound, connect
from healthqa.store.backup import BackupError
from healthqa.store.copy import CopyMismatch

app = typer.Typer(help="healthqa: a self-hosted consumer-health Q&A system.", no_args_is_help=True)
import_app = typer.Typer(help="Import questions and answers (idempotent).", no_args_is_help=True)
export_app = typer.Typer(help="Export the knowledge base.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate healthqa's parts on labelled data.")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
user_app = typer.Typer(help="Manage accounts: experts, moderators, admins.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(user_app, name="user")

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
    BackupError,
    CopyMismatch,
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
def knowledge_base(ctx: typer.Context) -> Iterator[KnowledgeBase]:
    """Open the knowledge base (settings read once) and turn user errors into a message and
    exit code 1."""
    try:
        kb = KnowledgeBase.open(ctx.obj["db"] if ctx.obj else None)
        try:
            yield kb
        finally:
            kb.engine.dispose()
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@contextmanager
def database(ctx: typer.Context) -> Iterator[Engine]:
    """The database alone, for commands that need no settings beyond it."""
    with knowledge_base(ctx) as kb:
        yield kb.engine


@contextmanager
def database_at(url: str) -> Iterator[Engine]:
    """The database at `url` (not the configured one), with user errors as one line."""
    try:
        engine = connect(url)
        try:
            yield engine
        finally:
            engine.dispose()
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


T = TypeVar("T")


class Printable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Printable)


def show_result(result: R, as_json: bool, for_people: Callable[[R], None]) -> None:
    """Print `result` as JSON for scripts, or for people."""
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for_people(result)


def account_call(call: Callable[[], T]) -> T:
    """`call()`, with an account error printed as one line and exit code 1."""
    try:
        return call()
    except accounts.AccountError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
