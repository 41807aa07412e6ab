"""Search benchmark: rebuild, cold start of new workers, latency over HTTP, a plain SQLite FTS5
baseline, edit to searchable.

Run: .venv/bin/python bench/search.py --count 100000   (numbers go to stdout; nothing asserted)
     .venv/bin/python bench/search.py --workdir DIR --cold-only   (an instance built before:
     only its cold start and memory)

1. A fresh instance (SQLite) under a temporary folder, built as `make run` builds it: migrate,
   vocabulary, seeded demo data; then `search rebuild`, timed (docs/s, index size).
2. The app served as `make run` serves it: gunicorn with gunicorn.conf.py (`--workers`, default
   its own: one per core) and the indexer beside it. Cold start: `--restarts` times, every worker
   is replaced (HUP, as `systemctl reload` does) and, once the new ones answer /healthz, the
   first search over the API and the first results page are timed (p50/max), with how long the
   replacement took (HUP to /healthz) and each worker's memory (RSS, PSS, USS from
   /proc/PID/smaps_rollup).
3. `--queries` mixed requests over HTTP after a warm-up: the 30 lay needs of DOMAIN.md, "", spa
   needs; dense places (Hoboken, Manhattan, Brooklyn, Jersey City) and sparse ones; radius 10 and
   25. p50/p95/p99, candidates per query, truncated answers and the workers' memory.
4. The same requests answered by a plain SQLite FTS5 baseline over the same data (text match +
   bounding box + exact radius + setting counts, in-process), and the ratio of the p95s.
5. Edit to searchable: a headline changed in the database, polled for over HTTP.
"""

import argparse
import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import Server  # noqa: E402

from tests.lay_needs import (  # noqa: E402
    DENSE_PLACES,
    LAY_NEEDS,
    OTHER_NEEDS,
    SPARSE_PLACES,
)

FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "directory"]


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    return at(0.50), at(0.95), at(0.99)


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([*FLASK, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _requests(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    needs = [*LAY_NEEDS, *OTHER_NEEDS]
    # Dense places weigh as much as all the sparse ones: they are where the time goes.
    places = [*DENSE_PLACES, *DENSE_PLACES, *SPARSE_PLACES]
    chosen = []
    for _ in range(count):
        params = {"q": rng.choice(needs), "near": rng.choice(places)}
        if params["near"] != "NJ":
            params["radius"] = rng.choice((10, 25))
        chosen.append(params)
    return chosen


def _memory_line(server: Server) -> str:
    rows = server.memory_mb()
    each = ", ".join(f"RSS {m['rss']:.0f} / PSS {m['pss']:.0f} / USS {m['uss']:.0f}" for m in rows)
    total = sum(m["pss"] for m in rows)
    return f"{len(rows)} worker(s), MB: {each}; PSS total {total:.0f} MB"


def _cold_start(server: Server, restarts: int) -> None:
    """Every worker replaced `restarts` times; the first API search and the first results page
    of the new workers timed."""
    replace, api, page, again = [], [], [], []
    for i in range(restarts):
        replace.append(server.replace_workers() * 1000)
        search = COLD_SEARCHES[i % len(COLD_SEARCHES)]
        status, _body, elapsed = server.get("/api/v1/search", search)
        assert status == 200, status
        api.append(elapsed)
        status, _body, elapsed = server.get("/search", COLD_PAGES[i % len(COLD_PAGES)])
        assert status == 200, status
        page.append(elapsed)
        again.append(server.get("/api/v1/search", search)[2])

    def line(samples):
        return f"p50 {statistics.median(samples):.0f} ms, max {max(samples):.0f} ms"

    print(f"cold start over {restarts} worker replacements (HUP):")
    print(f"  HUP to the new workers answering: {line(replace)}")
    print(f"  first API search of new workers: {line(api)}")
    print(f"  the same search again (what it costs warm): {line(again)}")
    print(f"  first results page of new workers: {line(page)}")
    print(f"  memory after: {_memory_line(server)}")


#: First searches of new workers: needs and places their warm-up did not ask for.
COLD_SEARCHES = [
    {"q": "sciatica", "near": "07030"},
    {"q": "frozen shoulder", "near": "Brooklyn, NY", "radius": 25},
    {"q": "relaxing gift", "near": "Chicago, IL"},
]
COLD_PAGES = [
    {"q": "knee pain", "near": "Jersey City, NJ"},
    {"q": "migraine", "near": "Austin, TX"},
    {"q": "tennis elbow", "near": "Manhattan"},
]


class Fts5Baseline:
    """Plain SQLite FTS5 over the same practitioners: text match, bbox, exact radius, settings."""

    def __init__(self, database: Path, workdir: Path):
        path = workdir / "fts5.sqlite3"
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute(f"ATTACH DATABASE '{database}' AS src")
        self.db.executescript(
            """
            CREATE TABLE doc(id INTEGER PRIMARY KEY, setting TEXT);
            CREATE VIRTUAL TABLE doc_text USING fts5(name, headline, bio, tags,
                tokenize='porter unicode61');
            CREATE TABLE place(doc INTEGER, lat REAL, lon REAL);
            INSERT INTO doc SELECT p.id, p.setting FROM src.practitioner p
                JOIN src.tenant t ON t.id = p.tenant_id
                WHERE p.published AND NOT p.suspended AND t.status = 'active';
            INSERT INTO doc_text(rowid, name, headline, bio, tags)
                SELECT p.id, p.name, p.headline, p.bio,
                    coalesce((SELECT group_concat(c.name, ' | ') FROM src.practitioner_condition pc
                              JOIN src.condition c ON c.id = pc.condition_id
                              WHERE pc.practitioner_id = p.id), '') || ' | ' ||
                    coalesce((SELECT group_concat(m.name, ' | ') FROM src.practitioner_modality pm
                              JOIN src.modality m ON m.id = pm.modality_id
                              WHERE pm.practitioner_id = p.id), '')
                FROM src.practitioner p WHERE p.id IN (SELECT id FROM doc);
            INSERT INTO place SELECT o.practitioner_id, o.lat, o.lon FROM src.office o
                WHERE o.practitioner_id IN (SELECT id FROM doc);
            CREATE INDEX place_lat_lon ON place(lat, lon);
            INSERT INTO doc_text(doc_text) VALUES ('optimize');
            """
        )
        self.db.commit()
        self.db.execute("DETACH DATABASE src")

    def search(self, q: str, lat: float | None, lon: float | None, radius: float | None):
        words = [w for w in re.findall(r"[a-z0-9]+", q.lower()) if len(w) > 2]
        match = " OR ".join(f'"{w}"' for w in words)
        if lat is None:
            sql = "SELECT d.id, d.setting FROM doc d"
            args: list = []
            if match:
                sql += " JOIN doc_text ON doc_text.rowid = d.id WHERE doc_text MATCH ?"
                args.append(match)
            rows = [(pid, setting, None) for pid, setting in self.db.execute(sql, args)]
        else:
            dlat = radius / 69.0
            dlon = radius / (69.0 * max(math.cos(math.radians(lat)), 1e-6))
            sql = (
                "SELECT d.id, d.setting, p.lat, p.lon FROM place p JOIN doc d ON d.id = p.doc"
                " WHERE p.lat BETWEEN ? AND ? AND p.lon BETWEEN ? AND ?"
            )
            args = [lat - dlat, lat + dlat, lon - dlon, lon + dlon]
            if match:
                sql += " AND d.id IN (SELECT rowid FROM doc_text WHERE doc_text MATCH ?)"
                args.append(match)
            rows = []
            for pid, setting, plat, plon in self.db.execute(sql, args):
                d = _haversine(lat, lon, plat, plon)
                if d <= radius:
                    rows.append((pid, setting, d))
        best: dict[int, tuple] = {}
        for pid, setting, d in rows:
            if pid not in best or (d is not None and d < best[pid][1]):
                best[pid] = (setting, d)
        settings: dict[str, int] = {}
        for setting, _d in best.values():
            settings[setting] = settings.get(setting, 0) + 1
        return len(best), settings


def _haversine(lat1, lon1, lat2, lon2) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 3958.8 * math.asin(min(1.0, math.sqrt(h)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="demo practitioners")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--queries", type=int, default=200, help="timed requests")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--workdir", type=Path, help="reuse (or keep) this instance folder")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config's)")
    parser.add_argument("--restarts", type=int, default=5, help="cold starts timed")
    parser.add_argument(
        "--cold-only", action="store_true", help="only cold start and memory (no rebuild)"
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "directory.sqlite3"
    env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(workdir), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    print(f"instance: {workdir}")

    if not database.exists():
        started = time.perf_counter()
        _flask(env, "db", "upgrade")
        _flask(env, "vocabulary", "sync")
        _flask(env, "demo", "load", "--count", str(args.count), "--seed", str(args.seed))
        print(f"demo load {args.count}: {time.perf_counter() - started:.1f} s")
    if not args.cold_only:
        started = time.perf_counter()
        output = _flask(env, "search", "rebuild")
        rebuild = time.perf_counter() - started
        indexed = int(re.search(r"Indexed (\d+)", output).group(1))
        live = (workdir / "search" / "current").resolve()
        size = sum(f.stat().st_size for f in live.iterdir() if f.is_file())
        print(
            f"rebuild: {rebuild:.1f} s for {indexed} documents ({indexed / rebuild:.0f} docs/s, "
            f"including start-up), index {size / 1e6:.0f} MB"
        )

    requests = _requests(args.queries, args.seed)
    started = time.perf_counter()
    server = Server(env, args.port, args.workers)
    print(f"server started in {time.perf_counter() - started:.1f} s; {_memory_line(server)}")
    try:
        _cold_start(server, args.restarts)
        if args.cold_only:
            return
        for params in {json.dumps(p, sort_keys=True) for p in requests}:
            server.get("/api/v1/search", json.loads(params))
        samples, truncated, errors = [], 0, 0
        for params in requests:
            status, body, elapsed = server.get("/api/v1/search", params)
            samples.append(elapsed)
            errors += status != 200
            truncated += bool(body and body.get("truncated"))
        p50, p95, p99 = _percentiles(samples)
        memory = _memory_line(server)
        print(
            f"API over HTTP, {len(samples)} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"p99 {p99:.1f} ms, max {max(samples):.1f} ms; errors {errors}, truncated {truncated}"
        )
        print(f"memory after the run: {memory}")
        candidates = _candidates(env, requests)
        c50, c95, _c99 = _percentiles(candidates)
        print(f"candidates per query (matching need and place): p50 {c50:.0f}, p95 {c95:.0f}")
        edits = _edit_latency(env, server)
        print(
            f"edit to searchable over HTTP: median {statistics.median(edits):.0f} ms, "
            f"max {max(edits):.0f} ms ({len(edits)} edits)"
        )
    finally:
        server.stop()

    started = time.perf_counter()
    baseline = Fts5Baseline(database, workdir)
    print(f"FTS5 baseline built in {time.perf_counter() - started:.1f} s")
    places = _places(requests)
    fts = []
    for params in requests:  # warm-up, then timed
        baseline.search(params["q"], *places[params["near"]], params.get("radius", 10))
    for params in requests:
        lat, lon = places[params["near"]]
        radius = params.get("radius", 10) if lat is not None else None
        started = time.perf_counter()
        baseline.search(params["q"], lat, lon, radius)
        fts.append((time.perf_counter() - started) * 1000)
    f50, f95, f99 = _percentiles(fts)
    print(f"FTS5 baseline (in-process): p50 {f50:.1f} ms, p95 {f95:.1f} ms, p99 {f99:.1f} ms")
    print(f"p95 ratio, API over HTTP / FTS5: {p95 / f95:.2f}")


def _places(requests: list[dict]) -> dict:
    from directory import geo

    places = {}
    for near in {p["near"] for p in requests}:
        place = geo.resolve(near)
        places[near] = (None, None) if place.kind == "state" else (place.lat, place.lon)
    return places


def _app(env: dict):
    os.environ["DIRECTORY_INSTANCE_PATH"] = env["DIRECTORY_INSTANCE_PATH"]
    from directory import create_app

    return create_app()


def _candidates(env: dict, requests: list[dict]) -> list[int]:
    """How many documents each request's need and place matched (in-process, same index)."""
    from werkzeug.datastructures import MultiDict

    from directory.search import results
    from directory.search.params import parse

    app = _app(env)
    counts = []
    with app.test_request_context():
        for params in requests:
            outcome = results.search(parse(MultiDict({k: str(v) for k, v in params.items()})))
            counts.append(outcome.candidates)
    return counts


def _edit_latency(env: dict, server: Server, edits: int = 5) -> list[float]:
    from sqlalchemy import select

    from directory.db import db
    from directory.practitioners.models import Practitioner

    app = _app(env)
    latencies = []
    # Practitioners listed right now (so an edit can show), found the way a client finds them.
    _status, body, _ms = server.get("/api/v1/search", {"q": "", "near": "Chicago, IL"})
    with app.app_context():
        for i, hit in enumerate(body["results"][:edits]):
            word = f"zqxbench{i}{int(time.time())}"
            row = db.session.scalar(select(Practitioner).where(Practitioner.slug == hit["slug"]))
            row.headline = f"{row.headline[:100]} {word}"
            db.session.commit()
            started = time.perf_counter()
            while time.perf_counter() - started < 30:
                _status, found, _ms = server.get(
                    "/api/v1/search", {"q": word, "near": hit["office"]["zip"]}
                )
                if found and found.get("total"):
                    break
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


if __name__ == "__main__":
    main()
