"""Every public page at scale: the same pages of two or more demo instances (10k, 100k, 400k
profiles...) served as `make run` serves them, side by side. Numbers go to stdout (markdown);
nothing is asserted.

Run: .venv/bin/python bench/pages.py --instance 10k=/tmp/demo-10k --instance 100k=/tmp/demo-100k
     (instances built with `flask db upgrade; vocabulary sync; demo load --count N;
     search rebuild`, see README "Performance"; they are served, so they are written to: give
     it copies of instances you want to keep as they were)

1. Each instance is served at once by gunicorn with gunicorn.conf.py (a worker per core, the
   indexer beside it) on its own loopback port, and warmed (every page below once) once its
   indexer has written the sitemaps' plan and files, as a site serves them from then on.
2. Sequential: `--rounds` rounds; in each, every page kind is fetched once from every instance,
   the instances in a shuffled order (A/B interleaving: a busy moment of the box falls on all of
   them alike). p50/p95/p99 per page and instance, and the p95 growth from the first instance to
   the last.
3. Concurrent, one instance at a time (the others idle): `--concurrency` clients for
   `--seconds` with a mixed load (MIX) while a crawler walks the sitemap index and every child
   sitemap, again and again. req/s, 5xx, p50/p95/p99 and the longest wait of the clients'
   requests (the crawler's are reported apart), then RSS/PSS/USS of each worker.
"""

import argparse
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import Server, free_port, percentile  # noqa: E402

from tests.lay_needs import DENSE_PLACES, LAY_NEEDS  # noqa: E402

LOC = re.compile(r"<loc>([^<]+)</loc>")
#: The page kinds, in the table's order.
KINDS = (
    "home", "landing state", "landing city", "landing city x need", "search (HTML)",
    "search (API)", "profile /p/", "listing /p/", "practice /t/", "hsds services",
    "hsds services deep",
    "sitemap index", "child sitemap",
)  # fmt: skip
#: Share of each kind in the concurrent mix (sitemaps come from the crawler).
MIX = {
    "search (HTML)": 0.45, "search (API)": 0.10, "profile /p/": 0.15, "practice /t/": 0.05,
    "home": 0.05, "landing state": 0.03, "landing city": 0.05, "landing city x need": 0.04,
    "hsds services": 0.04, "hsds services deep": 0.04,
}  # fmt: skip


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def search_paths() -> dict[str, list[str]]:
    """The searches sampled: 200 lay needs in dense places, as the page and as the API."""
    rng = random.Random(7)
    searches = [{"q": rng.choice(LAY_NEEDS), "near": rng.choice(DENSE_PLACES)} for _ in range(200)]
    encoded = [urllib.parse.urlencode(q) for q in searches]
    return {
        "search (HTML)": [f"/search?{q}" for q in encoded],
        "search (API)": [f"/api/v1/search?{q}" for q in encoded],
    }


def discover(text, get) -> tuple[dict[str, list[str]], list[str]]:
    """Paths of every kind read off a site, and the crawler's walk: `text(path)` is a page's
    body, `get(path, **params)` an API answer's JSON (served over HTTP, or a test client)."""
    paths: dict[str, list[str]] = {}
    index = [_path(u) for u in LOC.findall(text("/sitemap.xml"))]
    landing = [_path(u) for u in LOC.findall(text(index[-1]))]
    depth = {1: "landing state", 2: "landing city", 3: "landing city x need"}
    for path in landing:
        kind = depth.get(path.strip("/").count("/"))
        if kind:
            paths.setdefault(kind, []).append(path)
    practices = [p for p in index if "/practices-" in p][:1]
    paths["practice /t/"] = [_path(u) for u in LOC.findall(text(practices[0]))][:200]
    found = get("/api/v1/search", near="07030", per_page=50)
    paths["profile /p/"] = [f"/p/{r['slug']}" for r in found["results"] if r["claimed"]]
    # Unclaimed listings from public records (listings seed) all belong to one practice.
    records = get("/api/v1/search", tenant="public-records", per_page=50).get("results", [])
    if records:
        paths["listing /p/"] = [f"/p/{r['slug']}" for r in records]
    paths.update(search_paths())
    paths["home"] = ["/"]
    pages = get("/hsds/services")["total_pages"]
    paths["hsds services"] = ["/hsds/services"]
    paths["hsds services deep"] = [
        f"/hsds/services?page={n}" for n in range(max(1, pages // 2), pages + 1)
    ]
    paths["sitemap index"] = ["/sitemap.xml"]
    paths["child sitemap"] = [p for p in index if "/profiles-" in p]
    return paths, ["/robots.txt", "/sitemap.xml", *index]


class Instance:
    """One served demo instance and the paths of each page kind found on it."""

    def __init__(self, label: str, folder: Path):
        self.label, self.folder = label, folder
        env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(folder), "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)
        self.server = Server(env, free_port())
        self.paths: dict[str, list[str]] = {}

    def text(self, path: str) -> str:
        status, body, _ms = self.server.fetch(path)
        if status != 200:
            raise RuntimeError(f"{self.label}: {path} answered {status}")
        return body

    def wait_for_the_plan(self, seconds: float = 600) -> None:
        """Until the indexer has written the sitemaps' plan and child sitemap files (at its
        start when there were none younger than SITEMAP_CACHE_SECONDS): what a site serves
        from then on, and what this bench measures."""
        plan = self.folder / "sitemaps.json"
        deadline = time.monotonic() + seconds
        while not (plan.exists() and time.time() - plan.stat().st_mtime < 600):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label}: the indexer wrote no sitemap plan")
            time.sleep(0.5)

    def discover(self) -> None:
        """Paths of every kind, read off the site itself (its sitemaps and its API)."""
        self.paths, self.crawl = discover(self.text, lambda path, **q: self.server.get(path, q)[1])

    def pick(self, kind: str, rng: random.Random) -> str:
        return rng.choice(self.paths[kind])


def _warm(instances: list[Instance]) -> None:
    for instance in instances:
        for kind in KINDS:
            for path in instance.paths.get(kind, [])[:3]:
                instance.server.fetch(path)


def sequential(instances: list[Instance], rounds: int) -> dict:
    rng = random.Random(1)
    samples = {(kind, i.label): [] for kind in KINDS for i in instances}
    errors = 0
    for _ in range(rounds):
        for kind in KINDS:
            order = instances[:]
            rng.shuffle(order)
            for instance in order:
                if kind not in instance.paths:
                    continue  # no such page there (a listing, on an instance without them)
                status, _body, ms = instance.server.fetch(instance.pick(kind, rng))
                errors += status != 200
                samples[(kind, instance.label)].append(ms)
    print(f"\n## Sequential, {rounds} rounds ({errors} answers other than 200)\n")
    head = " | ".join(f"{i.label} p50 / p95 / p99 ms" for i in instances)
    print(f"| page | {head} | p95 growth |")
    print("|---" * (len(instances) + 2) + "|")
    for kind in KINDS:
        cells, p95s = [], []
        for instance in instances:
            rows = samples[(kind, instance.label)]
            if not rows:
                cells.append("-")
                continue
            p50, p95, p99 = (percentile(rows, q) for q in (0.5, 0.95, 0.99))
            p95s.append(p95)
            cells.append(f"{p50:.1f} / {p95:.1f} / {p99:.1f}")
        growth = f"{p95s[-1] / p95s[0]:.2f}x" if len(p95s) == len(instances) else "-"
        print(f"| {kind} | {' | '.join(cells)} | {growth} |")
    return samples


def concurrent(instance: Instance, seconds: float, clients: int) -> None:
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    rows: list[tuple[str, int, float]] = []
    crawled: list[tuple[int, float]] = []
    kinds, weights = zip(*MIX.items(), strict=True)

    def client(n: int) -> None:
        rng = random.Random(100 + n)
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            status, _body, ms = instance.server.fetch(instance.pick(kind, rng))
            with lock:
                rows.append((kind, status, ms))

    def crawler() -> None:
        while time.monotonic() < stop_at:
            for path in instance.crawl:
                if time.monotonic() >= stop_at:
                    return
                status, _body, ms = instance.server.fetch(path)
                with lock:
                    crawled.append((status, ms))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=crawler))
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    times = [ms for _k, _s, ms in rows]
    fives = sum(s >= 500 for _k, s, _ms in rows) + sum(s >= 500 for s, _ms in crawled)
    p50, p95, p99 = (percentile(times, q) for q in (0.5, 0.95, 0.99))
    crawl_ms = [ms for _s, ms in crawled]
    print(
        f"| {instance.label} | {clients} | {len(rows) / elapsed:.1f} | {fives} "
        f"| {p50:.0f} / {p95:.0f} / {p99:.0f} | {max(times):.0f} "
        f"| {sum(t > 1000 for t in times)} | {len(crawled)}, p50 {percentile(crawl_ms, 0.5):.0f} "
        f"/ max {max(crawl_ms):.0f} | {_memory(instance)} |"
    )


def _memory(instance: Instance) -> str:
    return ", ".join(
        f"{m['rss']:.0f} / {m['pss']:.0f} / {m['uss']:.0f}" for m in instance.server.memory_mb()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--instance", action="append", required=True, metavar="LABEL=FOLDER",
        help="a demo instance folder, smallest first (repeat)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()

    instances = []
    try:
        for spec in options.instance:
            label, _, folder = spec.partition("=")
            started = time.perf_counter()
            instances.append(Instance(label, Path(folder)))
            print(f"{label}: served in {time.perf_counter() - started:.1f} s")
        for instance in instances:
            instance.wait_for_the_plan()
            instance.discover()
        _warm(instances)
        print(f"\n# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        for instance in instances:
            counts = {k: len(v) for k, v in instance.paths.items()}
            print(f"{instance.label} pages sampled: {counts}")
        sequential(instances, options.rounds)
        print(
            f"\n## Concurrent: {options.concurrency} clients, {options.seconds:.0f} s, mixed, "
            "a crawler walking the sitemaps\n"
        )
        print(
            "| instance | clients | req/s | 5xx | p50 / p95 / p99 ms | max ms | > 1 s "
            "| crawler fetches, ms | worker RSS / PSS / USS MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for instance in instances:
            concurrent(instance, options.seconds, options.concurrency)
    finally:
        for instance in instances:
            instance.server.stop()


if __name__ == "__main__":
    main()
