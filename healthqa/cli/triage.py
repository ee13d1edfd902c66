"""Commands of triage: one message or a batch file, and its evaluation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from healthqa.cli._shared import (
    JsonOption,
    app,
    err,
    eval_app,
    out,
    show_result,
)
from healthqa.config import load_settings
from healthqa.formats.batch import BatchFileError, read_batch
from healthqa.triage import MessageError, Triage, batch_line, triage
from healthqa.triage import evaluate as triage_evaluate


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
        _triage_batch(batch, out_file, country or load_settings().country, as_json)
        return
    assert text is not None
    country = country or load_settings().country
    try:
        result = triage(text, country)
    except MessageError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    show_result(result, as_json, _print_triage)


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
    except BatchFileError as exc:
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
    """Triage on the blind sets (dev, two frozen tests), LiveQA, the team set, and the Spanish
    and Chinese blind sets (dev, frozen test), by family."""
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
            name: r.to_dict(with_misses=not triage_evaluate.is_test(name) or show_test_misses)
            for name, r in reports.items()
        }
        print(json.dumps(shown, indent=2))
    else:
        for name, report in reports.items():
            misses = not triage_evaluate.is_test(name) or show_test_misses
            _print_triage_report(report, misses=misses)
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
