"""Sitemaps at scale: how long the sitemap index and each kind of child sitemap take, and how
long building the landing pages' entries takes (in-process, one thread, warm, Flask's test
client).

Run: .venv/bin/python bench/sitemaps.py --instance /tmp/copy-of-a-demo-instance
     .venv/bin/python bench/sitemaps.py --count 20000   (builds a fresh SQLite instance)
Numbers go to stdout; nothing is asserted. The instance is only read, but SQLite may write its
-shm/-wal files: give it a copy of an instance you want to keep as it is.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo_instance import build, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, help="an existing instance folder (a copy)")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=50)
    options = parser.parse_args()

    folder = options.instance or build(options.count, "sitemap-bench-")[0]
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(folder)
    from directory import create_app
    from directory.public import landing

    app = create_app({"PUBLIC_URL": "https://kneaded.example"})
    with app.app_context():
        began = time.perf_counter()
        cpu = time.process_time()
        entries = list(landing.indexable())
        print(
            f"landing.indexable(): {len(entries):,} entries in "
            f"{(time.perf_counter() - began) * 1000:.0f} ms "
            f"({(time.process_time() - cpu) * 1000:.0f} ms CPU)"
        )
    client = app.test_client()
    pages = [
        "/sitemap.xml",
        "/sitemaps/profiles-1.xml",
        "/sitemaps/profiles-2.xml",
        "/sitemaps/practices-1.xml",
        "/sitemaps/landing-1.xml",
    ]
    for path in pages:
        began = time.perf_counter()
        response = client.get(path)
        first = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            print(f"{path}: {response.status_code}")
            continue
        samples = []
        for _ in range(options.repeat):
            began = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
        body = response.get_data()
        print(
            f"{path:30s} p50 {percentile(samples, 0.5):7.1f} ms  "
            f"p95 {percentile(samples, 0.95):7.1f} ms  first {first:8.1f} ms  "
            f"({options.repeat} runs, {body.count(b'<loc>'):,} URLs, {len(body):,} bytes)"
        )


if __name__ == "__main__":
    main()
