"""The database handle, the declarative base and the engine-level settings every connection gets
(registered with every other session and engine listener in directory.extensions.listen).

A request's changes commit once, in `directory.unit_of_work`; the session keeps what it loaded
after a commit (expire_on_commit=False), so reading an attribute then opens no new transaction.
The few commits elsewhere are commands and the named helpers below (`without_write_lock`,
`short_write`), each saying why it ends a transaction early."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CheckConstraint, Date, DateTime, Integer, MetaData, literal, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

#: Constraint names Alembic can rely on (SQLite batch migrations need named constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: True inside writing() and short_write(), False inside without_write_lock(), None: by the
#: request's method.
_write_intent: ContextVar[bool | None] = ContextVar("write_intent", default=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: expire_on_commit=False: what a transaction loaded stays readable after its commit (a redirect
#: naming a slug, a flash naming a practice) without a second transaction to read it again.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


#: SQLite's codes for a database it cannot use now: busy, locked, cannot open the file.
_SQLITE_AWAY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN}
#: PostgreSQL's codes for a server that is going away or full of connections (class 08 too).
_POSTGRES_AWAY = {"57P01", "57P02", "57P03", "53300"}


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is away for now (connection refused or dropped, the
    pool exhausted, the server shutting down, SQLite busy), not that the code asked it
    something wrong (no such table, a syntax error, a cancelled query): those are bugs."""
    if isinstance(error, sa_exc.TimeoutError):  # no connection free in the pool
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return getattr(error.orig, "sqlite_errorcode", None) in _SQLITE_AWAY
    # psycopg: an error the server sent has its SQLSTATE; none means the client could not
    # reach it (refused, timed out, closed).
    state = getattr(error.orig, "sqlstate", None)
    return state is None or state.startswith("08") or state in _POSTGRES_AWAY


def first_line(error: BaseException) -> str:
    """What a log line says of a database error: the driver's first line, no statement."""
    said = str(getattr(error, "orig", None) or error).strip()
    return said.splitlines()[0] if said else type(error).__name__


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC (the same on SQLite and PostgreSQL), read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; use now_utc()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


@contextmanager
def writing() -> Iterator[None]:
    """Mark the transactions begun inside as writers (SQLite takes the write lock up front)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def without_write_lock() -> Iterator[None]:
    """Slow work (password hashing) outside any write transaction: the transaction in progress
    ends first (it must hold no unflushed change), reads inside run in a transaction that takes
    no write lock, and that ends too on the way out. A writer's next statement then begins a
    short transaction of its own: on SQLite nobody waits for a hash to be computed."""
    with _apart(write=False):
        yield


@contextmanager
def short_write() -> Iterator[None]:
    """A write that commits at once in a transaction of its own, begun as a writer, apart from
    the request's unit of work: a GET noting something (a session's last use, a message read)
    takes the write lock only for that, and a later error does not undo it."""
    with _apart(write=True):
        yield


@contextmanager
def _apart(*, write: bool) -> Iterator[None]:
    # The deliberate commits outside directory.unit_of_work: the transaction in progress ends,
    # the block runs in one of its own, and that one commits on the way out. What was loaded
    # before is then read again in the next transaction (expire_all), so a change made
    # meanwhile by another request is seen, not overwritten (session_version += 1).
    db.session.commit()
    token = _write_intent.set(write)
    try:
        yield
    finally:
        _write_intent.reset(token)
    db.session.commit()
    db.session.expire_all()


def unless_taken(answer, operation: Callable, /, *args, **kwargs):
    """`operation(*args, **kwargs)`, flushed at once; `answer` instead, its transaction rolled
    back, when a unique value it wrote was taken a moment ago by a simultaneous request
    (IntegrityError). The request commits later (directory.unit_of_work): flushing here is what
    lets a view still choose its answer to a race it lost (once more, or a message)."""
    try:
        result = operation(*args, **kwargs)
        db.session.flush()
    except sa_exc.IntegrityError:
        db.session.rollback()
        return answer
    return result


def _wants_write_lock() -> bool:
    intent = _write_intent.get()
    if intent is not None:
        return intent
    return has_request_context() and request.method not in _SAFE_METHODS


def sqlite_on_connect(dbapi_connection, connection_record):
    """Set up a new SQLite connection (a listener: directory.extensions registers it)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Hand transaction control to SQLAlchemy so the "begin" hook below decides how to BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def sqlite_synchronous(value: str) -> Callable:
    """A connect listener that sets SQLite's synchronous to `value` (SQLITE_SYNCHRONOUS,
    checked by config.load; directory.extensions registers it on each app's SQLite engines)."""

    def on_connect(dbapi_connection, connection_record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA synchronous={value}")

    return on_connect


def sqlite_begin(conn):
    """Begin SQLite's transactions, a writer's as one (a listener: directory.extensions
    registers it)."""
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another
    # writer committed in between (busy_timeout cannot help); taking the lock first waits instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


def serialize(*keys: str) -> None:
    """Make concurrent transactions that name the same key run this point one after another,
    until they end: a count-then-insert limit holds under concurrency. PostgreSQL takes a
    transaction-level advisory lock per key; SQLite's write transactions are serial already
    (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def one_of(column: str, values: tuple[str, ...]):
    """A CHECK constraint that keeps `column` within a fixed set of strings."""
    allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class days_after(FunctionElement):
    """`column + days` for a DATE column, in SQL, on either database: the date `days` later
    (earlier when negative). SQLite keeps dates as ISO text (date(col, 'N days')); PostgreSQL
    adds an integer to a date."""

    type = Date()
    inherit_cache = True
    name = "days_after"

    def __init__(self, column, days: int):
        super().__init__(column, literal(int(days), Integer()))


@compiles(days_after)
def _days_after_postgresql(element, compiler, **kw):
    column, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} + CAST({days} AS INTEGER))"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    column, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({column}, {days} || ' days')"
