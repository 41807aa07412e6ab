"""Does counting insights cost the pages it counts? A/B of two checkouts of the code (A without
insights, B with them), each served by gunicorn (gunicorn.conf.py, its indexer beside it) on its
own copy of one demo instance, at the same time. Numbers go to stdout; nothing is asserted.

Run: .venv/bin/python bench/insights_ab.py --a /tmp/base-code --b . \
         --instance-a /tmp/a-10k --instance-b /tmp/b-10k [--rounds 150] [--seconds 20]
     (copies of a demo instance, migrated by B: `flask db upgrade`; A's code is e.g.
     `git archive main | tar -x -C /tmp/base-code`)

1. Sequential, interleaved: in each round a results page and a profile page from A and from B,
   the order shuffled; p50 / p95 per page and code.
2. Concurrent: `--clients` clients for `--seconds` on A, then B, then A, then B (the mix:
   2 results pages to 1 profile); req/s and p95 of each phase. Meanwhile a probe takes
   SQLite's write lock (BEGIN IMMEDIATE, then COMMIT) every 50 ms on the instance under load:
   how long it waited for the lock (p95, max, and how many waits over 5 ms) is what the server's
   writers add.
3. The rows B counted (insight_count), to show it did count.
"""

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import free_port, percentile  # noqa: E402

from tests.lay_needs import DENSE_PLACES, LAY_NEEDS  # noqa: E402

#: A browser's user agent: the pages are counted as a person's.
HEADERS = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}


class Served:
    def __init__(self, label: str, code: Path, instance: Path, workers: int):
        self.label, self.instance = label, instance
        self.port = free_port()
        env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(instance),
               "DIRECTORY_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
               "FLASK_SESSION_COOKIE_SECURE": "false", "PYTHONUNBUFFERED": "1"}  # fmt: skip
        env.pop("DATABASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "directory:create_app()"],
            cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{label} did not start")

    def get(self, path: str) -> tuple[int, float]:
        import http.client

        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, (time.perf_counter() - started) * 1000

    def stop(self) -> None:
        self.process.send_signal(2)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def lock_probe(database: Path, stop: threading.Event, waits: list[float]) -> None:
    """Take and release SQLite's write lock every 50 ms; the ms each BEGIN IMMEDIATE waited."""
    conn = sqlite3.connect(database, isolation_level=None, timeout=30)
    while not stop.wait(0.05):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        waits.append((time.perf_counter() - started) * 1000)
        conn.execute("COMMIT")
    conn.close()


def load(server: Served, paths: list[str], clients: int, seconds: float):
    times: list[float] = []
    errors = [0]
    end = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < end:
            status, ms = server.get(rng.choice(paths))
            times.append(ms)
            if status >= 500:
                errors[0] += 1

    waits: list[float] = []
    stop = threading.Event()
    probe = threading.Thread(
        target=lock_probe, args=(server.instance / "directory.sqlite3", stop, waits)
    )
    probe.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    stop.set()
    probe.join()
    return len(times) / elapsed, percentile(times, 0.95), errors[0], waits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True)
    parser.add_argument("--b", type=Path, required=True)
    parser.add_argument("--instance-a", type=Path, required=True)
    parser.add_argument("--instance-b", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(7)
    searches = [
        "/search?" + urllib.parse.urlencode({"q": rng.choice(LAY_NEEDS),
                                             "near": rng.choice(DENSE_PLACES)})
        for _ in range(200)
    ]  # fmt: skip
    a = Served("A (without)", args.a, args.instance_a, args.workers)
    b = Served("B (insights)", args.b, args.instance_b, args.workers)
    try:
        import sqlite3 as _sq

        with _sq.connect(args.instance_b / "directory.sqlite3") as conn:
            slugs = [r[0] for r in conn.execute(
                "SELECT slug FROM practitioner WHERE published ORDER BY id LIMIT 300")]  # fmt: skip
        profiles = [f"/p/{s}" for s in slugs]
        for server in (a, b):  # every page once: templates compiled, caches filled
            for path in searches[:20] + profiles[:20]:
                server.get(path)
        samples = {(s.label, kind): [] for s in (a, b) for kind in ("search", "profile")}
        for i in range(args.rounds):
            order = [(s, kind) for s in (a, b) for kind in ("search", "profile")]
            rng.shuffle(order)
            for server, kind in order:
                path = (
                    searches[i % len(searches)] if kind == "search" else profiles[i % len(profiles)]
                )
                status, ms = server.get(path)
                assert status in (200, 404), (server.label, path, status)
                samples[server.label, kind].append(ms)
        print(f"## Sequential, {args.rounds} rounds interleaved (ms, p50 / p95)\n")
        print("| page | A (without) | B (insights) |\n|---|---|---|")
        for kind in ("search", "profile"):
            cells = [
                f"{percentile(samples[s.label, kind], 0.5):.1f} / "
                f"{percentile(samples[s.label, kind], 0.95):.1f}"
                for s in (a, b)
            ]
            print(f"| {kind} | {cells[0]} | {cells[1]} |")
        mix = searches * 2 + profiles[:200]
        print(f"\n## Concurrent: {args.clients} clients, {args.seconds:.0f} s per phase, "
              "A B A B\n")  # fmt: skip
        print("| phase | req/s | p95 ms | 5xx | lock probe p95 / max ms | waits > 5 ms |")
        print("|---|---|---|---|---|---|")
        for server in (a, b, a, b):
            rate, p95, errors, waits = load(server, mix, args.clients, args.seconds)
            slow = sum(1 for w in waits if w > 5)
            print(
                f"| {server.label} | {rate:.1f} | {p95:.0f} | {errors} | "
                f"{percentile(waits, 0.95):.2f} / {max(waits):.1f} | {slow} of {len(waits)} |"
            )
        time.sleep(6)  # one more flush
        with sqlite3.connect(args.instance_b / "directory.sqlite3") as conn:
            rows, total = conn.execute(
                "SELECT count(*), coalesce(sum(n), 0) FROM insight_count"
            ).fetchone()
        print(f"\nB counted {total} views and appearances in {rows} rows.")
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    main()
