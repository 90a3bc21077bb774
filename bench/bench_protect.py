"""Time disclosure control: protecting tables of about 100, 1,000 and 10,000 cells (2 and 3 dimensions),
and a full release (decrypt, tabulate, protect, write files) for 12,000 and 200,000 synthetic responses.

Run from the repository root:  .venv/bin/python bench/bench_protect.py [--skip-release]
(`make bench` runs it in full.) Each line says whether the exact program found the cheapest
pattern within its budget ("optimal") or the hypercube heuristic finished the job ("hypercube").
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregation import Dimension, Rules, build_table, protect  # noqa: E402

SHAPES = {  # (dimension sizes) -> cells including margins
    "2d ~100": (9, 9),
    "2d ~1,000": (30, 31),
    "2d ~10,000": (99, 100),
    "3d ~100": (4, 4, 4),
    "3d ~1,000": (9, 9, 9),
    "3d ~10,000": (20, 21, 22),
}


def synthetic_table(sizes: tuple[int, ...], rng: np.random.Generator):
    dimensions = [Dimension.flat(f"d{i}", [f"c{j}" for j in range(n)]) for i, n in enumerate(sizes)]
    inner = {}
    for key in itertools.product(*(d.leaves for d in dimensions)):
        # Mostly comfortable counts, with some small and some empty cells, as in survey tables.
        inner[key] = int(rng.choice([0, 1, 2, 3, 4]) if rng.random() < 0.08 else rng.integers(5, 60))
    return build_table("bench", dimensions, inner)


def bench_tables() -> None:
    rng = np.random.default_rng(7)
    for label, sizes in SHAPES.items():
        table = synthetic_table(sizes, rng)
        start = time.perf_counter()
        protection = protect([table], Rules())
        seconds = time.perf_counter() - start
        cells = protection.tables[0].cells.values()
        statuses = {s: sum(c.status == s for c in cells) for s in ("primary", "group", "secondary")}
        print(f"protect {label:>11}: {len(table.keys):6d} cells in {seconds:7.2f} s  "
              f"({statuses['primary']} primary, {statuses['group']} group, {statuses['secondary']} secondary, "
              f"{protection.rounds} rounds, {protection.method})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-release", action="store_true")
    args = parser.parse_args()
    bench_tables()
    if not args.skip_release:
        from bench_release import bench_releases  # noqa: PLC0415

        bench_releases([12_000, 200_000])


if __name__ == "__main__":
    main()
