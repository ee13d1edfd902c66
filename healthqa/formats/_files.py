"""What every reader here does first: read the file, or say which file cannot be read."""

from __future__ import annotations

from pathlib import Path


def file_bytes(path: Path, error: type[ValueError]) -> bytes:
    """The bytes of `path`; a file that cannot be read raises `error`, naming it and why."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from exc
