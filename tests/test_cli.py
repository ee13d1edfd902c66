"""The command line, driven through Typer's runner against real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from healthqa.cli import app

runner = CliRunner()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(cmd, click.Group):
            found += _commands(cmd, path)
    return found


ALL_COMMANDS = _commands(get_command(app))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    summary = get_command(app)
    for name in command:
        summary = summary.commands[name]  # type: ignore[attr-defined]
    assert summary.help, f"healthqa {' '.join(command)} has no help text"


def invoke(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_init_import_stats_show_export(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert "knowledge base ready" in invoke(db, "init")
    summary = json.loads(invoke(db, "import", "demo", "--json"))
    assert summary["added"] >= 40 and summary["rejected"] == 0
    again = json.loads(invoke(db, "import", "demo", "--json"))
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, summary["added"])

    counts = json.loads(invoke(db, "stats", "--json"))
    assert counts["questions"] == summary["added"] == counts["by_source"]["demo"]
    assert counts["unanswered"] == 0
    assert "questions" in invoke(db, "stats")

    shown = json.loads(invoke(db, "show", "demo-0001", "--json"))
    assert shown["id"] == "demo-0001" and shown["answers"]
    text = invoke(db, "show", "demo-0001")
    assert shown["title"] in text and "Answer 1" in text

    out = tmp_path / "export.jsonl"
    invoke(db, "export", "jsonl", "--out", str(out))
    lines = out.read_text().splitlines()
    assert len(lines) == summary["added"] + 1  # + the source line


def test_database_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("HEALTHQA_DATABASE_URL", f"sqlite:///{db}")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0 and db.exists()


def test_default_database_lives_in_the_data_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "healthqa.db").exists()  # HEALTHQA_HOME, see conftest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "no question with id 'nope'"),
        (["import", "jsonl", "missing.jsonl"], "missing.jsonl: cannot read"),
        (["import", "medquad", "missing.zip"], "missing.zip: no such file or folder"),
        (["--db", "mysql://x/y", "init"], "unsupported database 'mysql'"),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    db = ["--db", str(tmp_path / "e.db")] if args[0] != "--db" else []
    result = runner.invoke(app, [*db, *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_rejected_lines_are_listed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a-1", "title": "ok?"}\n{"id": "a-2"}\n')
    output = invoke(tmp_path / "r.db", "import", "jsonl", str(bad))
    assert f"rejected {bad}:2: field 'title': missing (required)" in output
    assert "1 added, 0 updated, 0 unchanged, 1 rejected" in output


def test_backup_restore_and_migrate_db_commands(tmp_path: Path) -> None:
    site, copy = tmp_path / "site.db", tmp_path / "copy.db"
    invoke(site, "import", "demo")
    assert "backed up to" in invoke(site, "backup", str(tmp_path / "site.backup"))
    moved = json.loads(runner.invoke(app, ["migrate-db", str(site), str(copy), "--json"]).output)
    assert {r["table"]: r["target_rows"] for r in moved}["questions"] >= 40
    refused = runner.invoke(
        app, ["--db", str(copy), "restore", str(tmp_path / "nothing")], input="y\n"
    )
    assert refused.exit_code == 1 and "no such backup file" in refused.output
    assert "restored" in invoke(copy, "restore", str(tmp_path / "site.backup"), "--yes")
    assert json.loads(invoke(copy, "stats", "--json"))["questions"] >= 40
