"""Counting without writing on every read: each web process adds to a dict in memory and hands
it every few seconds, and when it exits, to the indexer as a spool file, which the indexer folds
into the database in one small transaction.

A profile page or a search stays a read: its request only adds to `Tally` (a lock and a dict).
A thread of each web process writes what was added every INSIGHTS_FLUSH_SECONDS to a file of its
own under `<instance>/insights/` (atomic.replace: the indexer sees all of it or none). The
indexer (`search drain --forever`, which has no visitors to serve) adds each file's counts in
one upsert (`n = n + excluded.n`) and removes the files once that committed (README,
"Insights"). Not a write from the web process itself: a web worker's threads share one GIL
with the requests, and a transaction begun there waits for it between statements, holding
SQLite's write lock meanwhile (measured: waits of 200-470 ms for other writers under load).
What a process had not handed over when it was killed (SIGKILL) is lost: a few seconds of counts.
"""

import atexit
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from directory import atomic
from directory.db import db, now_utc, writing
from directory.insights.models import InsightCount
from directory.practitioners.models import Practitioner

log = logging.getLogger(__name__)

#: (profile id, week, kind, need, place): one row of InsightCount.
Key = tuple[int, date, str, str, str]
#: Longest need and place kept (the columns' lengths).
MAX_KEY = 80
#: Spool files the indexer folds in one transaction (more wait for its next poll).
FOLD_FILES = 200


def week_of(day: date) -> date:
    """The Monday of `day`'s week: weeks are counted from Monday, UTC."""
    return day - timedelta(days=day.weekday())


def this_week() -> date:
    return week_of(now_utc().date())


def place_key(place) -> str:
    """Where a search looked, at most as precisely as a city or a ZIP code's first three
    digits (a geo.Place; None: nowhere)."""
    if place is None:
        return ""
    if place.kind == "zip" and place.zip:
        return f"ZIP {place.zip[:3]}xx"
    if place.kind == "state" or not place.city:
        return place.state
    return f"{place.city}, {place.state}"[:MAX_KEY]


class Tally:
    """One process's counts not written yet; `add` from any thread, `flush` to write them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        #: The process whose thread writes the counts (a forked worker starts its own).
        self._pid: int | None = None

    def add(self, keys: Iterable[Key]) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            self._counts.update(keys)

    def pending(self) -> int:
        """How many counts wait to be written."""
        with self._lock:
            return sum(self._counts.values())

    def flush(self) -> int:
        """Hand the counts added so far to the indexer (a spool file); how many. Kept for the
        next flush when the file cannot be written (a full disk)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        rows = [[pid, week.isoformat(), kind, need, place, n]
                for (pid, week, kind, need, place), n in counts.items()]  # fmt: skip
        folder = spool(self.app)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic.replace(
                folder / f"{os.getpid()}-{time.time_ns()}.json", json.dumps(rows).encode()
            )
        except OSError as error:
            log.warning("insights: counts kept for the next flush: %s", error)
            with self._lock:
                self._counts.update(counts)
            return 0
        return sum(counts.values())

    def _start(self) -> None:
        # Called with the lock held, in a new process: what a parent had counted was its own.
        self._pid = os.getpid()
        self._counts.clear()
        seconds = self.app.config["INSIGHTS_FLUSH_SECONDS"]
        if not seconds:
            return  # written only when asked (tests)
        threading.Thread(
            target=self._keep_flushing, args=(seconds,), name="insights-flush", daemon=True
        ).start()
        atexit.register(self.flush)

    def _keep_flushing(self, seconds: float) -> None:
        stop = threading.Event()
        while not stop.wait(seconds):
            try:
                self.flush()
            except Exception:  # never let the thread die: counting would stop silently
                log.exception("insights: flush failed")


def spool(app: Flask) -> Path:
    """The folder of counts handed to the indexer."""
    return Path(app.instance_path) / "insights"


def fold() -> int:
    """For the indexer (each poll): add the spooled counts to the database, in one transaction,
    and remove their files once it committed; how many counts. A database error leaves the
    files for the next poll."""
    files = sorted(spool(current_app).glob("*.json"))[:FOLD_FILES]
    if not files:
        return 0
    counts: Counter[Key] = Counter()
    for path in list(files):
        try:
            rows = json.loads(path.read_bytes())
            for pid, week, kind, need, place, n in rows:
                counts[int(pid), date.fromisoformat(week), kind, need, place] += int(n)
        except (ValueError, TypeError) as error:  # never written by us: set aside, not retried
            log.warning("insights: %s is not a spool file (%s); renamed .bad", path.name, error)
            path.rename(path.with_suffix(".bad"))
            files.remove(path)
    _write(counts)
    for path in files:
        path.unlink(missing_ok=True)
    return sum(counts.values())


def fold_if_due() -> int:
    """`fold`, at most every INSIGHTS_FOLD_SECONDS (the indexer's chore)."""
    last = current_app.extensions.setdefault("insights.folded", [float("-inf")])
    if time.monotonic() - last[0] < current_app.config["INSIGHTS_FOLD_SECONDS"]:
        return 0
    last[0] = time.monotonic()
    return fold()


def _write(counts: Counter) -> None:
    if not counts:
        return
    ids = {key[0] for key in counts}
    with db.engine.connect() as conn:
        # Read before the write lock is taken. A profile deleted since it was counted takes
        # its counts with it (one deleted in between fails the fold: retried next poll).
        live = set(conn.scalars(select(Practitioner.id).where(Practitioner.id.in_(ids))))
        conn.commit()
        rows = [
            {"practitioner_id": pid, "week": week, "kind": kind, "need": need, "place": place,
             "n": n}
            for (pid, week, kind, need, place), n in counts.items()
            if pid in live and kind in ("view", "appearance")
        ]  # fmt: skip
        if not rows:
            return
        statement = _upsert(conn.dialect.name)
        with writing():
            conn.execute(statement, rows)
            conn.commit()


def _upsert(dialect: str):
    table = InsightCount.__table__
    insert = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"n": table.c.n + insert.excluded.n},
    )


def init_app(app: Flask) -> None:
    app.extensions["insights"] = Tally(app)


def of(app: Flask) -> Tally:
    """The app's tally."""
    return app.extensions["insights"]
