"""healthqa: a self-hosted consumer-health question-and-answer system.

The package is a library first; the command line (`healthqa.cli`) and the website
(`healthqa.web`) are thin layers over it. The two calls most programs need:

    import healthqa
    healthqa.ask("lower back pain since my IUD was put in, what should I do?")
    healthqa.triage("chest hurts and my left arm is numb")

The face is lazy: `import healthqa.triage` loads triage alone, and `healthqa.ask` loads the
answer engine on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ask", "triage"]

if TYPE_CHECKING:
    from healthqa.kb import ask
    from healthqa.triage import triage


def __getattr__(name: str) -> Any:
    """The face's names, imported on first use. `triage` is the triage package itself, which
    calls like the function (Python binds the package to that name once it is imported)."""
    if name == "ask":
        value = import_module("healthqa.kb").ask
    elif name == "triage":
        value = import_module("healthqa.triage")
    else:
        raise AttributeError(f"module 'healthqa' has no attribute {name!r}")
    globals()[name] = value
    return value
