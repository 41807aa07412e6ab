"""The HSDS 3.0 export and read API at scale: how long `export hsds` takes with N demo profiles,
its peak memory and the size of what it writes; then how long /hsds/ pages take (in-process,
one thread, warm).

Run: .venv/bin/python bench/hsds.py --count 100000   (numbers go to stdout; nothing asserted)

A fresh SQLite instance under a temporary folder, built as `make run` builds it (migrate,
vocabulary, seeded demo data, search rebuild). The export runs as its own process
(its peak RSS from its own rusage); each API request is made --repeat
times after one first request, and p50/p95 are printed.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo_instance import FLASK, build, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    folder, env = build(options.count, "hsds-bench-")

    out = folder / "hsds"
    started = time.perf_counter()
    command = [*FLASK, "export", "hsds", str(out)]
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    said = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
    took = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0, said
    print(said.strip())
    print(f"export: {took:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB")
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.stat().st_size > 100_000:
            print(f"  {path.relative_to(out)}: {path.stat().st_size / 1e6:.1f} MB")

    os.environ["DIRECTORY_INSTANCE_PATH"] = str(folder)
    from directory import create_app

    app = create_app({"PUBLIC_URL": "https://kneaded.example"})
    client = app.test_client()
    with app.app_context():
        first = client.get("/hsds/services?per_page=1").get_json()["contents"][0]
    pages = [
        "/hsds/services",
        "/hsds/services?full=true",
        "/hsds/services?page=400",
        f"/hsds/services/{first['id']}",
        f"/hsds/services?organization_id={first['organization_id']}",
        "/hsds/services?search=sciatica",
        "/hsds/organizations",
        f"/hsds/organizations/{first['organization_id']}?full_service=true",
        "/hsds/taxonomy_terms?per_page=100",
    ]
    for path in pages:
        started = time.perf_counter()
        response = client.get(path)
        first_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        samples = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
        print(f"{path[:70]:70} first {first_ms:6.0f} ms  p50 {percentile(samples, 0.5):6.1f} ms"
              f"  p95 {percentile(samples, 0.95):6.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
