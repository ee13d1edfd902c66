"""Batch files: one `id<TAB>text` line per query or message, read by `healthqa ask --batch`
(which writes a TREC run) and `healthqa triage --batch` (which writes one level per line).

The file is UTF-8, with or without a byte-order mark. Blank lines, `#` comments and a header
(`id<TAB>text`, or `qid<TAB>text` as IR toolkits name it) are skipped. The id is one word: a TREC
run separates its fields by spaces. The text is everything after the first tab.
"""

from __future__ import annotations

from pathlib import Path

from healthqa.formats._files import file_bytes

HEADERS = {"id\ttext", "qid\ttext"}


class BatchFileError(ValueError):
    """A batch file cannot be read or a line of it is not `id<TAB>text`; the message names the
    file, and the line when there is one."""


def read_batch(path: str | Path) -> list[tuple[str, str]]:
    """The (id, text) pairs of a batch file, in the file's order."""
    source = Path(path)
    rows = [
        _row(source, number, line)
        for number, line in enumerate(_lines(source), 1)
        if line.strip() and not line.lstrip().startswith("#") and line.lower() not in HEADERS
    ]
    if not rows:
        raise BatchFileError(f"{source}: no id<TAB>text lines")
    return rows


def _lines(source: Path) -> list[str]:
    data = file_bytes(source, BatchFileError)
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        number = data.count(b"\n", 0, error.start) + 1
        raise BatchFileError(f"{source}:{number}: not UTF-8 text") from error


def _row(source: Path, number: int, line: str) -> tuple[str, str]:
    message_id, tab, text = line.partition("\t")
    message_id = message_id.strip()
    if not tab:
        raise BatchFileError(f"{source}:{number}: expected id<TAB>text; line {number} has no tab")
    if not text.strip():
        raise BatchFileError(f"{source}:{number}: the text after the tab is empty")
    if not message_id:
        raise BatchFileError(f"{source}:{number}: the id before the tab is empty")
    if any(c.isspace() for c in message_id):
        raise BatchFileError(f"{source}:{number}: the id {message_id!r} contains spaces")
    return message_id, text
