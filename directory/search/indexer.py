"""The indexer process seen from outside: its heartbeat, and its tie to the server that
started it.

The indexer (`search drain --forever`) rewrites a heartbeat file beside the index it keeps
(`<index root>/indexer.heartbeat`) every few seconds, from a thread of its own, so a long rebuild
does not look like a death. A file, not a database row: each node keeps its own index with its
own indexer, and a row shared through PostgreSQL would say that some node's indexer runs.
/readyz and `search status` read it: a heartbeat older than STALE_SECONDS, or none, means no
indexer is running for this index.

Started by a server (gunicorn.conf.py passes `--parent <its pid>`), the indexer ends with it:
on Linux the kernel sends it SIGINT when the parent thread ends (PR_SET_PDEATHSIG); everywhere,
the heartbeat thread also notices that its parent changed (it was adopted) and sends SIGINT,
which stops it as Ctrl-C does.
"""

import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from directory import atomic

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "indexer.heartbeat"
#: Seconds between heartbeats, and the age after which a heartbeat means the indexer is gone:
#: several missed beats, so a loaded machine does not make a live indexer look dead.
BEAT_SECONDS = 5
STALE_SECONDS = 30
#: Seconds between checks that the parent is still there (the fallback to PR_SET_PDEATHSIG).
WATCH_SECONDS = 1
#: After its parent ended, the seconds the indexer has to stop cleanly before it exits hard.
STOP_SECONDS = 30

_PR_SET_PDEATHSIG = 1


@dataclass
class Heartbeat:
    pid: int
    #: Seconds since the indexer last wrote it.
    age: float


def last_beat(root: Path) -> Heartbeat | None:
    """The heartbeat the last indexer of the index under `root` left, or None."""
    path = root / HEARTBEAT_FILE
    try:
        age = time.time() - path.stat().st_mtime
        pid = int(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Heartbeat(pid, max(age, 0.0))


def problem(beat: Heartbeat | None) -> str | None:
    """Why the indexer that left `beat` (last_beat) is not running, or None when it beat lately."""
    if beat is None:
        return "not running"
    if beat.age > STALE_SECONDS:
        return f"not running (last heartbeat {beat.age:.0f} s ago, pid {beat.pid})"
    return None


def tie_to_parent(parent: int) -> bool:
    """Have the kernel interrupt this process when `parent` ends (Linux); False when it has
    ended already (this process was adopted before it could ask)."""
    # SIGINT raises KeyboardInterrupt: the indexer stops as Ctrl-C stops it. Set it explicitly:
    # a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    # Checked after asking: a parent that ended before then sent nothing.
    return os.getppid() == parent


@contextmanager
def running(root: Path, parent: int | None = None) -> Iterator[None]:
    """Beat for the index under `root` while the block runs, and remove the heartbeat after.
    With `parent`, a process that is no longer this one's parent gets SIGINT sent to this one
    (and, should it not stop within STOP_SECONDS, ends it)."""
    _beat(root)
    done = threading.Event()
    thread = threading.Thread(
        target=_keep_beating, args=(root, parent, done), name="indexer-heartbeat", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        _forget(root)


def _keep_beating(root: Path, parent: int | None, done: threading.Event) -> None:
    last = time.monotonic()
    while not done.wait(WATCH_SECONDS):
        if parent is not None and os.getppid() != parent:
            log.warning("indexer: the server that started it (pid %s) has ended", parent)
            os.kill(os.getpid(), signal.SIGINT)
            if not done.wait(STOP_SECONDS):
                os._exit(1)
            return
        if time.monotonic() - last >= BEAT_SECONDS:
            try:
                _beat(root)
            except OSError as error:  # a full disk: readiness will say so, the indexing goes on
                log.warning("indexer: cannot write its heartbeat: %s", error)
            last = time.monotonic()


def _beat(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    atomic.replace(root / HEARTBEAT_FILE, json.dumps({"pid": os.getpid()}).encode())


def _forget(root: Path) -> None:
    beat = last_beat(root)
    if beat is not None and beat.pid == os.getpid():  # not another indexer's, started since
        (root / HEARTBEAT_FILE).unlink(missing_ok=True)
