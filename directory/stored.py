"""Files written beside a database change (profile photos, certificates): stored under a name
the server chooses, kept only if the change's transaction commits, and a file the change stops
referencing removed only once it has committed (a rollback keeps it)."""

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from directory.db import db


class Files:
    """One kind of stored file: its folder, the shape of its names, and its transaction's
    bookkeeping (under `key` in the session's info)."""

    def __init__(self, key: str, folder: Callable[[], Path], name: re.Pattern, *, private=False):
        self._new, self._released = f"{key}_new", f"{key}_released"
        self._folder, self._name, self._private = folder, name, private
        _KINDS.append(self)

    def is_valid_name(self, name: str | None) -> bool:
        """Whether `name` has the shape of a name given to this kind of file."""
        return name is not None and self._name.fullmatch(name) is not None

    def keep(self, data: bytes, ext: str) -> str:
        """Store `data` under a new name, tied to the session's transaction, and return it."""
        # Begin a transaction (after the caller's CPU work) if none is under way: a rollback
        # with none to end would leave the file behind.
        db.session.connection()
        target = self._folder()
        target.mkdir(mode=0o700 if self._private else 0o777, parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.{ext}"
        tmp = target / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target / name)
        db.session.info.setdefault(self._new, []).append((target, name))
        return name

    def release(self, name: str | None) -> None:
        """The stored file `name` is no longer referenced: it goes once the transaction
        commits (and stays if it rolls back)."""
        if name:
            db.session.info.setdefault(self._released, []).append((self._folder(), name))

    def _unlink(self, where: Path, name: str) -> None:
        if self.is_valid_name(name):
            (where / name).unlink(missing_ok=True)

    def _committed(self, session) -> None:
        session.info.pop(self._new, None)  # committed: now referenced
        for where, name in session.info.pop(self._released, ()):
            self._unlink(where, name)

    def _ended(self, session) -> None:
        # Not committed (rolled back, or closed at the end of the request): new files go.
        session.info.pop(self._released, None)
        for where, name in session.info.pop(self._new, ()):
            self._unlink(where, name)


_KINDS: list[Files] = []


def after_commit(session) -> None:
    """Keep the files the transaction stored; remove the ones it released (one of
    extensions.LISTENERS)."""
    for kind in _KINDS:
        kind._committed(session)


def after_transaction_end(session, transaction) -> None:
    """Remove the files a transaction that did not commit stored (one of
    extensions.LISTENERS)."""
    if transaction.parent is None:
        for kind in _KINDS:
            kind._ended(session)
