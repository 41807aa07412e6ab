"""gunicorn settings: `make run` serves with them, and so does production (README, "Production").

The search indexer (`flask --app directory search drain --forever`) is started beside the
server once it is ready and stopped with it, so Ctrl-C ends both. It never outlives the server:
it is told the master's pid and ends when the master does, even a killed one (see
directory/search/indexer.py). When it dies while the server serves, a thread in the master
starts another, waiting 1, 2, 4... up to 60 s between attempts. Where the indexer runs as a
service of its own (deploy/directory-indexer.service), set DIRECTORY_INDEXER=off.
"""

import ctypes
import ctypes.util
import gc
import os
import signal
import subprocess
import sys
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

#: glibc's malloc, set in the master before any worker is forked (workers inherit it). Each
#: thread that allocates gets an arena of its own (up to 8 per core), each keeping what it
#: freed; and a large block (a 4.5 MB sitemap, a page of rows) freed once raises the size
#: from which blocks are mapped and unmapped, so later ones stay in the heap. Two arenas and
#: a fixed threshold keep a worker's memory near what it uses (bench/pages.py measures it).
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
#: DIRECTORY_MALLOC=default leaves glibc's own settings (to measure the difference).
_libc = ctypes.util.find_library("c")
if _libc and os.environ.get("DIRECTORY_MALLOC") != "default":
    _mallopt = ctypes.CDLL(_libc).mallopt
    _mallopt(M_ARENA_MAX, 2)
    _mallopt(M_MMAP_THRESHOLD, 256 * 1024)

bind = os.environ.get("DIRECTORY_BIND", "127.0.0.1:5000")
#: One process per core, each with a few threads: search is CPU work in numpy (which releases
#: the GIL for its array work), page rendering waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))


class Worker(ThreadWorker):
    """gunicorn's gthread worker, stopped by Ctrl-C without hanging.

    Ctrl-C reaches a worker twice: SIGINT from the terminal, SIGQUIT from the master, within
    microseconds. gunicorn's handler shuts its thread pool down inside the signal handler,
    holding the pool's lock; the second signal's handler, run in the same thread, waited
    for that lock forever, and so did one that came while the worker was handing a request to
    the pool (python/cpython#121649). The master then killed the worker after
    graceful_timeout. Here the first quit signal turns the others off, and the pool is shut
    down by the interpreter's exit, which lets running requests finish, as before.
    """

    def handle_quit(self, sig, frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        self.alive = False
        self.cfg.worker_int(self)
        sys.exit(0)


worker_class = Worker
#: The app is made in the master before the workers are forked: the modules and what they
#: build on import (about 75 MB: Flask, SQLAlchemy, numpy, Whoosh and the rest) are
#: shared by every worker instead of copied into each. create_app opens no database connection
#: and no index file (tests/test_serving.py checks the master's): each worker opens its own.
#: New code therefore needs a restart: a HUP forks new workers from the master's old modules
#: (deploy/directory-web.service migrates on start only, so a new version restarts anyway).
preload_app = True
threads = int(os.environ.get("DIRECTORY_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
#: Never a query string in the log: searches hold what people wrote about their health.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

#: Workers know an indexer keeps their index: /readyz fails while its heartbeat is stale.
raw_env = [] if os.environ.get("DIRECTORY_INDEXER", "on") == "off" else [
    "FLASK_SEARCH_INDEXER_EXPECTED=true"
]  # fmt: skip

#: Seconds before restarting an indexer that keeps dying (after a first second of grace),
#: doubling from the first to the most; one that ran RESTART_RESET seconds starts over.
RESTART_FIRST = 1
RESTART_MOST = 60
RESTART_RESET = 60


class Indexer:
    """The indexer process, kept running by a thread in the master until stop().

    A thread, because gunicorn's master calls no hook periodically. The same thread starts
    every indexer and lives as long as the master: PR_SET_PDEATHSIG fires when the *thread*
    that started a process ends, so an indexer started by a thread that returned would be
    stopped at once. gunicorn's master reaps every child, the indexer too, so its exit
    status may be lost: any end while the server serves is a death to recover from.
    """

    def __init__(self, server) -> None:
        self.server = server
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        #: Held while a process starts: stop() never misses one, and the master forks no
        #: worker meanwhile. A worker forked while Popen waits for the exec would keep Popen's
        #: error pipe open and block it until that worker exits (seen under load).
        self.lock = threading.RLock()
        os.register_at_fork(
            before=self.lock.acquire,
            after_in_parent=self.lock.release,
            after_in_child=self.lock.release,
        )
        self.thread = threading.Thread(target=self._keep_running, name="indexer", daemon=True)

    def _start(self) -> bool:
        command = [sys.executable, "-m", "flask", "--app", "directory", "search", "drain",
                   "--forever", "--parent", str(os.getpid())]  # fmt: skip
        with self.lock:
            if self.stopping.is_set():
                return False
            self.process = None  # until one starts
            self.process = subprocess.Popen(command)
        self.server.log.info("Search indexer started (pid %s)", self.process.pid)
        return True

    def _serving(self) -> bool:
        # The master closes its listeners first thing when it stops (Ctrl-C reaches the
        # indexer at the same time: that end is no death).
        return not self.stopping.is_set() and bool(self.server.LISTENERS)

    def _keep_running(self) -> None:
        wait = RESTART_FIRST
        while True:
            began = time.monotonic()
            try:
                if not self._start():
                    return
                self.process.wait()
            except OSError:  # could not start one (no memory, no processes left): try again
                self.server.log.exception("Search indexer could not be started")
            if time.monotonic() - began >= RESTART_RESET:
                wait = RESTART_FIRST
            # Ctrl-C reaches the indexer and the master together: give the master a moment
            # to close its listeners before taking this end for a death.
            if self.stopping.wait(RESTART_FIRST) or not self._serving():
                return
            self.server.log.warning(
                "Search indexer (pid %s) ended; starting another in %s s",
                self.process and self.process.pid,
                wait,
            )
            if self.stopping.wait(wait) or not self._serving():
                return
            wait = min(wait * 2, RESTART_MOST)

    def stop(self) -> None:
        """Stop the indexer (and start no other); wait for it to end."""
        with self.lock:
            self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            process.wait(timeout=2)  # Ctrl-C reached the whole group: it is stopping already
        except subprocess.TimeoutExpired:
            # Only the server was signalled (a supervisor, `kill`): SIGINT, as Ctrl-C sends it,
            # stops the indexer cleanly (exit 0). A SIGTERM would be reaped by gunicorn's
            # master and logged as "[ERROR] Worker ... was sent SIGTERM!".
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.server.log.info("Search indexer stopped")


def when_ready(server) -> None:
    # Where to point a browser, once the sockets are bound (the address actually served).
    for listener in server.LISTENERS:
        address = listener.getsockname()
        if isinstance(address, tuple):  # TCP, not a unix socket
            host, port = address[:2]
            print(f"Open http://{'[' + host + ']' if ':' in host else host}:{port}", flush=True)
    if os.environ.get("DIRECTORY_INDEXER", "on") == "off":
        return
    # Kept on the arbiter: a reload (SIGHUP) reads this file again, into new globals.
    server.directory_indexer = Indexer(server)
    server.directory_indexer.thread.start()


def pre_fork(server, worker) -> None:
    # What the master holds is never collected in a worker: out of the collector's sight, the
    # pages holding it are not written to (and copied) by each worker's collections.
    gc.freeze()


def post_worker_init(worker) -> None:
    # Before the worker takes requests: its first visitor does not wait (directory/warmup.py).
    from directory import warmup

    started = time.perf_counter()
    # The master stops a worker silent for `timeout` seconds, booting included: the warm-up
    # (longer on a first start, which builds the place tables) gets the whole of it.
    worker.notify()
    warmup.warm(worker.wsgi)
    worker.log.info("Warmed up in %.0f ms", (time.perf_counter() - started) * 1000)


def on_exit(server) -> None:
    indexer = getattr(server, "directory_indexer", None)
    if indexer is not None:
        indexer.stop()
