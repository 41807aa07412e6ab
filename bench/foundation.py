"""Benchmarks for the foundation: place resolution, vocabulary lookup, demo load, export/import.

Run: .venv/bin/python bench/foundation.py [--count N]   (numbers go to stdout; nothing asserted)
"""

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path


def _timings(fn, inputs, repeat):
    samples = []
    for _ in range(repeat):
        for value in inputs:
            start = time.perf_counter()
            with contextlib.suppress(ValueError):
                fn(value)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_places():
    from directory import geo

    start = time.perf_counter()
    geo.preload()
    print(f"geo: index build {time.perf_counter() - start:.2f} s")
    good = ["Hoboken, NJ", "07030", "new york ny", "New Jersey", "Springfield, IL", "Brooklyn"]
    typos = ["Hobokn", "Sacremento", "Hoboken, NY", "san fransisco ca", "Hoboken, New Jersy"]
    p50, p95 = _timings(geo.resolve, good, 200)
    print(f"geo: resolve p50 {p50:.3f} ms  p95 {p95:.3f} ms")
    p50, p95 = _timings(geo.resolve, typos, 20)
    print(f"geo: typo suggestions p50 {p50:.2f} ms  p95 {p95:.2f} ms")


def bench_vocabulary():
    from directory import vocabulary

    vocabulary.lookup("warm up")
    texts = ["Slipped-Disc", "adhesive capsulitis", "deep tisue", "basket weaving"]
    p50, p95 = _timings(vocabulary.lookup, texts, 500)
    print(f"vocabulary: lookup p50 {p50:.4f} ms  p95 {p95:.4f} ms")


def bench_demo_and_transfer(count: int):
    workdir = Path(tempfile.mkdtemp(prefix="bench-foundation-"))
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(workdir)
    from directory import create_app
    from directory.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}"})
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
    for label, args in (
        (f"demo load --count {count}", ["demo", "load", "--count", str(count)]),
        ("practitioners export", ["practitioners", "export", str(workdir / "out.jsonl")]),
        (
            "practitioners import (all updates)",
            ["practitioners", "import", str(workdir / "out.jsonl")],
        ),
    ):
        start = time.perf_counter()
        result = runner.invoke(args=args)
        elapsed = time.perf_counter() - start
        status = "ok" if result.exit_code == 0 else f"exit {result.exit_code}"
        print(f"{label}: {elapsed:.1f} s ({count / elapsed:.0f} practitioners/s) {status}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    bench_places()
    bench_vocabulary()
    bench_demo_and_transfer(args.count)


if __name__ == "__main__":
    main()
