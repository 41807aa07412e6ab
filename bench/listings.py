"""`listings seed` benchmark (issue 27, item 5): a synthetic NPPES file in the published format
seeded into a fresh instance, twice.

Run: .venv/bin/python bench/listings.py [--rows 1000000] [--keep]   (numbers to stdout; nothing
asserted)

1. The file: `--rows` rows with the 330 columns of the real file (records.full_header), every
   value double-quoted, CRLF line ends. About 3% are massage therapists (taxonomy 225700000X in
   one of the first three slots, with a license in that slot, a practice address at a real ZIP
   and a phone); the rest carry other taxonomies (physicians, nurses, physical therapists,
   dentists, counselors...), about 10% are organizations, and 2% are deactivated rows (blank
   but for the NPI and the date, as CMS publishes them).
2. A fresh SQLite instance (`db upgrade`, `vocabulary sync`).
3. A read of the file alone (records.nppes_people, in a child process): rows/s by wall and by
   CPU time.
4. `flask listings seed FILE --source nppes` in a child process, twice: wall time, rows/s,
   CPU time and peak RSS (ru_maxrss of the child, from wait4), and its summary line (the second
   run must say created 0, updated 0).

Search at scale: .venv/bin/python bench/listings.py --search DIR [--listings 100000]
[--queries 200] [--keep | --seeded DIR2]   (DIR: a copy of a demo instance, `db upgrade` and
`search drain` run on it; it is written to while served)

1. A copy of DIR; a synthetic NPPES file of about `--listings` massage therapists (people only,
   varied names) placed at the ZIPs of DIR's offices, as often as the demo places an office
   there (so they compete with the demo's profiles in the same searches); seeded into the copy,
   then `search drain` (times, rows/s, peak RSS).
2. Both instances served at once (gunicorn as `make run`), the search API asked bench/search.py's
   request mix (its `_requests`: the lay needs, dense and sparse places, radius 10 and 25) in
   three modes: DIR (claimed profiles only), the copy (profiles and listings), and the copy with
   `include_unclaimed=0`; after a warm-up of every request in every mode, blocks of 10 requests
   in shuffled mode order (A/B interleaved). Per mode: p50/p95/p99 over HTTP (wall), the
   workers' CPU per request (their utime + stime from /proc over each block), errors, truncated
   answers, and how many of the first page's results and of all the matches are listings. The
   load average is printed before and after. Then the same for place-only searches (the mix's
   places with no need: the searches listings take part in, as they name no conditions).
   `--keep` keeps the copy with listings; `--seeded DIR2` measures such a copy again.

Place-only CPU in one process: .venv/bin/python bench/listings.py --place-cpu DIR DIR2
[--code CHECKOUT ...] [--rounds 5] [--profile PLACE]   (DIR: a demo copy without listings, DIR2
the same with them, as --keep leaves it; both written to while measured)

Each place of PLACES asked of the search API with no need (the app's test client: engine,
hydration and JSON, no HTTP), and each city's landing page, in a child process per instance and
checkout (`--code`: A/B of branches over the same instances); after a warm-up, CPU time
(`time.process_time`) per request, the median of `--rounds` rounds; the rounds interleave the
children. `--profile PLACE` prints cProfile's top functions for that place's API search.
"""

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from demo_instance import FLASK  # noqa: E402

from directory import geo  # noqa: E402
from directory.listings import records  # noqa: E402

OTHER_TAXONOMIES = ("207Q00000X", "363LF0000X", "225100000X", "122300000X", "1041C0700X",
                    "101YM0800X", "152W00000X", "111N00000X", "163W00000X",
                    "207R00000X")  # fmt: skip
SURNAMES = ("GARCIA", "SMITH", "NGUYEN", "PATEL", "JOHNSON", "OKAFOR", "KOWALSKI", "ROSSI",
            "O'NEIL", "MCDONALD", "LEE", "BROWN", "WILSON", "MARTINEZ", "ANDERSON",
            "TAYLOR")  # fmt: skip
FIRSTS = ("AVERY", "BLAKE", "CASEY", "DREW", "EMERY", "FINLEY", "HARPER", "QUINN", "MARY-JO",
          "ALEX", "SAM", "JORDAN", "TAYLOR", "MORGAN", "RILEY", "JAMIE")  # fmt: skip
STREETS = ("MAIN ST", "OAK AVE", "CONGRESS AVE", "BROADWAY", "ELM ST", "PARK BLVD", "2ND ST")


#: Syllables of the varied surnames of a search bench's listings (three: 64,000 surnames).
SYLLABLES = ("AL", "BAR", "CON", "DEL", "ER", "FAR", "GAR", "HOL", "IN", "JAN", "KEL", "LAN",
             "MOR", "NOR", "OL", "PER", "QUIN", "ROS", "SAN", "TOR", "UL", "VAL", "WEN", "YOR",
             "ZAN", "BEL", "CAR", "DOR", "EN", "FEL", "GRA", "HAR", "IS", "JOR", "KIN", "LOR",
             "MAR", "NAS", "OS", "PAL")  # fmt: skip


def write_file(path: Path, rows: int, seed: int = 27, *, zips: list | None = None,
               massage: float = 0.03, organizations: float = 0.10,
               varied: bool = False) -> dict:  # fmt: skip
    """The synthetic file; what it holds, counted. `zips`: (ZIP, city, state) to place people
    at, drawn uniformly (repeat one to weigh it; default: 5,000 ZIPs of the country); `massage`:
    the share of all rows that are massage therapists (besides the 2% deactivated);
    `organizations`: the share of organizations; `varied`: surnames of three syllables
    (64,000 of them, beside 16 first names and 4 middle initials) rather than 16 common ones,
    so that few listings share a name in a city (each shared one costs the seed a slug
    lookup)."""
    rng = random.Random(seed)
    header = records.full_header()
    at = {name: i for i, name in enumerate(header)}
    if zips is None:
        zips = [(z.code, z.city, z.state) for z in geo.zip_records()]
        rng.shuffle(zips)
        zips = zips[:5000]
    blank = ['""'] * len(header)
    kinds = {"massage": 0, "organizations": 0, "deactivated": 0, "rows": rows}

    def q(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(q(h) for h in header) + "\r\n")
        for n in range(rows):
            row = blank.copy()
            npi = f"{1000000000 + n * 7 + 3:010d}"
            row[at[records.NPI]] = q(npi)
            draw = rng.random()
            if draw < 0.02:
                row[at[records.DEACTIVATED]] = q("06/15/2025")
                kinds["deactivated"] += 1
                out.write(",".join(row) + "\r\n")
                continue
            organization = rng.random() < organizations
            is_massage = draw < 0.02 + massage  # after the 2% deactivated
            zip_code, city, state = rng.choice(zips)
            row[at[records.ENTITY]] = q("2" if organization else "1")
            if organization:
                row[at[records.ORGANIZATION]] = q(f"{rng.choice(SURNAMES)} WELLNESS LLC")
                kinds["organizations"] += is_massage
            else:
                if varied:
                    last = "".join(rng.choice(SYLLABLES) for _ in range(3))
                else:
                    last = rng.choice(SURNAMES)
                row[at[records.LAST]] = q(last)
                row[at[records.FIRST]] = q(rng.choice(FIRSTS))
                row[at[records.MIDDLE]] = q(rng.choice(("", "A", "J", "M")))
                row[at[records.CREDENTIAL]] = q(rng.choice(("LMT", "CMT", "MD", "RN", "")))
                row[at["Provider Sex Code"]] = q(rng.choice(("F", "M", "")))
            row[at[records.STREET]] = q(f"{rng.randint(1, 9999)} {rng.choice(STREETS)}")
            row[at[records.CITY]] = q(city.upper())
            row[at[records.STATE]] = q(state)
            row[at[records.POSTAL]] = q(zip_code + f"{rng.randint(0, 9999):04d}")
            row[at[records.PHONE]] = q(f"{rng.randint(201, 989)}555{rng.randint(0, 9999):04d}")
            row[at["Provider Enumeration Date"]] = q("05/23/2005")
            row[at["Last Update Date"]] = q("07/08/2007")
            row[at["Is Sole Proprietor"]] = q(rng.choice(("Y", "N", "X")))
            slots = rng.randint(1, 3)
            chosen = rng.randrange(slots) if is_massage else -1
            for k in range(slots):
                n_slot = k + 1
                taxonomy = "225700000X" if k == chosen else rng.choice(OTHER_TAXONOMIES)
                row[at[records.TAXONOMY.format(n_slot)]] = q(taxonomy)
                row[at[records.LICENSE.format(n_slot)]] = q(f"MT{rng.randint(1, 999999):06d}")
                row[at[records.LICENSE_STATE.format(n_slot)]] = q(state)
                row[at[records.PRIMARY.format(n_slot)]] = q("Y" if k == 0 else "N")
                row[at[f"Healthcare Provider Taxonomy Group_{n_slot}"]] = q("")
            kinds["massage"] += is_massage
            out.write(",".join(row) + "\r\n")
    return kinds


READ_ONLY = """
import sys, time
from directory.listings import records
t0, c0 = time.perf_counter(), time.process_time()
tally = records.Tally()
with open(sys.argv[1], encoding="utf-8-sig", newline="") as h:
    kept = sum(1 for _ in records.nppes_people(h, tally, known=set()))
print(tally.rows, kept, time.perf_counter() - t0, time.process_time() - c0)
"""


def run_child(args: list[str], env: dict) -> tuple[str, float, float, float]:
    """(stdout, wall seconds, CPU seconds, peak RSS MB) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[:4])} failed")
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def demo_zips(instance: Path) -> list[tuple[str, str, str]]:
    """(ZIP, city, state) of every published office of an instance: the demo's places, each
    as often as it has offices."""
    with sqlite3.connect(f"file:{instance / 'directory.sqlite3'}?mode=ro", uri=True) as con:
        return [
            (z, city.upper(), state)
            for z, city, state in con.execute(
                "SELECT office.zip, office.city, office.state FROM office JOIN practitioner "
                "ON practitioner.id = office.practitioner_id WHERE practitioner.published "
                "AND office.zip IS NOT NULL ORDER BY office.id"
            )
        ]


def worker_cpu(server) -> float:
    """Seconds of CPU (user + system) the server's workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.workers():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def measure(modes: dict, requests: list[dict], label: str) -> None:
    """Every request in every mode (server, extra parameters): a warm-up, then blocks of 10 in
    shuffled mode order; a line per mode."""
    from demo_instance import percentile

    for server, extra in modes.values():
        for params in requests:
            server.get("/api/v1/search", {**params, **extra})
    wall_ms = {mode: [] for mode in modes}
    cpu_s = dict.fromkeys(modes, 0.0)
    errors, truncated = dict.fromkeys(modes, 0), dict.fromkeys(modes, 0)
    listed, shown = dict.fromkeys(modes, 0), dict.fromkeys(modes, 0)
    matches, unclaimed = dict.fromkeys(modes, 0), dict.fromkeys(modes, 0)
    rng = random.Random(5)
    for start in range(0, len(requests), 10):
        order = list(modes)
        rng.shuffle(order)
        for mode in order:
            server, extra = modes[mode]
            before = worker_cpu(server)
            for params in requests[start : start + 10]:
                status, body, elapsed = server.get("/api/v1/search", {**params, **extra})
                wall_ms[mode].append(elapsed)
                errors[mode] += status != 200
                body = body or {}
                truncated[mode] += bool(body.get("truncated"))
                results = body.get("results", [])
                shown[mode] += len(results)
                listed[mode] += sum(not r["claimed"] for r in results)
                matches[mode] += body.get("total", 0)
                unclaimed[mode] += body.get("facets", {}).get("unclaimed", 0)
            cpu_s[mode] += worker_cpu(server) - before
    print(f"search API over HTTP, {label}: {len(requests)} requests per mode, A/B interleaved "
          "in blocks of 10 (wall ms; CPU: the workers' per request):")  # fmt: skip
    for mode in modes:
        samples = wall_ms[mode]
        p50, p95, p99 = (percentile(samples, q) for q in (0.50, 0.95, 0.99))
        print(f"  {mode}: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, max "
              f"{max(samples):.1f} ms; CPU {1000 * cpu_s[mode] / len(samples):.1f} ms "
              f"per request; errors {errors[mode]}, truncated {truncated[mode]}; listings "
              f"{listed[mode]:,} of {shown[mode]:,} first-page results, "
              f"{unclaimed[mode]:,} of {matches[mode]:,} matches")  # fmt: skip


def seed_beside(base: Path, copy: Path, work: Path, listings: int, env: dict) -> None:
    """A copy of `base` with about `listings` listings seeded from a synthetic file at its
    offices' ZIPs, and indexed."""
    shutil.copytree(base, copy, symlinks=True)
    zips = demo_zips(base)
    path = work / "npidata_pfile_20261101-20261130.csv"
    rows = round(listings / 0.98)
    started = time.perf_counter()
    kinds = write_file(path, rows, zips=zips, massage=1.0, organizations=0.0, varied=True)
    print(f"file: {rows:,} rows ({kinds['massage']:,} massage therapists, "
          f"{kinds['deactivated']:,} deactivated) at {len(set(zips)):,} places of the "
          f"demo's {len(zips):,} offices; written in {time.perf_counter() - started:.0f} s, "
          f"{path.stat().st_size / 1e6:.0f} MB")  # fmt: skip
    seed = [*FLASK, "listings", "seed", str(path), "--source", "nppes",
            "--file-date", "2026-11-30"]  # fmt: skip
    out, wall, cpu, rss = run_child(seed, env)
    path.unlink()
    print(f"seed: {out.strip()}")
    print(f"  {wall:.0f} s wall, {cpu:.0f} s CPU ({rows / cpu:,.0f} rows/s CPU), "
          f"peak RSS {rss:.0f} MB")  # fmt: skip
    out, wall, cpu, rss = run_child([*FLASK, "search", "drain"], env)
    print(f"search drain: {wall:.0f} s wall, {cpu:.0f} s CPU, peak RSS {rss:.0f} MB")


#: Place-only searches: dense cities, a sparse one and a rural ZIP (Miles City, MT).
PLACES = ("Hoboken, NJ", "Brooklyn, NY", "Newark, NJ", "Austin, TX", "59301")
#: The city landing pages of some of them (place-only searches too).
LANDINGS = ("/massage/nj/hoboken", "/massage/ny/brooklyn", "/massage/nj/newark")

PLACE_CHILD = """
import cProfile, json, os, pstats, sys, time
sys.path.insert(0, sys.argv[1])
import directory
from directory import create_app
assert directory.__file__.startswith(sys.argv[1]), directory.__file__
places, landings, repeat, profile = json.loads(sys.argv[2])
client = create_app().test_client()
urls = [("api " + p, "/api/v1/search", {"near": p}) for p in places]
urls += [("page " + u, u, {}) for u in landings]
for _label, url, query in urls:
    assert client.get(url, query_string=query).status_code == 200, url
cpu = {}
for label, url, query in urls:
    profiler = cProfile.Profile() if label == "api " + (profile or "") else None
    spent = []
    for _ in range(repeat):
        if profiler:
            profiler.enable()
        started = time.process_time()
        client.get(url, query_string=query)
        spent.append(time.process_time() - started)
        if profiler:
            profiler.disable()
    cpu[label] = sorted(spent)[len(spent) // 2] * 1000
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        for order in ("cumulative", "tottime"):
            stats.sort_stats(order).print_stats(25)
body = client.get("/api/v1/search", query_string={"near": places[0]}).get_json()
print(json.dumps({"cpu": cpu, "total": body["total"]}))
"""


def place_cpu(options) -> None:
    """CPU per place-only request, per instance and checkout, interleaved."""
    import json
    import statistics

    codes = [c.resolve() for c in options.code] or [ROOT]
    runs = {}
    for label, folder in (("claimed only", options.place_cpu[0]),
                          ("with listings", options.place_cpu[1])):  # fmt: skip
        for code in codes:
            runs[(label, code)] = (folder.resolve(), [])
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for round_ in range(options.rounds):
        order = list(runs)
        random.Random(round_).shuffle(order)
        for key in order:
            folder, found = runs[key]
            env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(folder)}
            env.pop("DATABASE_URL", None)
            profile = options.profile if round_ == 0 else None
            child = subprocess.run(
                [sys.executable, "-c", PLACE_CHILD, str(key[1]),
                 json.dumps([PLACES, LANDINGS, 5, profile])],
                env=env, check=True, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            found.append(json.loads(child.stdout))
    print(f"CPU ms per request (process_time, median of {options.rounds} rounds of the "
          "median of 5), place only:")  # fmt: skip
    labels = list(next(iter(runs.values()))[1][0]["cpu"])
    print("| instance | code | total (first place) | " + " | ".join(labels) + " |")
    print("|---" * (len(labels) + 3) + "|")
    for (label, code), (_folder, found) in runs.items():
        cells = " | ".join(
            f"{statistics.median(f['cpu'][name] for f in found):.1f}" for name in labels
        )
        print(f"| {label} | {code.name} | {found[0]['total']:,} | {cells} |")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def search_bench(options) -> None:
    """Search p95 at `--listings` listings beside the claimed profiles of `--search DIR`."""
    from demo_instance import Server, free_port
    from search import _requests

    base = options.search.resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-listings-search-"))
    copy = options.seeded.resolve() if options.seeded else work / "instance"
    try:
        print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(copy), "PYTHONUNBUFFERED": "1"}
        env.pop("DATABASE_URL", None)
        if not options.seeded:
            seed_beside(base, copy, work, options.listings, env)
        requests = _requests(options.queries, 11)
        without = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(base), "PYTHONUNBUFFERED": "1"}
        without.pop("DATABASE_URL", None)
        servers = {"claimed only": Server(without, free_port()),
                   "with listings": Server(env, free_port())}  # fmt: skip
        modes = {"claimed only": (servers["claimed only"], {}),
                 "with listings": (servers["with listings"], {}),
                 "with listings, include_unclaimed=0": (servers["with listings"],
                                                        {"include_unclaimed": "0"})}  # fmt: skip
        place_only = [{**params, "q": ""} for params in requests[: max(10, len(requests) // 4)]]
        try:
            measure(modes, requests, "the search bench's mix")
            measure(modes, place_only, "place only (no need: where listings compete)")
        finally:
            for server in servers.values():
                server.stop()
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if options.keep:
            print(f"kept: the instance with listings, {copy} (--seeded)")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the file and the instance")
    parser.add_argument(
        "--search",
        type=Path,
        metavar="DIR",
        help="search at scale: listings seeded beside DIR's claimed profiles",
    )
    parser.add_argument("--listings", type=int, default=100_000, help="with --search")
    parser.add_argument(
        "--seeded",
        type=Path,
        metavar="DIR2",
        help="with --search: DIR2 already holds the listings (kept by --keep)",
    )
    parser.add_argument("--queries", type=int, default=200, help="with --search: per mode")
    parser.add_argument("--place-cpu", type=Path, nargs=2, metavar=("DIR", "DIR2"),
                        help="CPU of place-only searches without and with listings")  # fmt: skip
    parser.add_argument("--code", type=Path, action="append", default=[],
                        help="with --place-cpu: a checkout to import (repeat for A/B)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5, help="with --place-cpu")
    parser.add_argument("--profile", metavar="PLACE", help="with --place-cpu")
    options = parser.parse_args()
    if options.place_cpu:
        place_cpu(options)
        return
    if options.search:
        search_bench(options)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-listings-"))
    try:
        path = work / "npidata_pfile_20261101-20261130.csv"
        started = time.perf_counter()
        kinds = write_file(path, options.rows)
        print(f"file: {kinds['rows']:,} rows, {len(records.full_header())} columns, "
              f"{path.stat().st_size / 1e9:.2f} GB, {kinds['massage']:,} massage rows "
              f"({kinds['organizations']:,} organizations), {kinds['deactivated']:,} "
              f"deactivated; written in {time.perf_counter() - started:.0f} s")  # fmt: skip
        env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(work / "instance"),
               "SECRET_KEY": "bench"}  # fmt: skip
        env.pop("DATABASE_URL", None)
        subprocess.run([*FLASK, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([*FLASK, "vocabulary", "sync"], env=env, check=True, capture_output=True)
        # The offline ZIP index is built once per machine (warmup): not part of a seed's time.
        warm = (
            "from directory import create_app, geo\nwith create_app().app_context(): "
            "geo.zip_location('10001')"
        )
        subprocess.run([sys.executable, "-c", warm], env=env, check=True, capture_output=True)

        out, wall, cpu, rss = run_child([sys.executable, "-c", READ_ONLY, str(path)], env)
        rows, kept, _wall, _cpu = out.split()
        print(
            f"read only: {int(rows):,} rows, {int(kept):,} kept, {int(rows) / wall:,.0f} "
            f"rows/s wall, {int(rows) / cpu:,.0f} rows/s CPU, peak RSS {rss:.0f} MB"
        )
        seed = [*FLASK, "listings", "seed", str(path), "--source", "nppes",
                "--file-date", "2026-11-30"]  # fmt: skip
        for attempt in ("first", "second (idempotent)"):
            out, wall, cpu, rss = run_child(seed, env)
            print(f"seed, {attempt} run: {out.strip()}")
            print(f"  {wall:.1f} s wall, {options.rows / wall:,.0f} rows/s wall, {cpu:.1f} s "
                  f"CPU ({options.rows / cpu:,.0f} rows/s), peak RSS {rss:.0f} MB")  # fmt: skip
    finally:
        if options.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
