"""The Whoosh index on disk: schema, documents built from the database, opening and swapping.

The index lives under <instance>/search/: `current` is a symlink to the live `ix-<stamp>`
directory, so a rebuild can write a new directory and swap it in while searches go on. Each index
directory records how far into the search outbox it has been brought (its high-water mark).
"""

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import whoosh
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from directory import licensing
from directory.search import geohash

# Whoosh (PyPI "Whoosh") silently replaces whoosh-reloaded's files when both are installed.
if not whoosh.versionstring().startswith("2.7.5"):
    raise RuntimeError(f"whoosh-reloaded 2.7.5 is required, found {whoosh.versionstring()}")

_stem = StemmingAnalyzer()

SCHEMA = Schema(
    pid=ID(stored=True, unique=True),
    #: JSON of what ranking, facets and the honesty rules need per result, so no DB round trip.
    data=STORED(),
    name=TEXT(field_boost=1.5),
    headline=TEXT(analyzer=_stem),
    bio=TEXT(analyzer=_stem, field_boost=0.5),
    condition_text=TEXT(analyzer=_stem, field_boost=3.0),
    modality_text=TEXT(analyzer=_stem, field_boost=2.0),
    conditions=KEYWORD(commas=True),
    modalities=KEYWORD(commas=True),
    setting=ID(),
    tenant=ID(),
    states=KEYWORD(),
    geo=KEYWORD(),
)
TEXT_FIELDS = ("name", "headline", "bio", "condition_text", "modality_text")
HWM_FILE = "outbox-hwm"


def _vocabulary_text(items) -> str:
    # " | " keeps a phrase from matching across two entries.
    return " | ".join(" ; ".join((item.name, *item.synonyms)) for item in items)


def _office_entries(practitioner, on: date) -> list[dict]:
    entries = []
    for office in licensing.listed_offices(practitioner, on):
        current = [
            lic.expires_on
            for lic in practitioner.licenses
            if lic.state == office.state and licensing.is_current(lic, on)
        ]
        verified = [
            lic.expires_on
            for lic in practitioner.licenses
            if lic.state == office.state and licensing.status(lic, on) == "verified"
        ]
        entries.append(
            {
                "id": office.id,
                "lat": office.lat,
                "lon": office.lon,
                "city": office.city,
                "state": office.state,
                "zip": office.zip,
                # Judged again at query time, so an expiry takes effect without reindexing.
                "listed_until": max(current).isoformat(),
                "badge_until": max(verified).isoformat() if verified else None,
            }
        )
    return entries


def document(practitioner, on: date | None = None) -> dict | None:
    """The index document of a practitioner, or None when it must not be searchable."""
    on = on or licensing.today()
    if not practitioner.is_publicly_visible:
        return None
    offices = _office_entries(practitioner, on)
    if not offices:
        return None
    conditions = [c.slug for c in practitioner.conditions]
    modalities = [m.slug for m in practitioner.modalities]
    cells = sorted({cell for o in offices for cell in geohash.prefixes(o["lat"], o["lon"])})
    data = {
        "pid": practitioner.id,
        "setting": practitioner.setting,
        "tenant": practitioner.tenant.slug,
        "conditions": conditions,
        "modalities": modalities,
        "offices": offices,
    }
    return {
        "pid": str(practitioner.id),
        "data": json.dumps(data, separators=(",", ":")),
        "name": f"{practitioner.name} {practitioner.credentials}",
        "headline": practitioner.headline,
        "bio": practitioner.bio,
        "condition_text": _vocabulary_text(practitioner.conditions),
        "modality_text": _vocabulary_text(practitioner.modalities),
        "conditions": ",".join(conditions),
        "modalities": ",".join(modalities),
        "setting": practitioner.setting,
        "tenant": practitioner.tenant.slug,
        "states": " ".join(sorted({o["state"] for o in offices})),
        "geo": " ".join(cells),
    }


class IndexStore:
    """The index directories of one instance and a pool of searchers kept fresh."""

    #: Idle searchers kept open per process.
    MAX_IDLE = 4

    def __init__(self, root: Path):
        self.root = root
        self.current = root / "current"
        self._lock = threading.Lock()
        self._idle: list[tuple] = []  # (path, ix, generation, searcher)
        self._pid = os.getpid()

    def exists(self) -> bool:
        """Whether there is a live index."""
        return self.current.exists()

    def live_dir(self) -> Path:
        """The live index directory, created empty when there is none yet."""
        if not self.current.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / ".create.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one process creates it; the others wait
                if not self.current.exists():
                    self.swap_in(self.new_dir())
        return Path(os.path.realpath(self.current))

    def new_dir(self) -> Path:
        """A fresh, empty index directory (not yet live)."""
        path = self.root / f"ix-{time.time_ns()}-{os.getpid()}"
        path.mkdir(parents=True)
        whoosh_index.create_in(str(path), SCHEMA)
        return path

    def swap_in(self, path: Path) -> None:
        """Make `path` the live index atomically; searchers notice on their next use."""
        tmp = self.root / f".current-{os.getpid()}-{threading.get_ident()}"
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(path.name)
        os.replace(tmp, self.current)
        self._remove_old(keep=path)

    def _remove_old(self, keep: Path) -> None:
        # Open searchers keep reading unlinked files (POSIX); keep the newest two for safety.
        old = sorted(p for p in self.root.glob("ix-*") if p != keep)
        for path in old[:-1]:
            for child in path.iterdir():
                child.unlink(missing_ok=True)
            path.rmdir()

    def open(self, path: Path | None = None):
        return whoosh_index.open_dir(str(path or self.live_dir()))

    @contextmanager
    def searcher(self) -> Iterator:
        """A searcher on the live index for the duration of the block.

        Searchers are pooled per process: a Whoosh reader keeps file cursors, so one thread
        uses it at a time; an idle one is reused when the index has not changed since it was
        opened (never Searcher.refresh(): in 2.7.5 it resurrects deleted documents).
        """
        path = self.live_dir()
        entry = None
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's files are not ours
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                candidate = self._idle.pop()
                if candidate[0] == path and candidate[1].latest_generation() == candidate[2]:
                    entry = candidate
                    break
                candidate[3].close()
        if entry is None:
            ix = self.open(path)
            generation = ix.latest_generation()
            entry = (path, ix, generation, ix.searcher())
        try:
            yield entry[3]
        finally:
            with self._lock:
                if len(self._idle) < self.MAX_IDLE and self._pid == os.getpid():
                    self._idle.append(entry)
                    entry = None
            if entry is not None:
                entry[3].close()

    def close(self) -> None:
        """Close the idle searchers (new ones open on next use)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for entry in idle:
            entry[3].close()
