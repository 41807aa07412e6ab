"""Backups of the database: a consistent copy taken while the site keeps writing, and its
restore. SQLite uses its online backup API; PostgreSQL uses pg_dump / pg_restore (custom
format). The search index is not in a backup: it is rebuilt from the restored database."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

from directory.db import db
from directory.search import sync


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def _sqlite_path(url: URL) -> str | None:
    return url.database if url.get_backend_name() == "sqlite" else None


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def backup(target: Path) -> None:
    """Write a consistent copy of the database to `target` (replaced only once complete)."""
    url = db.engine.url
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    if path := _sqlite_path(url):
        source, copy = sqlite3.connect(path), sqlite3.connect(partial)
        try:
            # Page by page, restarting if a writer changes a page already copied: a snapshot.
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        done = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq(url)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(done.stderr.strip() or "pg_dump failed")
    os.replace(partial, target)


def restore(source: Path) -> int:
    """Replace the database's contents with the backup `source`, then rebuild the search index
    from it; returns the profiles indexed. Stop the web server and the indexer first."""
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file")
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if path := _sqlite_path(url):
        backup_db, live = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(path)
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database")
            backup_db.backup(live)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite backup ({error})") from None
        finally:
            live.close()
            backup_db.close()
    else:
        done = subprocess.run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={_libpq(url)}", str(source)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            why = done.stderr.strip() or "pg_restore failed"
            raise BackupError(f"{source} was not restored: {why}")
    return sync.rebuild()
