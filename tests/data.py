"""The shared data sets (MedQuAD, LiveQA, Medical Question Pairs) beside the repository.

They live in ../shared/data, outside the repository; a test that needs one skips when it is
absent rather than downloading it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared(name: str) -> Path:
    """The path of the shared data set `name`; skips the calling test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared data sets")
    return path
