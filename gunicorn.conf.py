"""gunicorn settings: `make run` serves with them, and so does production (README, "Production").

The search indexer (`flask --app directory search drain --forever`) is started beside the
server once it is ready and stopped with it, so Ctrl-C ends both. Where the indexer runs as a
service of its own (deploy/directory-indexer.service), set DIRECTORY_INDEXER=off.
"""

import os
import signal
import subprocess
import sys
import time

bind = os.environ.get("DIRECTORY_BIND", "127.0.0.1:5000")
#: One process per core, each with a few threads: search is CPU work in numpy (which releases
#: the GIL for its array work), page rendering waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("DIRECTORY_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
#: Never a query string in the log: searches hold what people wrote about their health.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

_indexer: subprocess.Popen | None = None


def when_ready(server) -> None:
    global _indexer
    if os.environ.get("DIRECTORY_INDEXER", "on") == "off":
        return
    command = [sys.executable, "-m", "flask", "--app", "directory", "search", "drain", "--forever"]
    _indexer = subprocess.Popen(command)
    server.log.info("Search indexer started (pid %s)", _indexer.pid)


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
    if _indexer is None or _indexer.poll() is not None:
        return
    try:
        _indexer.wait(timeout=2)  # Ctrl-C reached the whole group: it is stopping already
    except subprocess.TimeoutExpired:
        # Only the server was signalled (a supervisor, `kill`): SIGINT, as Ctrl-C sends it,
        # stops the indexer cleanly (exit 0). A SIGTERM would be reaped by gunicorn's master
        # and logged as "[ERROR] Worker ... was sent SIGTERM!".
        _indexer.send_signal(signal.SIGINT)
        try:
            _indexer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _indexer.kill()
    server.log.info("Search indexer stopped")
