"""Landing pages and sitemaps at scale: how long a state page, a city page, a city x need page
and the sitemaps take with N demo profiles (in-process, one thread, warm).

Run: .venv/bin/python bench/landing.py --count 100000   (numbers go to stdout; nothing asserted)

A fresh SQLite instance under a temporary folder, built as `make run` builds it (migrate,
vocabulary, seeded demo data, search rebuild). Then each page is requested --repeat times after
one first request (printed too: the sitemaps' landing entries are computed then, and reused
for SITEMAP_CACHE_SECONDS), and p50/p95 are printed, with the number of landing URLs listed.
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
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    folder, _ = build(options.count, "landing-bench-")

    os.environ["DIRECTORY_INSTANCE_PATH"] = str(folder)
    from directory import create_app

    app = create_app({"PUBLIC_URL": "https://kneaded.example"})
    client = app.test_client()
    pages = [
        "/massage/nj",
        "/massage/nj/hoboken",
        "/massage/nj/hoboken/sciatica",
        "/massage/ny/new-york/lymphedema",
        "/massage/nj/jersey-city/deep-tissue-massage",
        "/sitemap.xml",
        "/sitemaps/profiles-1.xml",
        "/sitemaps/landing-1.xml",
    ]
    for path in pages:
        began = time.perf_counter()
        response = client.get(path)
        first = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            print(f"{path}: {response.status_code}")
            continue
        repeat = options.repeat if "sitemap" not in path else max(1, options.repeat // 10)
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
        note = ""
        if path == "/sitemaps/landing-1.xml":
            note = f" ({response.get_data(as_text=True).count('<url>')} landing URLs)"
        print(
            f"{path:48s} p50 {percentile(samples, 0.5):8.1f} ms  "
            f"p95 {percentile(samples, 0.95):8.1f} ms  first {first:8.1f} ms  ({repeat} runs)"
            f"{note}"
        )


if __name__ == "__main__":
    main()
