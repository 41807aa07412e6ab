"""Counting without writing on every read: each process adds to a dict in memory and writes it
every few seconds, and when it exits, in one small transaction.

A profile page or a search stays a read: its request only adds to `Tally` (a lock and a dict).
A thread of each process writes what was added every INSIGHTS_FLUSH_SECONDS as one upsert
(`n = n + excluded.n`), so the database sees one short write per process every few seconds
whatever the traffic (README, "Insights"). What a process had not written when it was killed
(SIGKILL, a power cut) is lost: at most a few seconds of counts, never a visitor's request.
"""

import atexit
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from directory.db import db, now_utc, writing
from directory.insights.models import InsightCount
from directory.practitioners.models import Practitioner

log = logging.getLogger(__name__)

#: (profile id, week, kind, need, place): one row of InsightCount.
Key = tuple[int, date, str, str, str]
#: Longest need and place kept (the columns' lengths).
MAX_KEY = 80


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
        """Write the counts added so far (one transaction); how many. Kept for the next flush
        when the database cannot take them now."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            with self.app.app_context():
                _write(counts)
        except SQLAlchemyError as error:
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


def _write(counts: Counter) -> None:
    ids = {key[0] for key in counts}
    with writing(), db.engine.begin() as conn:
        # A profile deleted since it was counted takes its counts with it.
        live = set(conn.scalars(select(Practitioner.id).where(Practitioner.id.in_(ids))))
        rows = [
            {"practitioner_id": pid, "week": week, "kind": kind, "need": need, "place": place,
             "n": n}
            for (pid, week, kind, need, place), n in counts.items()
            if pid in live
        ]  # fmt: skip
        if rows:
            conn.execute(_upsert(conn.dialect.name), rows)


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
