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
"""

import argparse
import os
import random
import shutil
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


def write_file(path: Path, rows: int, seed: int = 27) -> dict:
    """The synthetic file; what it holds, counted."""
    rng = random.Random(seed)
    header = records.full_header()
    at = {name: i for i, name in enumerate(header)}
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
            organization = rng.random() < 0.10
            massage = draw < 0.05  # 3% of the rows after the 2% deactivated
            zip_code, city, state = rng.choice(zips)
            row[at[records.ENTITY]] = q("2" if organization else "1")
            if organization:
                row[at[records.ORGANIZATION]] = q(f"{rng.choice(SURNAMES)} WELLNESS LLC")
                kinds["organizations"] += massage
            else:
                row[at[records.LAST]] = q(rng.choice(SURNAMES))
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
            chosen = rng.randrange(slots) if massage else -1
            for k in range(slots):
                n_slot = k + 1
                taxonomy = "225700000X" if k == chosen else rng.choice(OTHER_TAXONOMIES)
                row[at[records.TAXONOMY.format(n_slot)]] = q(taxonomy)
                row[at[records.LICENSE.format(n_slot)]] = q(f"MT{rng.randint(1, 999999):06d}")
                row[at[records.LICENSE_STATE.format(n_slot)]] = q(state)
                row[at[records.PRIMARY.format(n_slot)]] = q("Y" if k == 0 else "N")
                row[at[f"Healthcare Provider Taxonomy Group_{n_slot}"]] = q("")
            kinds["massage"] += massage
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the file and the instance")
    options = parser.parse_args()
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
