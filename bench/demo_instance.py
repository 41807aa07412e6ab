"""What the in-process benchmarks share: a fresh demo instance built as `make run` builds it,
and a percentile."""

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "directory"]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def build(count: int, prefix: str) -> tuple[Path, dict]:
    """(the instance folder, the environment naming it): a new SQLite instance under a
    temporary folder, migrated, with the vocabulary, `count` seeded demo profiles and the
    search index."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(folder)}
    started = time.perf_counter()
    for args in (
        ["db", "upgrade"],
        ["vocabulary", "sync"],
        ["demo", "load", "--count", str(count)],
        ["search", "rebuild"],
    ):
        subprocess.run([*FLASK, *args], env=env, check=True, capture_output=True)
    print(f"built {count:,} demo profiles in {time.perf_counter() - started:.0f} s")
    return folder, env
