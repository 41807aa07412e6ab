"""The search outbox: a row per practitioner whose searchable state changed, written in the same
transaction as the change, so a crash between commit and indexing loses nothing."""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from flask import current_app
from sqlalchemy import BigInteger, Integer, String, func, insert, inspect, literal, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as DbSession

from directory.db import UTCDateTime, db, now_utc

T = TypeVar("T")


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"
    # Ids never reused on SQLite, even after old rows are pruned: indexes remember them.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    #: No foreign key: a deleted practitioner still needs its row to leave the index.
    practitioner_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class DatabaseIdentity(db.Model):
    """One row naming this database. An index records the name it was built from, so an index
    beside a reset, replaced or restored-elsewhere database is known to be someone else's (its
    outbox ids mean nothing here)."""

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


def name_the_database(table, connection, **kw) -> None:
    """Give a database its name as its tables are made (tests, create_all; the migration does
    the same). One of extensions.LISTENERS."""
    connection.execute(table.insert().values(id=1, token=uuid.uuid4().hex, created_at=now_utc()))


def database_identity() -> str:
    """This database's name, written when its tables were made."""
    token = db.session.scalar(select(DatabaseIdentity.token).where(DatabaseIdentity.id == 1))
    if token is None:
        raise RuntimeError("database_identity has no row: run `flask --app directory db upgrade`")
    return token


def pending_count() -> int:
    """How many outbox rows wait to be indexed."""
    return db.session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


#: How far below the newest outbox id `generation` looks for rows that committed late.
LATE_WINDOW = 1000


def generation() -> tuple[int, int]:
    """A value that changes whenever a change to what search lists commits (each writes an
    outbox row in its own transaction): the newest outbox id, and how many rows there are
    among the LATE_WINDOW ids below it, so a transaction that took a lower id but committed
    after a higher one (PostgreSQL) changes it too. Two indexed range reads, whatever the size
    of the directory. Read it before the data it stands for: that data is then never older."""
    top = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    recent = db.session.scalar(
        select(func.count()).where(SearchOutbox.id > top - LATE_WINDOW, SearchOutbox.id <= top)
    )
    return top, recent or 0


def kept(name: str, fresh: Callable[[], T], *also) -> T:
    """What this process keeps under `name` (in the app) until what search lists changes
    (`generation()`, read first: what is kept under it is never older than it) or one of `also`
    does; then `fresh()` anew. A new object, not a cleared one: a thread still filling the old
    one never writes into the new."""
    key = (generation(), *also)
    holder = current_app.extensions.setdefault(name, {})
    found = holder.get("kept")
    if found is None or found[0] != key:
        found = holder["kept"] = (key, fresh())
    return found[1]


#: Key in the browser's session: the newest outbox id its own last save wrote. Its next search
#: waits (briefly) until the index has applied it, whichever worker answers: read your writes.
#: directory.unit_of_work writes it after the request's commit.
SEEN = "outbox_seen"
_WROTE = "outbox_written"


def enqueue(practitioner_ids: Iterable[int], session: DbSession | None = None) -> None:
    """Queue practitioners for indexing, in the (request's) session's transaction."""
    rows = [{"practitioner_id": pid, "created_at": now_utc()} for pid in practitioner_ids]
    if rows:
        session = session or db.session
        session.connection().execute(insert(SearchOutbox), rows)
        session.info[_WROTE] = True


def last_written(session: DbSession) -> int | None:
    """Before a commit: the newest outbox id its transaction sees when it wrote outbox rows (its
    own included; a little higher is harmless), else None. Flushes first: what the commit would
    flush next may write outbox rows too."""
    session.flush()
    if not session.info.pop(_WROTE, False):
        return None
    return session.connection().scalar(select(func.max(SearchOutbox.id)))


def forget_written(session: DbSession) -> None:
    """After a rollback: its outbox rows are gone (one of extensions.LISTENERS)."""
    session.info.pop(_WROTE, None)


def enqueue_linked(link_column, ids: list[int], session: DbSession | None = None) -> None:
    """Queue every practitioner linked through `link_column` (practitioner_condition.c.
    condition_id, say) to one of `ids`, in the (request's) session's transaction."""
    if not ids:
        return
    table = link_column.table
    session = session or db.session
    session.connection().execute(
        insert(SearchOutbox).from_select(
            ["practitioner_id", "created_at"],
            select(table.c.practitioner_id, literal(now_utc(), UTCDateTime()))
            .where(link_column.in_(ids))
            .distinct(),
        )
    )
    session.info[_WROTE] = True


def _affected(session: DbSession) -> tuple[set[int], set[int], dict]:
    from directory.practices.models import Tenant
    from directory.practitioners.models import (
        License,
        Office,
        Practitioner,
        Specialty,
        practitioner_condition,
        practitioner_modality,
    )
    from directory.vocabulary import Condition, Modality

    practitioner_ids: set[int] = set()
    tenant_ids: set[int] = set()
    # A vocabulary entry's name and synonyms are indexed with every profile listing it
    # (vocabulary.sync changes them): by link column, the entries whose text changed.
    retexted = {practitioner_condition.c.condition_id: [], practitioner_modality.c.modality_id: []}
    links = dict(zip((Condition, Modality), retexted, strict=True))
    # session.dirty builds a new set on every access: take it once.
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Practitioner):
            practitioner_ids.add(obj.id)
        elif isinstance(obj, License | Office | Specialty):
            pid = obj.practitioner_id or (obj.practitioner.id if obj.practitioner else None)
            if pid is not None:
                practitioner_ids.add(pid)
        elif isinstance(obj, Tenant) and obj not in session.new:
            tenant_ids.add(obj.id)
        elif isinstance(obj, Condition | Modality) and obj not in session.new:
            attrs = inspect(obj).attrs
            if attrs.name.history.has_changes() or attrs.synonyms.history.has_changes():
                retexted[links[type(obj)]].append(obj.id)
    return practitioner_ids, tenant_ids, retexted


def write_outbox(session: DbSession, flush_context) -> None:
    """After each flush, in its transaction: an outbox row per practitioner it changed (every
    profile of a changed practice). One of extensions.LISTENERS."""
    # after_flush: ids of new rows exist and the new/dirty/deleted sets still describe the flush.
    from directory.practitioners.models import Practitioner

    practitioner_ids, tenant_ids, retexted = _affected(session)
    practitioner_ids.discard(None)
    for link_column, ids in retexted.items():
        enqueue_linked(link_column, ids, session)
    enqueue(sorted(practitioner_ids), session)
    if tenant_ids:
        session.connection().execute(
            insert(SearchOutbox).from_select(
                ["practitioner_id", "created_at"],
                select(Practitioner.id, literal(now_utc(), UTCDateTime())).where(
                    Practitioner.tenant_id.in_(tenant_ids)
                ),
            )
        )
        session.info[_WROTE] = True
