"""Benchmark: `import-lieux` of a national-size file (about 2,700 places), time and peak memory.

Budget (DESIGN.md section 7): import of a 2,700-place national file ≤ 5 s on a 2-core machine.
The file is made by repeating the real Vienne records (cartography 2022 + France Services, both
read and normalised once) with varied ids, names and coordinates, written in the national
standard's CSV. The import runs in-process against a fresh database: SQLite by default, or the
PostgreSQL given by --database-url (its tables are dropped and re-created).

    .venv/bin/python -m bench.import_lieux [--count 2700] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.common import fresh_app
from inclusion_app.extensions import db
from inclusion_app.lieux.formats import read_lieux
from inclusion_app.lieux.importer import ImportReport, import_lieux
from inclusion_app.lieux.standard import FIELD_NAMES, to_standard_row
from inclusion_app.seed import DEMO_LIEUX


def make_file(path: Path, count: int, seed: int = 86) -> None:
    """Write `count` varied copies of the real records as a standard CSV at `path`."""
    rng = random.Random(seed)
    records = [row.record for source in DEMO_LIEUX for row in read_lieux(source) if row.record is not None]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELD_NAMES))
        writer.writeheader()
        for number in range(count):
            record = dict(records[number % len(records)])
            record["id"] = f"bench-{number:05d}"
            record["nom"] = f"{record['nom']} n°{number}"
            record["adresse"] = f"{number} {record.get('adresse') or 'rue du Bench'}"
            if record.get("latitude") is not None:
                record["latitude"] = round(record["latitude"] + rng.uniform(-0.3, 0.3), 6)
                record["longitude"] = round(record["longitude"] + rng.uniform(-0.3, 0.3), 6)
            writer.writerow(to_standard_row(record))



def timed_import(app, path: Path, trace_memory: bool) -> tuple[float, int, ImportReport]:  # noqa: ANN001
    """(seconds, peak bytes allocated by Python during the import or 0, report)."""
    with app.app_context():
        if trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        report = import_lieux(path, "auto", path.name)
        db.session.commit()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
        if trace_memory:
            tracemalloc.stop()
        db.session.remove()
    return elapsed, peak, report


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2700)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lieux-bench.csv"
        make_file(path, args.count)
        size = path.stat().st_size
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = url.split(":", 1)[0]
        app = fresh_app(url)
        first, _, report = timed_import(app, path, trace_memory=False)
        second, _, again = timed_import(app, path, trace_memory=False)
        app = fresh_app(url)
        _, peak, _ = timed_import(app, path, trace_memory=True)
    print(f"import-lieux benchmark, {args.count} places, {size / 1024:.0f} KB, {engine}")
    print(f"  first import   : {first:6.2f} s  ({report.created} created, {report.rejected} rejected, "
          f"{report.duplicates_flagged} duplicates flagged)   budget 5 s")
    print(f"  second import  : {second:6.2f} s  ({again.unchanged} unchanged, {again.updated} updated)")
    print(f"  peak memory    : {peak / 2**20:6.1f} MiB allocated by Python during the import (tracemalloc)")
    print(f"  process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
