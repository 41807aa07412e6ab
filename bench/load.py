"""Load benchmark: `make run`'s server (gunicorn.conf.py) under simultaneous sign-ins and a mixed
load, on SQLite or PostgreSQL, loopback only. Numbers go to stdout; nothing is asserted.

Run: .venv/bin/python bench/load.py [--database-url postgresql://...] [--seconds 60]

1. A fresh instance as `make run` builds it (migrate, vocabulary, demo data, index) plus 24
   confirmed accounts (production password hashing: scrypt, about 0.6 s a check).
2. gunicorn with the repository's gunicorn.conf.py (a worker per core, 4 threads each, the
   indexer beside it).
3. 24 sign-ins at once (each: GET /login for the CSRF token, then POST), then a mixed load with
   `--concurrency` clients for `--seconds`: 80% searches, 15% profile pages, 5% sign-ins.
   Per kind: requests, 5xx, req/s, p50/p95/p99 in ms.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import CSRF, Browser, free_port  # noqa: E402

from tests.lay_needs import DENSE_PLACES, LAY_NEEDS  # noqa: E402

FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "directory"]
PASSWORD = "lavender-table-stretch-42"


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples) or [0.0]

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    return at(0.50), at(0.95), at(0.99)


def _prepare(env: dict, count: int, accounts: int) -> list[str]:
    for args in (("db", "upgrade"), ("vocabulary", "sync"), ("demo", "load", "--count", str(count)),
                 ("search", "drain")):  # fmt: skip
        subprocess.run([*FLASK, *args], env=env, check=True, capture_output=True)
    emails = [f"bench{i}@example.com" for i in range(accounts)]
    script = f"""
from directory import create_app
from directory.accounts import passwords
from directory.accounts.models import User
from directory.db import db, now_utc
app = create_app()
with app.app_context():
    hashed = passwords.hash_password({PASSWORD!r})  # one hash for all: production settings
    for email in {emails!r}:
        db.session.add(User(email=email, name="Bench", password_hash=hashed,
                            email_verified_at=now_utc()))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
    return emails


def _wait_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready")


class Client(Browser):
    """One browser that signs in as a bench user."""

    def sign_in(self, email: str) -> int:
        self.jar.clear()
        status, page = self.request("/login")
        if status != 200:
            return status
        match = CSRF.search(page)
        form = {"email": email, "password": PASSWORD, "csrf_token": match.group(1) if match else ""}
        status, _ = self.request("/login", form)
        return status


def _simultaneous_sign_ins(base: str, emails: list[str]) -> dict:
    barrier = threading.Barrier(len(emails))
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(email: str) -> None:
        client = Client(base)
        barrier.wait()
        started = time.perf_counter()
        status = client.sign_in(email)
        with lock:
            results.append((status, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=one, args=(e,)) for e in emails]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [s for s, _ in results]
    return {
        "signed_in": statuses.count(302),
        "5xx": sum(s >= 500 for s in statuses),
        "other": sorted({s for s in statuses if s != 302}),
        "ms": _percentiles([ms for _, ms in results]),
    }


def _mixed(base: str, emails: list[str], slugs: list[str], seconds: float, concurrency: int):
    samples: dict[str, list[tuple[int, float]]] = {"search": [], "profile": [], "sign_in": []}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        client = Client(base)
        while time.monotonic() < stop_at:
            roll = rng.random()
            started = time.perf_counter()
            if roll < 0.80:
                kind = "search"
                query = {"q": rng.choice(LAY_NEEDS), "near": rng.choice(DENSE_PLACES)}
                status, _ = client.request("/search?" + urllib.parse.urlencode(query))
            elif roll < 0.95:
                kind = "profile"
                status, _ = client.request(f"/p/{rng.choice(slugs)}")
            else:
                kind = "sign_in"
                status = client.sign_in(rng.choice(emails))
            with lock:
                samples[kind].append((status, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--count", type=int, default=5000, help="demo practitioners")
    parser.add_argument("--accounts", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    env = {
        **os.environ,
        "DIRECTORY_INSTANCE_PATH": str(workdir / "instance"),
        "DIRECTORY_BIND": f"127.0.0.1:{port}",
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"# {database}, {args.count} demo practitioners, {os.cpu_count()} cores, in {workdir}")
    started = time.perf_counter()
    emails = _prepare(env, args.count, args.accounts)
    print(f"prepared in {time.perf_counter() - started:.0f} s")
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
         "directory:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server)
        with urllib.request.urlopen(f"{base}/api/v1/search?near=07030&per_page=50") as response:
            slugs = [r["slug"] for r in json.load(response)["results"]]
        burst = _simultaneous_sign_ins(base, emails)
        p50, p95, p99 = burst["ms"]
        print(
            f"{len(emails)} simultaneous sign-ins: {burst['signed_in']} signed in, "
            f"{burst['5xx']} x 5xx, other statuses {burst['other']}; "
            f"p50 {p50:.0f} / p95 {p95:.0f} / p99 {p99:.0f} ms"
        )
        samples = _mixed(base, emails, slugs, args.seconds, args.concurrency)
        print(f"mixed load, {args.concurrency} clients, {args.seconds:.0f} s:")
        print("| kind | requests | 5xx | req/s | p50 ms | p95 ms | p99 ms |")
        print("|---|---|---|---|---|---|---|")
        for kind, rows in samples.items():
            p50, p95, p99 = _percentiles([ms for _, ms in rows])
            errors = sum(status >= 500 for status, _ in rows)
            rate = len(rows) / args.seconds
            print(
                f"| {kind} | {len(rows)} | {errors} | {rate:.1f} "
                f"| {p50:.0f} | {p95:.0f} | {p99:.0f} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    locked = (workdir / "server.log").read_text().count("database is locked")
    print(f'"database is locked" in the server log: {locked}')


if __name__ == "__main__":
    main()
