"""Search benchmark: index build, query latency (p50/p95), a one-row drain.

Run: .venv/bin/python bench/search.py [--count N]   (numbers go to stdout; nothing asserted)
A fresh SQLite database and index under a temporary folder; demo data as the corpus.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

QUERIES = [
    ("sciatica", "Hoboken, NJ"),
    ("slipped disc", "07030"),
    ("relaxing gift massage for my wife", "New York, NY"),
    ("shooting pain down the back of my leg", "Jersey City, NJ"),
    ("numb fingers when typing", "Brooklyn, NY"),
    ("swelling after liposuction", "Hoboken, NJ"),
    ("hot stone", "Los Angeles, CA"),
    ("deep tissue", "Chicago, IL"),
    ("massage", "NJ"),
    ("", "Hoboken, NJ"),
    ("sciatica", ""),
    ("*a* name:x [a TO z]", "Hoboken, NJ"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(workdir)
    from directory import create_app
    from directory.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}"})
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
    runner.invoke(args=["demo", "load", "--count", str(args.count)])
    start = time.perf_counter()
    result = runner.invoke(args=["search", "rebuild"])
    build = time.perf_counter() - start
    print(
        f"rebuild {args.count}: {build:.1f} s ({args.count / build:.0f}/s) {result.output.strip()}"
    )
    size = sum(f.stat().st_size for f in (workdir / "search").rglob("*") if f.is_file())
    print(f"index size: {size / 1e6:.1f} MB")

    client = app.test_client()
    client.get("/api/v1/search", query_string={"q": "warm up", "near": "07030"})
    samples, totals = [], {}
    for _ in range(args.repeat):
        for q, near in QUERIES:
            t = time.perf_counter()
            response = client.get("/api/v1/search", query_string={"q": q, "near": near})
            samples.append((time.perf_counter() - t) * 1000)
            totals[(q, near)] = response.json.get("total")
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"API search (test client): p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms")
    for (q, near), total in totals.items():
        print(f"  {q[:40]!r:44} near {near!r:18} total {total}")

    with app.app_context():
        from sqlalchemy import select

        from directory.practitioners.models import Practitioner
        from directory.search import sync

        p = db.session.scalar(select(Practitioner).where(Practitioner.published.is_(True)))
        p.headline = "edited for the benchmark"
        db.session.commit()
        t = time.perf_counter()
        sync.drain()
        print(f"drain of one edit: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
