"""Batch files: `id<TAB>text` lines in, `id<TAB>level<TAB>flags` lines out."""

from __future__ import annotations

from pathlib import Path

from healthqa.triage.result import Triage


class TriageInputError(ValueError):
    """A line of a batch file is not `id<TAB>text` (the message names the file and line)."""


def read_batch(path: str | Path) -> list[tuple[str, str]]:
    """Read `id<TAB>text` lines, skipping blank lines, `#` comments and an `id<TAB>text` header."""
    source = Path(path)
    try:
        lines = source.read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise TriageInputError(f"{source}: cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise TriageInputError(f"{source}: not UTF-8 text") from error
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#") or line.lower() == "id\ttext":
            continue
        if "\t" not in line:
            raise TriageInputError(f"{source} line {number}: expected id<TAB>text")
        message_id, text = line.split("\t", 1)
        rows.append((message_id.strip(), text))
    return rows


def batch_line(message_id: str, result: Triage) -> str:
    """One output line: `id<TAB>level<TAB>flags`, flags as comma-separated rule ids."""
    return f"{message_id}\t{result.level.value}\t{','.join(f.rule for f in result.flags)}"
