"""Flask extensions without an app, and every session and engine listener; create_app binds
them. (Flask-Migrate is not here: cli.Migrations loads it when a command line asks for it.)"""

from collections.abc import Callable

from flask_sqlalchemy.session import Session as AppSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

import directory.models  # noqa: F401  (every table registered before anything looks)
from directory import mail, stored
from directory.db import db, sqlite_begin, sqlite_on_connect, sqlite_synchronous
from directory.search import outbox

csrf = CSRFProtect()

#: Every listener on a connection, a session or a table: (target, event, hook), one line each
#: saying what it does. None of them touches HTTP state: what a request answers after its
#: commit, directory.unit_of_work writes. Here, not beside each hook: db.py is under everything
#: and imports none of the modules that own them.
LISTENERS: list[tuple[object, str, Callable]] = [
    # SQLite: WAL, foreign keys and a busy timeout on every connection (synchronous: below).
    (Engine, "connect", sqlite_on_connect),
    # SQLite: BEGIN IMMEDIATE for a writer, so it waits for the lock instead of failing.
    (Engine, "begin", sqlite_begin),
    # A new database names itself (where tables are made without migrations).
    (outbox.DatabaseIdentity.__table__, "after_create", outbox.name_the_database),
    # Each flush queues the practitioners it changed for indexing, in its transaction.
    (Session, "after_flush", outbox.write_outbox),
    # A rolled-back transaction's outbox rows are not the browser's to wait for.
    (Session, "after_rollback", outbox.forget_written),
    # Mail written in a transaction is sent once it commits (after the response, in a request).
    (AppSession, "after_commit", mail.send_after_commit),
    # ... and never when it rolls back.
    (AppSession, "after_rollback", mail.forget_after_rollback),
    # Files stored beside a change: kept, and the ones it released removed, once it commits.
    (AppSession, "after_commit", stored.after_commit),
    # ... and removed when it ends without a commit (the released ones stay).
    (AppSession, "after_transaction_end", stored.after_transaction_end),
]


def listen() -> None:
    """Register LISTENERS, once (another app in the same process registers none twice)."""
    for target, name, hook in LISTENERS:
        if not event.contains(target, name, hook):
            event.listen(target, name, hook)


def listen_to_engines(app) -> None:
    """Register the listeners that follow an app's config on its own engines: SQLite's
    synchronous (SQLITE_SYNCHRONOUS) on every new connection."""
    hook = sqlite_synchronous(app.config["SQLITE_SYNCHRONOUS"])
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", hook)
