"""The `healthqa` command line: parse options, call the library, print."""

from __future__ import annotations

import typer

app = typer.Typer(help="healthqa: a self-hosted consumer-health Q&A system.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate healthqa's parts on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def main() -> None:
    app()
