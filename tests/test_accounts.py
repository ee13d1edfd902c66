"""Accounts: argon2 hashes, roles, sign-in that does not reveal who has an account; the
`healthqa user` commands. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from healthqa.cli import app
from healthqa.people import accounts
from healthqa.store.models import User

PASSWORD = "correct horse battery"


def test_add_and_authenticate(engine: Engine) -> None:
    added = accounts.add_user(engine, " Dr.Roe@Example.org ", PASSWORD, "expert", "Dr. Jane Roe")
    assert (added.email, added.role, added.display_name) == (
        "dr.roe@example.org",
        "expert",
        "Dr. Jane Roe",
    )
    with engine.connect() as conn:
        stored = conn.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(engine, "DR.ROE@example.org", PASSWORD) == added
    assert accounts.authenticate(engine, "dr.roe@example.org", "wrong password!") is None
    assert accounts.authenticate(engine, "nobody@example.org", PASSWORD) is None


def test_roles_and_listing(engine: Engine) -> None:
    accounts.add_user(engine, "a@example.org", PASSWORD, "moderator")
    accounts.add_user(engine, "b@example.org", PASSWORD)
    assert [a.email for a in accounts.list_users(engine)] == ["a@example.org", "b@example.org"]
    assert [a.role for a in accounts.list_users(engine, "asker")] == ["asker"]
    assert accounts.set_role(engine, "b@example.org", "admin").role == "admin"


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("not-an-email", PASSWORD, "asker", "not an email address"),
        ("x@example.org", "short", "asker", "at least 10 characters"),
        ("x@example.org", "x" * 1_001, "asker", "at most 1000 characters"),
        ("x@example.org", PASSWORD, "wizard", "unknown role 'wizard'"),
    ],
)
def test_bad_input_is_refused_clearly(
    sqlite_engine: Engine, email: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(accounts.AccountError, match=message):
        accounts.add_user(sqlite_engine, email, password, role)
    assert accounts.list_users(sqlite_engine) == []


def test_duplicate_email_and_unknown_user(sqlite_engine: Engine) -> None:
    accounts.add_user(sqlite_engine, "a@example.org", PASSWORD)
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.add_user(sqlite_engine, "A@example.org", PASSWORD)
    with pytest.raises(accounts.UnknownUser):
        accounts.set_role(sqlite_engine, "ghost@example.org", "admin")


def test_user_commands(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "u.db")]
    runner = CliRunner()
    added = runner.invoke(
        app,
        [*db, "user", "add", "nurse@example.org", "--role", "expert", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "added nurse@example.org as expert" in added.output
    assert (
        runner.invoke(app, [*db, "user", "role", "nurse@example.org", "moderator"]).exit_code == 0
    )
    listed = json.loads(runner.invoke(app, [*db, "user", "list", "--json"]).output)
    assert [(u["email"], u["role"]) for u in listed] == [("nurse@example.org", "moderator")]
    refused = runner.invoke(app, [*db, "user", "role", "nurse@example.org", "wizard"])
    assert refused.exit_code == 1 and "unknown role 'wizard'" in refused.output


def test_token_and_audit_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    runner = CliRunner()
    add = ["--db", db, "user", "add", "mod@example.org", "--role", "moderator", "--password-stdin"]
    added = runner.invoke(app, add, input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    made = runner.invoke(
        app, ["--db", db, "user", "token", "mod@example.org", "--scope", "moderate"]
    )
    assert made.exit_code == 0 and made.stdout.strip().startswith("hqa_")
    refused = runner.invoke(
        app, ["--db", db, "user", "token", "mod@example.org", "--scope", "answer"]
    )
    assert refused.exit_code == 1 and "cannot give the 'answer' scope" in refused.output
    log = runner.invoke(app, ["--db", db, "audit", "--json"])
    assert log.exit_code == 0 and json.loads(log.stdout) == []
