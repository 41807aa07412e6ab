"""Roster sync benchmark (issue 26, item 6): a 500,000-row synthetic Texas TDLR file applied to
a copy of a demo instance whose licenses it lists, while gunicorn serves searches.

Run: .venv/bin/python bench/rosters.py --demo /tmp/demo-100k   (numbers to stdout; nothing
asserted)

1. The demo folder is copied (the app writes to its instance) and migrated. The demo spreads its
   licenses over many states and a Texas file speaks only for Texas, so each profile's first
   license is moved to Texas in the copy (`--keep-states` leaves them): the sync then decides a
   license of every profile, the worst case for one state. (The search index is not rebuilt:
   searches see the listings as they were until the indexer catches up with the sync.)
2. The file: one row per license under its profile's name and a future expiry, except
   `--mismatch` of them under another name (queued), `--lapsed` with a past expiry (lapsed),
   and `--revoked` left out of the file (a complete roster: queued as missing); a few listed
   twice (two businesses); then rows of other professions and of numbers nobody holds, up to
   `--rows`. The exact headers and date format of the published file.
3. gunicorn (gunicorn.conf.py, the indexer beside it) serves the copy. A loop of searches
   (lay needs, dense and sparse places) is timed before the sync, then again while
   `flask licenses sync` runs in a child process: its wall and CPU time, rows/s, and its peak
   RSS (ru_maxrss of the child, from wait4). Then the same file again (idempotent: near
   read-only), timed the same way.
"""

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import FLASK, Server, free_port, percentile  # noqa: E402

from tests.lay_needs import DENSE_PLACES, LAY_NEEDS, SPARSE_PLACES  # noqa: E402

HEADER = [
    "LICENSE TYPE", "LICENSE NUMBER", "BUSINESS NAME", "BUSINESS ADDRESS-LINE1",
    "BUSINESS ADDRESS-LINE2", "BUSINESS CITY, STATE ZIP", "BUSINESS COUNTY CODE",
    "BUSINESS COUNTY", "BUSINESS ZIP", "BUSINESS TELEPHONE",
    "LICENSE EXPIRATION DATE (MMDDCCYY)", "OWNER NAME", "MAILING ADDRESS LINE1",
    "MAILING ADDRESS LINE2", "MAILING ADDRESS CITY, STATE ZIP", "MAILING ADDRESS COUNTY CODE",
    "MAILING ADDRESS COUNTY", "MAILING ADDRESS ZIP", "MAILING ADDRESS TELEPHONE",
    "LICENSE SUBTYPE", "CONTINUING EDUCATION FLAG",
]  # fmt: skip
OTHER_TYPES = ("Barber", "Cosmetology Operator", "Electrician", "Air Conditioning Contractor",
               "Massage Establishment", "Tow Operator")  # fmt: skip
SURNAMES = ("Garcia", "Smith", "Nguyen", "Patel", "Johnson", "Okafor", "Kowalski", "Rossi")
FIRSTS = ("Avery", "Blake", "Casey", "Drew", "Emery", "Finley", "Harper", "Quinn")


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _line(kind: str, number: str, owner: str, expires: date, rng: random.Random) -> str:
    city = rng.choice(("AUSTIN, TX 78701", "HOUSTON, TX 77002", "DALLAS, TX 75201"))
    cells = [
        kind, number, f"{owner.split(',')[0].title()} Bodywork", "100 MAIN ST", "", city, "227",
        "TRAVIS", city[-5:], "5125550100", expires.strftime("%m%d%Y"), owner,
        "PO BOX 1", "", city, "227", "TRAVIS", city[-5:], "", "", "N",
    ]  # fmt: skip
    return ",".join(_q(c) for c in cells) + "\r\n"


def _owner(name: str) -> str:
    words = name.split()
    return f"{' '.join(words[1:]).upper()}, {words[0].upper()}" if len(words) > 1 else name


def write_roster(db_path: Path, out: Path, args, today: date) -> dict:
    """The synthetic file; what it holds, by kind."""
    rng = random.Random(26)
    con = sqlite3.connect(db_path)
    licenses = con.execute(
        "SELECT license.number, practitioner.name FROM license "
        "JOIN practitioner ON practitioner.id = license.practitioner_id "
        "WHERE license.state = 'TX' ORDER BY license.id"
    ).fetchall()
    con.close()
    kinds = dict.fromkeys(("listed", "mismatch", "lapsed", "revoked", "twice", "other"), 0)
    written = 0
    future, past = today + timedelta(days=400), today - timedelta(days=30)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(_q(h) for h in HEADER) + "\r\n")
        for number, name in licenses:
            draw = rng.random()
            if draw < args.revoked:
                kinds["revoked"] += 1
                continue
            if draw < args.revoked + args.mismatch:
                owner = f"{rng.choice(SURNAMES).upper()}, {rng.choice(FIRSTS).upper()}"
                expires = future
                kinds["mismatch"] += 1
            elif draw < args.revoked + args.mismatch + args.lapsed:
                owner, expires = _owner(name), past
                kinds["lapsed"] += 1
            else:
                owner, expires = _owner(name), future
                kinds["listed"] += 1
            handle.write(_line("Massage Therapist", number, owner, expires, rng))
            written += 1
            if rng.random() < 0.01 and written < args.rows:
                handle.write(_line("Massage Therapist", number, owner, expires, rng))
                written += 1
                kinds["twice"] += 1
        serial = 0
        while written < args.rows:
            serial += 1
            owner = f"{rng.choice(SURNAMES).upper()}, {rng.choice(FIRSTS).upper()}"
            if serial % 3:
                kind, number = rng.choice(OTHER_TYPES), str(900000000 + serial)
            else:
                kind, number = "Massage Therapist", f"MT{800000000 + serial}"
            handle.write(_line(kind, number, owner, future, rng))
            written += 1
            kinds["other"] += 1
    kinds["rows"] = written
    kinds["licenses"] = len(licenses)
    return kinds


def search_loop(server: Server, stop: threading.Event, limit: int, seed: int) -> list[float]:
    """ms of each search of a loop, until `stop` is set or `limit` searches."""
    rng = random.Random(seed)
    places = (*DENSE_PLACES, *SPARSE_PLACES)
    took: list[float] = []
    while not stop.is_set() and len(took) < limit:
        status, _body, elapsed = server.get(
            "/api/v1/search", {"q": rng.choice(LAY_NEEDS), "near": rng.choice(places)}
        )
        if status != 200:
            raise RuntimeError(f"search answered {status}")
        took.append(elapsed)
    return took


def _summary(label: str, took: list[float]) -> str:
    return (
        f"{label}: {len(took)} searches, p50 {percentile(took, 0.5):.0f} ms, "
        f"p95 {percentile(took, 0.95):.0f} ms"
    )


def _timed_sync(label, server, env, roster, today, rows, before, args) -> None:
    """`flask licenses sync` in a child process while a thread loops searches: its time, CPU,
    rows/s and peak RSS, the search p95 during it against `before`'s, then again after it."""
    print(f"--- {label}")
    stop, during = threading.Event(), []
    loop = threading.Thread(target=lambda: during.extend(search_loop(server, stop, 10**9, seed=3)))
    profile = f"{args.profile}.{label.split()[0]}" if args.profile else None
    profiled = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "flask",
                "--app", "directory"] if profile else FLASK  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(
        [*profiled, "licenses", "sync", str(roster), "--source", "tx-tdlr",
         "--file-date", today.isoformat()],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    loop.start()
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stop.set()
    loop.join()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the sync failed ({os.waitstatus_to_exitcode(status)})")
    rss_mb = usage.ru_maxrss / 1024
    print(f"sync: {out.strip()}")
    print(
        f"sync: {seconds:.1f} s wall ({usage.ru_utime + usage.ru_stime:.1f} s CPU), "
        f"{rows / seconds:,.0f} rows/s, peak RSS {rss_mb:.0f} MB"
    )
    print(_summary("search during the sync", during))
    again = search_loop(server, threading.Event(), args.searches, seed=2)
    print(_summary("search after the sync", again))
    p95s = percentile(before, 0.95), percentile(during, 0.95)
    print(
        f"targets: under 60 s {'met' if seconds < 60 else 'NOT met'} ({seconds:.1f} s); "
        f"peak RSS under 300 MB {'met' if rss_mb < 300 else 'NOT met'} ({rss_mb:.0f} MB); "
        f"search p95 during/before {p95s[1] / p95s[0]:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", default="/tmp/demo-100k")
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--mismatch", type=float, default=0.02)
    parser.add_argument("--lapsed", type=float, default=0.03)
    parser.add_argument("--revoked", type=float, default=0.01)
    parser.add_argument("--searches", type=int, default=300, help="before the sync")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-states", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the copy behind")
    parser.add_argument("--profile", metavar="FILE",
                        help="run the sync under cProfile, its stats written to FILE")  # fmt: skip
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-rosters-"))
    instance = work / "instance"
    started = time.perf_counter()
    shutil.copytree(args.demo, instance, symlinks=True)
    env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    subprocess.run([*FLASK, "db", "upgrade"], env=env, check=True, capture_output=True)
    db_path = instance / "directory.sqlite3"
    if not args.keep_states:
        con = sqlite3.connect(db_path)
        # One license a person and state: each profile's first license moves (unless it
        # holds a Texas one already).
        con.execute(
            "UPDATE license SET state = 'TX' WHERE id IN (SELECT min(id) FROM license "
            "GROUP BY practitioner_id HAVING sum(state = 'TX') = 0)"
        )
        con.commit()
        con.close()
    print(f"copied and migrated {args.demo} in {time.perf_counter() - started:.0f} s")

    today = date.today()
    roster = work / "TDLR_All_Licenses.csv"
    started = time.perf_counter()
    kinds = write_roster(db_path, roster, args, today)
    print(
        f"wrote {kinds['rows']:,} rows ({roster.stat().st_size / 2**20:.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s: {kinds['licenses']:,} TX licenses of the copy; "
        f"listed {kinds['listed']:,}, another name {kinds['mismatch']:,}, lapsed "
        f"{kinds['lapsed']:,}, left out (revoked) {kinds['revoked']:,}, listed twice "
        f"{kinds['twice']:,}, other rows {kinds['other']:,}"
    )

    server = Server(env, free_port(), workers=args.workers)
    try:
        search_loop(server, threading.Event(), 30, seed=1)  # warm-up
        before = search_loop(server, threading.Event(), args.searches, seed=2)
        print(_summary("search before the sync", before))

        for label in ("first sync", "same file again (idempotent)"):
            _timed_sync(label, server, env, roster, today, kinds["rows"], before, args)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"left in {work}")


if __name__ == "__main__":
    main()
