"""Commands on people: accounts and roles, API tokens, the audit log."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from healthqa.cli._shared import (
    JsonOption,
    account_call,
    app,
    database,
    err,
    out,
    user_app,
)
from healthqa.people import accounts
from healthqa.people import audit as audit_log


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
    with database(ctx) as engine:
        account = account_call(lambda: accounts.add_user(engine, email, password, role, name))
    out.print(f"added {account.email} as {account.role}", markup=False, highlight=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List accounts with their roles."""
    with database(ctx) as engine:
        found = account_call(lambda: accounts.list_users(engine, role))
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
    with database(ctx) as engine:
        account = account_call(lambda: accounts.set_role(engine, email, role))
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
    with database(ctx) as engine:
        account = account_call(lambda: accounts.get_user(engine, email))
        info, token = account_call(lambda: accounts.create_api_token(engine, account, name, scope))
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
    with database(ctx) as engine:
        entries = audit_log.read(engine, limit=limit, action=action)
    if as_json:
        print(json.dumps([e.__dict__ for e in entries], default=str, indent=2))
        return
    for e in entries:
        line = f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.target} {e.target_id}"
        out.print(line + (f"\t{e.detail}" if e.detail else ""), markup=False, highlight=False)
