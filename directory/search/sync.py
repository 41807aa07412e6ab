"""Keeping the index caught up with the database: drain the outbox, rebuild from scratch.

Each index directory remembers the highest outbox id it applied plus the lower ids it has not
seen yet ("gaps": on PostgreSQL a transaction can commit after a later id was applied, or roll
back and never commit). A drain applies every row above the mark or in a gap, re-indexing each
practitioner from its current database state, so order and duplicates do not matter and a replay
after a crash is harmless.
"""

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app, has_request_context
from flask import session as browser_session
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from whoosh.index import LockError

from directory import atomic, licensing
from directory.db import db, first_line, now_utc, unavailable, writing
from directory.practitioners.models import Practitioner
from directory.practitioners.profiles import visible
from directory.search import columns
from directory.search.index import HWM_FILE, IndexStore, document, load_profiles
from directory.search.outbox import SEEN, SearchOutbox, database_identity

log = logging.getLogger(__name__)

#: A gap older than this is taken for a rolled-back transaction and forgotten.
GAP_TTL_SECONDS = 600
BATCH = 500
#: Below this many profiles a rebuild runs in-process: starting workers costs more than it saves.
PARALLEL_FROM = 5000


@dataclass
class Mark:
    hwm: int = 0
    #: outbox id -> when it was first found missing (epoch seconds)
    gaps: dict[int, float] = field(default_factory=dict)
    #: False once outbox rows this index never applied were pruned (it misses those changes).
    complete: bool = True
    #: The database it was built from (outbox.database_identity); None: not known yet.
    database: str | None = None


def store() -> IndexStore:
    """The index store of the current app."""
    return current_app.extensions["search_store"]


def read_mark(path: Path) -> Mark:
    try:
        raw = json.loads(path.joinpath(HWM_FILE).read_text())
        gaps = {int(k): v for k, v in raw.get("gaps", {}).items()}
        database = raw.get("database")
        return Mark(
            raw["hwm"],
            gaps,
            raw.get("complete", True) is True,
            database if isinstance(database, str) else None,
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return Mark()


def write_mark(path: Path, mark: Mark) -> None:
    raw = {"hwm": mark.hwm, "gaps": mark.gaps, "complete": mark.complete, "database": mark.database}
    atomic.replace(path.joinpath(HWM_FILE), json.dumps(raw).encode())


def _pending_clause(mark: Mark):
    clause = SearchOutbox.id > mark.hwm
    if mark.gaps:
        clause = or_(clause, SearchOutbox.id.in_(sorted(mark.gaps)))
    return clause


def pending(path: Path | None = None) -> int:
    """Outbox rows the live index has not applied yet."""
    mark = read_mark(path or store().live_dir())
    return db.session.scalar(select(func.count()).where(_pending_clause(mark))) or 0


def _apply(writer, ids: list[int], on: date) -> None:
    docs = {profile.id: document(profile, on) for profile in load_profiles(ids)}
    for pid in ids:
        doc = docs.get(pid)
        if doc is None:
            writer.delete_by_term("pid", str(pid))
        else:
            writer.update_document(**doc)


def _advance(mark: Mark, applied: list[int]) -> Mark:
    now = time.time()
    seen = set(applied)
    top = max(applied, default=mark.hwm)
    gaps = {i: t for i, t in mark.gaps.items() if i not in seen and now - t < GAP_TTL_SECONDS}
    # Only recent holes can still fill (a slow transaction); older ones were rolled back/pruned.
    for missing in range(max(mark.hwm + 1, top - 1000), top):
        if missing not in seen:
            gaps.setdefault(missing, now)
    return Mark(max(mark.hwm, top), gaps, mark.complete, mark.database)


def drain(*, timeout: float = 30.0, max_rows: int | None = None) -> int:
    """Apply pending outbox rows to the live index; returns how many rows were applied.

    Returns 0 at once when another process holds the index's write lock (its rows wait).
    """
    index_store = store()
    path = index_store.live_dir()
    if pending(path) == 0:
        return 0
    path, ix = index_store.open_live(path)
    try:
        writer = ix.writer(timeout=timeout, compound=False)
    except LockError:
        return 0
    try:
        mark = read_mark(path)  # re-read under the lock: another process may have moved it
        oldest = db.session.scalar(select(func.min(SearchOutbox.id)))
        if oldest is not None and oldest > mark.hwm + 1:
            mark.complete = False  # rows above the mark were pruned before it applied them
        if mark.database is None and mark.hwm == 0:
            mark.database = database_identity()  # a new, empty index: it starts from here
        query = select(SearchOutbox.id, SearchOutbox.practitioner_id).where(_pending_clause(mark))
        if max_rows is not None:
            query = query.order_by(SearchOutbox.id).limit(max_rows)
        rows = db.session.execute(query).all()
        # Each practitioner once per writer: two update_document calls for one key in one
        # writer leave two documents.
        ids = list(dict.fromkeys(pid for _id, pid in rows))
        for start in range(0, len(ids), BATCH):
            _apply(writer, ids[start : start + BATCH], licensing.today())
        mark = _advance(mark, [row_id for row_id, _pid in rows])
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    write_mark(path, mark)
    _prepare_columns(path)
    return len(rows)


def _prepare_columns(path: Path) -> None:
    """Decode (and keep beside the segments) the facts and postings of new segments here, once,
    so searchers load and map arrays instead; drop those of segments merged away."""
    index_store = store()
    path, ix = index_store.open_live(path)
    with ix.searcher() as searcher:
        segments = index_store.columns.segments(searcher)
        # Writing postings costs ~5 s of CPU per 160k documents: an indexer's (or a rebuild's)
        # work, never a request's (one catching up leaves them; searchers step the matcher).
        if not has_request_context():
            for key, _segment, reader in segments:
                columns.write_postings(reader, key)
    columns.forget_persisted(path, {key for key, _segment, _reader in segments})


#: How long a search waits for the index to apply the browser's own last save.
OWN_WRITE_WAIT_SECONDS = 3.0


def catch_up() -> None:
    """Apply pending rows before a search when no indexer process has (short lock wait; rows
    another process is applying wait for the next request). A browser whose own save is not
    in the index yet waits for it, briefly, whichever worker answers (read your writes)."""
    if pending():
        drain(timeout=0.2, max_rows=2000)
    own = browser_session.get(SEEN) if has_request_context() else None
    if not isinstance(own, int):
        return
    deadline = time.monotonic() + OWN_WRITE_WAIT_SECONDS
    while not _applied(own) and time.monotonic() < deadline:
        drain(timeout=0.2, max_rows=2000)  # returns at once while another process applies
        db.session.rollback()  # a new snapshot: rows committed meanwhile become visible
        time.sleep(0.02)
    browser_session.pop(SEEN, None)


def _applied(outbox_id: int) -> bool:
    mark = read_mark(store().live_dir())
    return outbox_id <= mark.hwm and outbox_id not in mark.gaps


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Build a new index from the database, swap it in, then apply what changed meanwhile."""
    index_store = store()
    top = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    present = set(db.session.scalars(select(SearchOutbox.id).where(SearchOutbox.id > top - 1000)))
    now = time.time()
    gaps = {i: now for i in range(max(1, top - 999), top + 1) if i not in present}
    mark = Mark(top, gaps, database=database_identity())
    path = index_store.new_dir()
    ix = index_store.open(path)
    ids = db.session.scalars(
        visible().with_only_columns(Practitioner.id).order_by(Practitioner.id)
    ).all()
    procs = current_app.config.get("SEARCH_REBUILD_PROCS") or os.cpu_count() or 1
    if procs > 1 and len(ids) >= PARALLEL_FROM:
        # Analysis in `procs` processes, one segment each (no final merge): measured fastest.
        writer = ix.writer(procs=procs, multisegment=True, compound=False, limitmb=128)
    else:
        writer = ix.writer(compound=False, limitmb=128)
    on = licensing.today()
    count = 0
    try:
        for profile in load_profiles(ids):
            doc = document(profile, on)
            if doc is not None:
                writer.add_document(**doc)
                count += 1
            if progress:
                progress(1)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    write_mark(path, mark)
    _prepare_columns(path)
    index_store.swap_in(path)
    drain()
    return count


def problem() -> str | None:
    """Why the live index cannot be trusted to hold every publishable profile, or None."""
    index_store = store()
    if not index_store.exists():
        return "the index is missing"
    path = index_store.live_dir()
    mark = read_mark(path)
    if mark.database is None and mark.hwm > 0:
        return "the index does not say which database it was built from"
    if mark.database is not None and mark.database != database_identity():
        return "the index was built from another database"
    oldest = db.session.scalar(select(func.min(SearchOutbox.id)))
    if not mark.complete or (oldest is not None and oldest > mark.hwm + 1):
        return "the index missed changes whose outbox rows were pruned"
    with index_store.searcher() as searcher:
        indexed = searcher.doc_count()
    if indexed == 0:
        publishable = db.session.scalar(select(func.count()).select_from(visible().subquery()))
        if publishable:
            return f"the index is missing {publishable} publishable profiles"
    return None


def status() -> dict[str, int]:
    """Documents indexed, practitioners publishable, outbox rows pending."""
    with store().searcher() as searcher:
        indexed = searcher.doc_count()
    publishable = db.session.scalar(select(func.count()).select_from(visible().subquery()))
    return {
        "indexed": indexed,
        "publishable": publishable or 0,
        "pending": pending(),
    }


def prune(older_than_days: int = 7) -> int:
    """Delete outbox rows every index should have applied long ago; returns how many."""
    from datetime import timedelta

    cutoff = now_utc() - timedelta(days=older_than_days)
    result = db.session.execute(delete(SearchOutbox).where(SearchOutbox.created_at < cutoff))
    return result.rowcount or 0


#: The indexer: seconds between checks of the index's completeness, the longest wait after
#: failures, outbox rows' age before pruning and how often they are pruned.
CHECK_EVERY_SECONDS = 10
MAX_BACKOFF_SECONDS = 30
PRUNE_AFTER_DAYS = 7
PRUNE_EVERY_SECONDS = 3600


def serve(
    *,
    interval: float = 1.0,
    say: Callable[[str], None] = log.info,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    chores: Callable[[], object] = lambda: None,
) -> None:
    """The indexer process: apply outbox rows as they come, rebuild an index that cannot be
    trusted (missing, empty, or missing pruned changes), prune old rows, and run `chores`
    each poll (periodic work kept off the web workers, which decides itself when it is due).
    A database error or a lock timeout is logged and retried with a growing wait (up to
    MAX_BACKOFF_SECONDS), forever: only a signal (or `stop()`) ends it."""
    wait = interval
    last_check = last_prune = float("-inf")
    while not stop():
        try:
            if time.monotonic() - last_check >= CHECK_EVERY_SECONDS:
                why = problem()
                if why:
                    say(f"{why}: rebuilding it from the database")
                    say(f"Indexed {rebuild()} practitioner(s).")
                elif last_check == float("-inf"):
                    # An index written before postings were kept (or whose indexer stopped
                    # mid-way) gets them now, not at its next change.
                    _prepare_columns(store().live_dir())
                last_check = time.monotonic()
            applied = drain()
            db.session.rollback()  # end the read transaction: the next poll sees new commits
            if applied:
                say(f"Applied {applied} outbox row(s).")
            if time.monotonic() - last_prune >= PRUNE_EVERY_SECONDS:
                with writing():
                    pruned = prune(older_than_days=PRUNE_AFTER_DAYS)
                    db.session.commit()
                if pruned:
                    say(f"Pruned {pruned} outbox row(s) older than {PRUNE_AFTER_DAYS} days.")
                last_prune = time.monotonic()
            chores()
            wait = interval
        except (SQLAlchemyError, LockError, OSError) as error:
            # The database away says so in a line each retry; anything else with its traceback.
            away = unavailable(error)
            said = first_line(error) if away else str(error)
            log.warning("indexer: %s; retrying in %.0f s", said, wait, exc_info=not away)
            say(f"Indexer error ({type(error).__name__}); retrying in {wait:.0f} s.")
            try:
                db.session.rollback()
            except SQLAlchemyError:
                db.session.remove()  # a dead connection: the next attempt takes a new one
            sleep(wait)
            wait = min(wait * 2, MAX_BACKOFF_SECONDS)
            continue
        sleep(interval)
