"""Where a search page's CPU goes, stage by stage, in one process: the URLs bench/pages.py
samples (results pages, the search API, city x need landing pages) answered through the app's
test client, as a worker answers them (each URL once to warm up first). Numbers go to stdout;
nothing is asserted.

Run: .venv/bin/python bench/search_cpu.py --instance 100k=/tmp/copy-100k [--code DIR]
     [--profile KIND] [--urls 200]
     (give it a copy of a demo instance: the app writes to its instance folder)

Per URL kind: CPU ms per request (`time.process_time`, p50 / p95 / max over the URL set) and the
mean CPU ms of the stages: the engine (`engine.select`, the search and any "nobody near: how far"
search after it), hydrating the page's rows (`results._hydrate`), the interpretation of the
need, rendering the template, and the rest (routing, parsing, place, landing counts); with the
SELECTs each request sent. `--profile KIND` prints cProfile's top functions for that kind,
by cumulative and by own time. `--code DIR` imports the package from another checkout (an A/B
of two branches over the same instance and URL set).
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("search (HTML)", "search (API)", "landing city x need")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Stages:
    """CPU seconds spent inside chosen functions, per request (outermost call only)."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self.depth: dict[str, int] = defaultdict(int)

    def wrap(self, module, name: str, stage: str) -> None:
        inner = getattr(module, name)

        def timed(*args, **kwargs):
            self.depth[stage] += 1
            started = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.depth[stage] -= 1
                if not self.depth[stage]:
                    self.spent[stage] += time.process_time() - started

        setattr(module, name, timed)


def _urls(client, count: int) -> dict[str, list[str]]:
    from pages import discover

    def text(path: str) -> str:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
        return answer.get_data(as_text=True)

    def get(path: str, **params) -> dict:
        return client.get(path, query_string=params).get_json()

    paths, _crawl = discover(text, get)
    rng = random.Random(3)
    landing = paths.get("landing city x need", [])
    return {
        "search (HTML)": paths["search (HTML)"][:count],
        "search (API)": paths["search (API)"][:count],
        "landing city x need": rng.sample(landing, min(count, len(landing))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, metavar="LABEL=FOLDER")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to import from")
    parser.add_argument("--urls", type=int, default=200, help="URLs per kind")
    parser.add_argument("--profile", choices=KINDS, action="append", default=[])
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()
    label, _, folder = options.instance.partition("=")
    sys.path.insert(0, str(ROOT / "bench"))
    import pages  # noqa: F401  (puts this checkout on the path: --code goes before it)

    sys.path.insert(0, str(options.code.resolve()))
    os.environ["DIRECTORY_INSTANCE_PATH"] = folder
    os.environ.pop("DATABASE_URL", None)

    from sqlalchemy import event

    import directory
    from directory import create_app
    from directory.public import landing
    from directory.search import engine, results
    from directory.search import views as search_views

    stages = Stages()
    stages.wrap(engine, "select", "engine")
    stages.wrap(results, "_hydrate", "hydration")
    stages.wrap(results, "interpret", "interpretation")
    for module in (search_views, landing):
        stages.wrap(module, "render_template", "template")
    app = create_app()
    selects = [0]
    with app.app_context():
        from directory.db import db

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, parameters, context, executemany):
            selects[0] += statement.lstrip().upper().startswith("SELECT")

    client = app.test_client()
    cache = Path(folder) / "bench-search-cpu-urls.json"
    if cache.exists():
        urls = json.loads(cache.read_text())
    else:
        urls = _urls(client, options.urls)
        cache.write_text(json.dumps(urls))
    code = Path(directory.__file__).parent.parent
    print(f"# {label} ({folder}), code {code}, load {os.getloadavg()[0]:.1f}")
    print(f"URLs: { {k: len(v) for k, v in urls.items()} }\n")
    names = ("engine", "hydration", "interpretation", "template")
    print("| kind | CPU ms p50 / p95 / max | mean ms | " + " | ".join(f"{n} ms" for n in names)
          + " | rest ms | SELECTs max | first request CPU ms p50 / p95 / max |")  # fmt: skip
    print("|---" * (len(names) + 6) + "|")
    for kind in KINDS:
        # A worker serves many requests: every URL once first (the first search of a term
        # reads its postings, cached per process after it), timed apart.
        first = []
        for url in urls[kind]:
            started = time.process_time()
            client.get(url)
            first.append(time.process_time() - started)
        profiler = cProfile.Profile() if kind in options.profile else None
        cpu, spent, most = [], defaultdict(float), 0
        for url in urls[kind]:
            stages.spent.clear()
            selects[0] = 0
            if profiler:
                profiler.enable()
            started = time.process_time()
            answer = client.get(url)
            cpu.append(time.process_time() - started)
            if profiler:
                profiler.disable()
            if answer.status_code != 200:
                raise RuntimeError(f"{url} answered {answer.status_code}")
            for name in names:
                spent[name] += stages.spent[name]
            most = max(most, selects[0])
        total = sum(cpu)
        mean = [spent[n] / len(cpu) * 1e3 for n in names]
        cells = " | ".join(f"{ms:.1f}" for ms in mean)
        print(
            f"| {kind} | {_percentile(cpu, 0.5) * 1e3:.1f} / {_percentile(cpu, 0.95) * 1e3:.1f} "
            f"/ {max(cpu) * 1e3:.1f} | {total / len(cpu) * 1e3:.1f} | {cells} "
            f"| {total / len(cpu) * 1e3 - sum(mean):.1f} | {most} "
            f"| {_percentile(first, 0.5) * 1e3:.1f} / "
            f"{_percentile(first, 0.95) * 1e3:.1f} / {max(first) * 1e3:.1f} |"
        )
        if profiler:
            for order in ("cumulative", "tottime"):
                print(f"\n### {kind}: by {order}\n```")
                pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(options.top)
                print("```")


if __name__ == "__main__":
    main()
