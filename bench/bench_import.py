"""Import figures on the whole MedQuAD archive: SQLite and PostgreSQL, first run and re-run.

    python bench/bench_import.py [--zip PATH] [--skip-postgres]

Each phase runs in a fresh child process so its peak memory (max RSS) is its own. The
reference is parsing the archive alone (no database) in the same run: the ratio shows what
storing costs on top of reading.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_ZIP = ROOT.parent / "shared" / "data" / "MedQuAD-master.zip"


def _phase(kind: str, url: str, zip_path: str, queue: Any) -> None:
    from healthqa.ingest.medquad import import_medquad, read
    from healthqa.kb import open_kb

    start = time.perf_counter()
    if kind == "parse":
        records, _ = read(Path(zip_path))
        result: dict[str, Any] = {"records": len(records)}
    else:
        engine = open_kb(url)
        start = time.perf_counter()  # schema creation is not part of the import
        summary = import_medquad(engine, zip_path)
        result = summary.to_dict()
        result.pop("rejections")
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(result)


def run(kind: str, url: str, zip_path: Path) -> dict[str, Any]:
    queue: Any = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=_phase, args=(kind, url, str(zip_path), queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def report(name: str, r: dict[str, Any], reference: float) -> None:
    counts = (
        f"added {r.get('added', '-'):>6} updated {r.get('updated', '-'):>3} "
        f"unchanged {r.get('unchanged', '-'):>6} rejected {r.get('rejected', '-')}"
        if "added" in r
        else f"records {r['records']}"
    )
    print(
        f"{name:<28} {r['seconds']:7.2f} s  x{r['seconds'] / reference:5.2f} of parse  "
        f"peak {r['peak_mb']:6.0f} MB  {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.zip.exists():
        sys.exit(f"skipped: {args.zip} is absent (the shared MedQuAD archive)")

    parse = run("parse", "", args.zip)
    report("parse only (reference)", parse, parse["seconds"])
    results = {"parse": parse}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        for name in ("sqlite import", "sqlite re-import"):
            results[name] = run("import", url, args.zip)
            report(name, results[name], parse["seconds"])
    if not args.skip_postgres:
        from tests.pg import create_database, throwaway_postgres

        with throwaway_postgres() as admin:
            url = create_database(admin, "bench")
            for name in ("postgresql import", "postgresql re-import"):
                results[name] = run("import", url, args.zip)
                report(name, results[name], parse["seconds"])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
