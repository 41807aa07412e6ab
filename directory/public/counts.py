"""How many therapists each state and city lists, for the landing pages, counted off the
request path.

Counting a state reads every listed office of it (SQL over office, practitioner, tenant and
license: 184 ms of CPU for New York at 100,000 profiles, 2.2 s for every state). Each worker
used to count a state once per outbox generation, and every profile edit anywhere changes the
generation, so under real writes nearly every state page paid for a count. Now the indexer
process (`search drain --forever`, its chores) keeps the counts and writes one file per state,
`<instance>/COUNTS_FOLDER/<STATE>.json`: the state's total and its cities' counts from one
`count`, so they always agree, and the day they were counted for.

Why files written by the indexer, not the search columns each worker holds: the columns hold
offices' states and coordinates but not their cities, and the listing is a count by city;
adding cities to the index is the engine's business and would still cost each worker a pass
over every office of the state per change. Why per state and incremental: the indexer counts
every state once when it starts and when the day turns (licenses expire by date), then only
the states a change touched, as the outbox names them (a practitioner's states before the
change, which it remembers, and after), at most every WRITE_EVERY_SECONDS. One implementation
of the count serves both paths, so the file says what a worker would have counted.

How each cache is invalidated:
- the files: rewritten by the indexer when an outbox row names a practitioner listed in (or
  now listable in) the state, and every file when the day turns; a worker reads a file again
  when its (inode, mtime, size) changes, and parses only the state it serves.
- trust: the indexer rewrites MANIFEST at least every TOUCH_SECONDS; a manifest older than
  STALE_SECONDS (no indexer, or one whose chores fail), or none (tests, `flask run`), or a
  state file counted for another day, is not read: the worker counts itself as before
  (`landing.listing`: kept per process until the outbox generation or the day changes).
A file lags the database by at most the indexer's poll plus WRITE_EVERY_SECONDS, as the
index itself does.
"""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import case, exists, func, select

from directory import atomic, licensing
from directory.db import db
from directory.practices.models import Tenant
from directory.practitioners import profiles
from directory.practitioners.models import License, Office, Practitioner
from directory.search.outbox import LATE_WINDOW, SearchOutbox, generation
from directory.validation import slug_base

log = logging.getLogger(__name__)

COUNTS_FOLDER = "landing-counts"
MANIFEST = "indexer.json"
#: The indexer writes the files of changed states at most this often (seconds).
WRITE_EVERY_SECONDS = 2
#: The indexer rewrites the manifest at least this often, and a manifest older than
#: STALE_SECONDS means nobody keeps the files: several missed rewrites, so a busy box does
#: not make a live indexer look gone.
TOUCH_SECONDS = 10
STALE_SECONDS = 60
#: Practitioners re-read per statement.
CHUNK = 500


@dataclass(frozen=True)
class City:
    name: str
    slug: str
    state: str
    #: Publicly visible therapists with a listed office in it (claimed profiles).
    therapists: int
    lat: float
    lon: float
    #: Unclaimed listings from public records with a listed office in it, counted apart.
    unclaimed: int = 0

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class Listing:
    """A state's cities with listed therapists, most first, and how many therapists that is
    (each once, whatever number of its cities they work in)."""

    cities: list[City]
    therapists: int
    #: Unclaimed listings from public records, counted apart from the therapists.
    unclaimed: int = 0


def listed_here(on: date | None = None):
    """Offices that may be listed (rule 2) of publicly visible practitioners (rule 1)."""
    current = exists().where(
        License.practitioner_id == Practitioner.id,
        License.state == Office.state,
        licensing.current_in_sql(License, on),
    )
    return (
        select(Office)
        .join(Practitioner, Office.practitioner_id == Practitioner.id)
        .join(Tenant, Practitioner.tenant_id == Tenant.id)
        .where(profiles.public_rule(), current)
    )


def count_query(state: str, on: date | None = None):
    """The one statement `count` runs: per city of the state, its therapists and listings, and
    the state's totals (the office(state) index finds the state's offices)."""
    listed = (
        listed_here(on).add_columns(Practitioner.claimed.label("claimed"))
        .where(Office.state == state).subquery()
    )  # fmt: skip

    def distinct(claimed: bool):
        # Therapists (claimed profiles) and unclaimed listings, counted apart.
        return func.count(func.distinct(case((listed.c.claimed.is_(claimed),
                                              listed.c.practitioner_id))))  # fmt: skip

    # In the same statement, so every count comes from one snapshot of the data.
    everyone = select(distinct(True)).scalar_subquery()
    unclaimed = select(distinct(False)).scalar_subquery()
    return select(
        listed.c.city,
        distinct(True),
        func.avg(listed.c.lat),
        func.avg(listed.c.lon),
        everyone,
        distinct(False),
        unclaimed,
    ).group_by(listed.c.city)


def count(state: str, on: date | None = None) -> Listing:
    """The state's `Listing` as the data says now (reads every listed office of the state)."""
    rows = db.session.execute(count_query(state, on)).all()
    merged: dict[str, City] = {}
    for name, therapists, lat, lon, _, records, _ in sorted(rows, key=lambda row: -row[1]):
        slug = slug_base(name, "")
        if not slug:
            continue
        # Two spellings of one city ("Saint Paul", "Saint  Paul") are one page, under the
        # spelling most offices use.
        known = merged.get(slug)
        if known is not None:
            therapists += known.therapists
            records += known.unclaimed
            name, lat, lon = known.name, known.lat, known.lon
        merged[slug] = City(name, slug, state, therapists, lat, lon, records)
    found = sorted(merged.values(), key=lambda c: (-c.therapists, -c.unclaimed, c.name))
    return Listing(found, rows[0][4] if rows else 0, rows[0][6] if rows else 0)


# --- Read by the workers -------------------------------------------------------------------------


def _folder() -> Path:
    return Path(current_app.instance_path) / COUNTS_FOLDER


def _key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def kept(state: str) -> Listing | None:
    """The state's listing as the indexer last wrote it, when an indexer keeps the files and
    this one was counted for today; else None (the caller counts)."""
    folder = _folder()
    try:
        if time.time() - (folder / MANIFEST).stat().st_mtime > STALE_SECONDS:
            return None
        path = folder / f"{state}.json"
        key = _key(path)
    except FileNotFoundError:
        return None
    cache = current_app.extensions.setdefault("landing.counts", {})
    found = cache.get(state)
    if found is None or found[0] != key:
        try:
            found = cache[state] = (key, *_decode(path.read_bytes(), state))
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("landing counts: cannot read %s: %s", path, error)
            return None
    _stat, day, listing = found
    return listing if day == licensing.today() else None


def _encode(listing: Listing, on: date) -> bytes:
    cities = [[c.name, c.slug, c.therapists, c.lat, c.lon, c.unclaimed] for c in listing.cities]
    data = {"day": on.isoformat(), "therapists": listing.therapists,
            "unclaimed": listing.unclaimed, "cities": cities}  # fmt: skip
    return json.dumps(data, separators=(",", ":")).encode()


def _decode(raw: bytes, state: str) -> tuple[date, Listing]:
    data = json.loads(raw)
    cities = [
        City(str(name), str(slug), state, int(n), float(lat), float(lon), int(records))
        for name, slug, n, lat, lon, records in data["cities"]
    ]
    listing = Listing(cities, int(data["therapists"]), int(data["unclaimed"]))
    return date.fromisoformat(data["day"]), listing


# --- Kept by the indexer -------------------------------------------------------------------------


@dataclass
class _Keeper:
    """What the indexer remembers between polls."""

    day: date
    #: outbox.generation() when the practitioners below were last read.
    generation: tuple[int, int]
    #: Outbox ids of the last LATE_WINDOW already taken into account (a lower id may commit
    #: after a higher one on PostgreSQL: it is taken when it appears).
    seen: set[int]
    #: The practitioners listed in each state (a practitioner changed is re-counted in the
    #: states it was listed in, which its data no longer says when an office moved or went).
    listed: dict[str, set[int]]
    #: States whose file is older than what the indexer knows.
    dirty: set[str] = field(default_factory=set)
    written: float = float("-inf")
    touched: float = float("-inf")


def refresh() -> bool:
    """For the indexer (each poll): take in the outbox rows written since the last poll,
    rewrite the files of the states they touched (at most every WRITE_EVERY_SECONDS) and the
    manifest; count every state when starting or when the day turned. True when it wrote
    state files."""
    keeper: _Keeper | None = current_app.extensions.get("landing.counts.keeper")
    day = licensing.today()
    try:
        now = generation()  # read first: what is read after it is never older
        if keeper is None or keeper.day != day or now[0] < keeper.generation[0]:
            keeper = current_app.extensions["landing.counts.keeper"] = _start(day, now)
        elif now != keeper.generation:
            _take_in(keeper, now)
        wrote = False
        if keeper.dirty and time.monotonic() - keeper.written >= WRITE_EVERY_SECONDS:
            _write_states(keeper)
            wrote = True
        if wrote or time.monotonic() - keeper.touched >= TOUCH_SECONDS:
            manifest = {"pid": os.getpid(), "day": day.isoformat()}
            atomic.replace(_folder() / MANIFEST, json.dumps(manifest).encode())
            keeper.touched = time.monotonic()
        return wrote
    finally:
        db.session.rollback()  # end the read transaction: the next poll sees new commits


def _start(day: date, now: tuple[int, int]) -> _Keeper:
    seen = set(db.session.scalars(select(SearchOutbox.id).where(_recent(now[0]))))
    listed: dict[str, set[int]] = {}
    everyone = listed_here(day).subquery()
    rows = db.session.execute(select(everyone.c.practitioner_id, everyone.c.state).distinct()).all()
    for pid, state in rows:
        listed.setdefault(state, set()).add(pid)
    # Every state gets a file, the empty ones too: a state nobody is listed in is known.
    states = set(licensing.states()) | set(listed)
    return _Keeper(day, now, seen, listed, dirty=states)


def _recent(top: int):
    return SearchOutbox.id > top - LATE_WINDOW


def _take_in(keeper: _Keeper, now: tuple[int, int]) -> None:
    floor = min(keeper.generation[0], now[0]) - LATE_WINDOW
    rows = db.session.execute(
        select(SearchOutbox.id, SearchOutbox.practitioner_id).where(SearchOutbox.id > floor)
    ).all()
    fresh = [(row_id, pid) for row_id, pid in rows if row_id not in keeper.seen]
    changed = {pid for _id, pid in fresh}
    for state, pids in keeper.listed.items():
        if pids & changed:
            keeper.dirty.add(state)
            pids -= changed
    ids = sorted(changed)
    for start in range(0, len(ids), CHUNK):
        some = Office.practitioner_id.in_(ids[start : start + CHUNK])
        listed = listed_here(keeper.day).where(some).subquery()
        for pid, state in db.session.execute(
            select(listed.c.practitioner_id, listed.c.state).distinct()
        ):
            keeper.listed.setdefault(state, set()).add(pid)
            keeper.dirty.add(state)
    keeper.seen = {i for i in keeper.seen | {i for i, _pid in fresh} if i > now[0] - LATE_WINDOW}
    keeper.generation = now


def _write_states(keeper: _Keeper) -> None:
    began = time.perf_counter()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    states = sorted(keeper.dirty)
    for state in states:
        atomic.replace(folder / f"{state}.json", _encode(count(state, keeper.day), keeper.day))
    keeper.dirty.clear()
    keeper.written = time.monotonic()
    log.info(
        "landing counts: %d state(s) written in %.2f s", len(states), time.perf_counter() - began
    )
