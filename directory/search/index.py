"""The Whoosh index on disk: schema, documents read in bulk from the database, opening, swapping.

Whoosh holds what only it does well, analysed text for BM25; everything the engine filters, counts
or ranks on (setting, tags, practice, offices with their listing and badge dates, client-filter
flags) travels in one `facts` column per document, read in bulk once per segment by `columns`.

The index lives under <instance>/search/: `current` is a symlink to the live `ix-<stamp>`
directory, so a rebuild can write a new directory and swap it in while searches go on. Each index
directory records how far into the search outbox it has been brought (its high-water mark) and
the schema version it was written with (an older one is rebuilt, never read).
"""

import fcntl
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import whoosh
from sqlalchemy import select
from whoosh import columns
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer, Token
from whoosh.fields import COLUMN, ID, TEXT, Schema

from directory import licensing, specialties
from directory.db import db
from directory.practitioners.models import (
    License,
    Office,
    Practitioner,
    Specialty,
    practitioner_condition,
    practitioner_modality,
)
from directory.practitioners.profiles import visible
from directory.search.columns import SegmentCache
from directory.vocabulary import Condition, Modality

# Whoosh (PyPI "Whoosh") silently replaces whoosh-reloaded's files when both are installed.
if not whoosh.versionstring().startswith("2.7.5"):
    raise RuntimeError(f"whoosh-reloaded 2.7.5 is required, found {whoosh.versionstring()}")

_stem = StemmingAnalyzer(cachesize=50_000)


class EntryAnalyzer:
    """The stemming analyzer for vocabulary text ("name ; synonym | name ; ..."), remembering
    each entry's tokens: every profile repeats a few hundred entries, so a rebuild analyses
    each once instead of once per profile. Same tokens as `_stem` (no positions are kept)."""

    def __init__(self):
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def __getstate__(self):  # the schema is pickled into the index: leave the cache out
        return {}

    def __setstate__(self, state):
        self._cache = {}

    def __call__(self, value: str, mode: str = "", **kwargs):
        token = Token(mode=mode)
        token.boost, token.stopped = 1.0, False
        for entry in value.split(" | "):
            texts = self._cache.get((mode, entry))
            if texts is None:
                texts = tuple(t.text for t in _stem(entry, mode=mode))
                if len(self._cache) < 100_000:
                    self._cache[(mode, entry)] = texts
            for text in texts:
                token.text = text
                yield token


_entries = EntryAnalyzer()

#: Bumped whenever the schema or the facts change shape: an index of another version is rebuilt.
SCHEMA_VERSION = 5
SCHEMA = Schema(
    pid=ID(unique=True),
    #: JSON of the structured data (see `facts`), read per segment into arrays, never per hit.
    facts=COLUMN(columns.VarBytesColumn()),
    # No positions: visitors cannot type phrases, so postings keep frequencies only.
    name=TEXT(field_boost=1.5, phrase=False),
    headline=TEXT(analyzer=_stem, phrase=False),
    bio=TEXT(analyzer=_stem, field_boost=0.5, phrase=False),
    condition_text=TEXT(analyzer=_entries, field_boost=3.0, phrase=False),
    modality_text=TEXT(analyzer=_entries, field_boost=2.0, phrase=False),
)
TEXT_FIELDS = ("name", "headline", "bio", "condition_text", "modality_text")
HWM_FILE = "outbox-hwm"
VERSION_FILE = "schema-version"
#: Practitioners read from the database per round of queries.
LOAD_BATCH = 2000


@dataclass
class Profile:
    """What the index needs of one practitioner, read in bulk (duck-types for `licensing`)."""

    id: int
    tenant_id: int
    name: str
    credentials: str
    headline: str
    bio: str
    setting: str | None
    claimed: bool
    accepting_new_clients: bool
    in_home: bool
    languages: list
    price_min: int | None
    price_max: int | None
    accepts_physician_referrals: bool
    hsa_fsa: bool
    gender: str
    visible: bool
    licenses: list = field(default_factory=list)
    offices: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    modalities: list = field(default_factory=list)
    specialties: list = field(default_factory=list)


_PROFILE_COLUMNS = [
    Practitioner.__table__.c[name] for name in Profile.__dataclass_fields__
    if name in Practitioner.__table__.c
]  # fmt: skip


def _vocabulary(model) -> dict[int, tuple[str, str]]:
    # id -> (slug, searchable text); " ; " joins a name with its synonyms.
    return {
        row.id: (row.slug, " ; ".join((row.name, *row.synonyms)))
        for row in db.session.execute(select(model.id, model.slug, model.name, model.synonyms))
    }


def load_profiles(ids: Iterable[int]) -> Iterator[Profile]:
    """Profiles of these practitioner ids, a few queries per LOAD_BATCH rows; ids no longer in
    the database are skipped."""
    ids = list(ids)
    conditions, modalities = _vocabulary(Condition), _vocabulary(Modality)
    for start in range(0, len(ids), LOAD_BATCH):
        batch = ids[start : start + LOAD_BATCH]
        shown = set(
            db.session.scalars(
                visible().with_only_columns(Practitioner.id).where(Practitioner.id.in_(batch))
            )
        )
        rows = db.session.execute(
            select(*_PROFILE_COLUMNS).where(Practitioner.id.in_(batch)).order_by(Practitioner.id)
        )
        profiles = {row.id: Profile(**row._asdict(), visible=row.id in shown) for row in rows}
        for lic in db.session.execute(
            select(License.practitioner_id, License.state, License.status, License.expires_on)
            .where(License.practitioner_id.in_(batch))
            .order_by(License.state)
        ):
            profiles[lic.practitioner_id].licenses.append(lic)
        for held in db.session.execute(
            select(Specialty.practitioner_id, Specialty.kind, Specialty.expires_on).where(
                Specialty.practitioner_id.in_(batch), Specialty.status == "verified"
            )
        ):
            profiles[held.practitioner_id].specialties.append(held)
        for office in db.session.execute(
            select(Office.practitioner_id, Office.id, Office.state, Office.lat, Office.lon)
            .where(Office.practitioner_id.in_(batch))
            .order_by(Office.id)
        ):
            profiles[office.practitioner_id].offices.append(office)
        for table, column, names, attr in (
            (practitioner_condition, "condition_id", conditions, "conditions"),
            (practitioner_modality, "modality_id", modalities, "modalities"),
        ):
            links = defaultdict(list)
            for pid, tag in db.session.execute(
                select(table.c.practitioner_id, table.c[column]).where(
                    table.c.practitioner_id.in_(batch)
                )
            ):
                links[pid].append(names[tag])
            for pid, tags in links.items():
                getattr(profiles[pid], attr).extend(tags)
        yield from profiles.values()


def _office_facts(profile: Profile, on: date) -> list[list]:
    offices = []
    for office in licensing.listed_offices(profile, on):
        in_state = [lic for lic in profile.licenses if lic.state == office.state]
        # A license whose expiry the source does not say (NPPES) is current until it does.
        current = [lic.expires_on or date.max for lic in in_state if licensing.is_current(lic, on)]
        verified = [
            lic.expires_on or date.max
            for lic in in_state
            if licensing.status(lic, on) == "verified" and licensing.licenses_massage(lic.state)
        ]
        # The last day each is true, judged again at query time: an expiry takes effect without
        # reindexing. 0 means never.
        offices.append(
            [
                office.id,
                office.lat,
                office.lon,
                office.state,
                max(current).toordinal(),
                max(verified).toordinal() if verified else 0,
            ]
        )
    return offices


def document(profile: Profile, on: date | None = None) -> dict | None:
    """The index document of a practitioner, or None when it must not be searchable."""
    on = on or licensing.today()
    if not profile.visible:
        return None
    offices = _office_facts(profile, on)
    if not offices:
        return None
    facts = {
        "pid": profile.id,
        "setting": profile.setting,
        "claimed": profile.claimed,
        "tenant": profile.tenant_id,
        "conditions": [slug for slug, _text in profile.conditions],
        "modalities": [slug for slug, _text in profile.modalities],
        "offices": offices,
        # Verified ones only, with the last day each counts (judged again at query time).
        "specialties": [
            [held.kind, specialties.last_day(held.expires_on)]
            for held in profile.specialties
            if specialties.last_day(held.expires_on) >= on.toordinal()
        ],
        "accepting": profile.accepting_new_clients,
        "in_home": profile.in_home,
        "hsa_fsa": profile.hsa_fsa,
        "referrals": profile.accepts_physician_referrals,
        "price_min": profile.price_min,
        "price_max": profile.price_max,
        "languages": list(profile.languages or ()),
        "gender": profile.gender or "",
    }
    return {
        "pid": str(profile.id),
        "facts": json.dumps(facts, separators=(",", ":")).encode(),
        "name": f"{profile.name} {profile.credentials}",
        "headline": profile.headline,
        "bio": profile.bio,
        # " | " keeps a phrase from matching across two entries.
        "condition_text": " | ".join(text for _slug, text in profile.conditions),
        "modality_text": " | ".join(text for _slug, text in profile.modalities),
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
        #: Decoded segments and postings; valid across a fork (segments never change).
        self.columns = SegmentCache()

    def exists(self) -> bool:
        """Whether there is a live index of the current schema version."""
        return self.current.exists() and _version(self.current) == SCHEMA_VERSION

    def live_dir(self) -> Path:
        """The live index directory, created empty when there is none of this version yet."""
        if not self.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / ".create.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one process creates it; the others wait
                if not self.exists():
                    self.swap_in(self.new_dir())
        return Path(os.path.realpath(self.current))

    def new_dir(self) -> Path:
        """A fresh, empty index directory (not yet live)."""
        path = self.root / f"ix-{time.time_ns()}-{os.getpid()}"
        path.mkdir(parents=True)
        whoosh_index.create_in(str(path), SCHEMA)
        path.joinpath(VERSION_FILE).write_text(str(SCHEMA_VERSION))
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
            entry = self._open_entry(path)
        try:
            yield entry[3]
        finally:
            with self._lock:
                if len(self._idle) < self.MAX_IDLE and self._pid == os.getpid():
                    self._idle.append(entry)
                    entry = None
            if entry is not None:
                entry[3].close()

    #: Tries at opening a searcher while swaps and writers remove the files under it.
    OPEN_TRIES = 3

    def _open_entry(self, path: Path) -> tuple:
        """A new (path, ix, generation, searcher) on `path`, or on the live index found again
        (`open_live`)."""
        return self.open_live(path, lambda ix: (ix.latest_generation(), ix.searcher()))

    def open_live(self, path: Path, then=lambda ix: ()) -> tuple:
        """(path, ix, *then(ix)) for the index at `path`. A rebuild in another process may swap
        and remove that directory, or another process's commit remove the table of contents or
        a segment, between finding the live index and opening its files: then the live index
        is found again, up to OPEN_TRIES times."""
        for attempt in range(self.OPEN_TRIES):
            try:
                ix = self.open(path)
                return (path, ix, *then(ix))
            except (FileNotFoundError, whoosh_index.EmptyIndexError):
                if attempt == self.OPEN_TRIES - 1:
                    raise
                path = self.live_dir()

    def close(self) -> None:
        """Close the idle searchers (new ones open on next use)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for entry in idle:
            entry[3].close()


def _version(path: Path) -> int | None:
    try:
        return int(path.joinpath(VERSION_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
