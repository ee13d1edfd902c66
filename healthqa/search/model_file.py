"""`understand.npz`, the model file question understanding ships with, written by
`train_qtype.py`: the question-type model's weights (read by `qtype.py`) and a word list, the
words of MedQuAD's answers and the system dictionary, that says which words are English, hence
never "misspellings", and how common each word is (read by `focus.py`). Plain numpy arrays, no
pickle; read once per path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = Path(__file__).with_name("understand.npz")


class ModelFileError(Exception):
    """The shipped model file is missing or unreadable; retrain it with train_qtype."""


@cache
def read_model(path: Path = MODEL_FILE) -> dict[str, np.ndarray[Any, Any]]:
    """Every array of the model file in `path`, by name."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(
            f"{path}: cannot read the understanding model ({exc}); rebuild it with "
            "python -m healthqa.search.train_qtype --medquad MedQuAD-master.zip"
        ) from exc


def strings(array: np.ndarray[Any, Any]) -> list[str]:
    """A list of strings stored as one newline-joined UTF-8 byte array (no pickle needed)."""
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []
