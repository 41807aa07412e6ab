"""`make run`'s server: gunicorn with gunicorn.conf.py, the search indexer beside it, both
stopped together by Ctrl-C, an indexer restarted when it dies and never outliving its server,
an access log that never records what people searched for, and workers that are ready for their
first search before they take requests.

Waits are generous: a busy CI machine takes seconds to start a worker, and only a server that
never answers should fail these tests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from directory import warmup
from directory.db import db
from tests.conftest import tag

ROOT = Path(__file__).resolve().parent.parent
#: Seconds to wait for a server to start, or for an answer.
PATIENCE = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=PATIENCE) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = entry.joinpath("stat").read_text()
            cmdline = entry.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}").exists() else ""
    return bool(stat) and stat.rsplit(")", 1)[1].split()[0] != "Z"


def _indexers(master: int) -> list[int]:
    return [pid for pid, cmd in _children(master) if "search drain --forever" in cmd]


def _until(found, what: str, seconds: float = PATIENCE):
    """Poll `found()` until it returns something true (generous: a loaded CI machine is slow)."""
    deadline = time.monotonic() + seconds
    while not (result := found()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return result


@contextmanager
def _gunicorn(app, log: Path):
    """gunicorn as `make run` starts it, on the app's instance folder and database; yields the
    master once it answers, and kills what is left of its process group afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "DIRECTORY_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DIRECTORY_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DIRECTORY_THREADS": "2",
        # The test session's: the place tables are built once (conftest).
        "FLASK_CACHE_FOLDER": json.dumps(app.config["CACHE_FOLDER"]),
    }
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "directory:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server.base = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            try:
                return _get(f"{server.base}/healthz")[0] == 200
            except OSError:
                return False

        _until(answers, "the server never answered")
        yield server
    finally:
        with suppress(ProcessLookupError):  # all of it, or what a killed master left behind
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _open_files(pid: int) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):  # closed meanwhile
            found.append(os.readlink(fd))
    return found


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_the_master_makes_the_app_before_forking_but_opens_no_database_or_index(
    app, tmp_path, make_practitioner
):
    """Workers share the master's modules (preload_app); each opens its own database
    connections and index files, none inherited."""
    tag(
        make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"]),
        conditions=["sciatica"],
    )
    db.session.commit()
    with _gunicorn(app, tmp_path / "server.log") as server:
        status, body = _get(f"{server.base}/api/v1/search?q=sciatica&near=07030")
        assert status == 200 and json.loads(body)["total"] == 1
        assert "numpy" in Path(f"/proc/{server.pid}/maps").read_text()  # the app was made here
        opened = _open_files(server.pid)
        assert [f for f in opened if f.startswith(app.instance_path)] == []  # no index file
        assert [f for f in opened if f.endswith((".sqlite3", "-wal", "-shm"))] == []


def test_making_the_app_connects_to_no_database(app):
    """What gunicorn's master runs before forking (preload_app) leaves no connection for the
    workers to share."""
    from sqlalchemy import Engine, event

    from directory import create_app

    connected = []

    def count(*args) -> None:
        connected.append(args)

    event.listen(Engine, "connect", count)
    try:
        create_app({**app.config})
    finally:
        event.remove(Engine, "connect", count)
    assert connected == []


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("stop", ["ctrl-c", "server-only"])
def test_gunicorn_serves_with_the_indexer_and_stopping_it_stops_both(
    app, tmp_path, make_practitioner, stop
):
    tag(
        make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"]),
        conditions=["sciatica"],
    )
    db.session.commit()
    log = tmp_path / "server.log"
    with _gunicorn(app, log) as server:
        # `make run` says where to point a browser, before the first request.
        assert f"Open {server.base}\n" in log.read_text()
        processes = _children(server.pid)
        indexer = [pid for pid, cmd in processes if "search drain --forever" in cmd]
        workers = [pid for pid, cmd in processes if "search drain" not in cmd]
        assert len(indexer) == 1 and len(workers) == 2, processes
        status, body = _get(f"{server.base}/api/v1/search?q=sciatica&near=07030")
        assert status == 200 and json.loads(body)["total"] == 1
        # Stopped once it runs: the workers, forked from a master that made the app already,
        # may answer before the indexer has made its own (a Ctrl-C then aborts its start).
        ready = lambda: json.loads(_get(f"{server.base}/readyz")[1])["checks"].get("indexer")  # noqa: E731
        _until(lambda: ready() == "ok", "/readyz never saw the indexer")
        if stop == "ctrl-c":  # reaches the whole foreground group
            os.killpg(server.pid, signal.SIGINT)
        else:  # a supervisor or `kill` signals the server alone: it stops the indexer
            os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=PATIENCE)
        _until(lambda: not _alive(indexer[0]), "the indexer outlived the server")
    logged = log.read_text()
    assert "Search indexer started" in logged and "Indexer stopped." in logged
    assert "Aborted!" not in logged and "exited with code" not in logged  # a clean stop
    assert "was sent SIGTERM" not in logged and "[ERROR]" not in logged
    assert "Search indexer ended" not in logged  # a stop is no death: nothing restarted
    assert '"GET /api/v1/search" 200' in logged
    assert "sciatica" not in logged and "07030" not in logged  # no query string in the log


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process table from /proc")
def test_a_killed_indexer_is_restarted_and_a_killed_server_leaves_no_indexer(app, tmp_path):
    """One server for both (each start costs seconds): the indexer killed is replaced, and the
    replacement, started by the master's supervising thread, ends with a killed master too."""
    log = tmp_path / "server.log"
    with _gunicorn(app, log) as server:

        def indexer_ready():
            _status, body = _get(f"{server.base}/readyz")
            return json.loads(body)["checks"].get("indexer") == "ok"

        # The workers expect an indexer (gunicorn.conf.py started one) and see its heartbeat.
        _until(indexer_ready, "/readyz never saw the indexer")
        [first] = _until(lambda: _indexers(server.pid), "no indexer started")
        os.kill(first, signal.SIGKILL)
        [second] = _until(
            lambda: [pid for pid in _indexers(server.pid) if pid != first],
            f"the killed indexer was not replaced:\n{log.read_text()}",
        )
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        _until(lambda: not _alive(second), "the indexer outlived its killed server")
    assert f"Search indexer (pid {first}) ended; starting another" in log.read_text()


def test_a_warmed_up_worker_has_what_a_first_search_builds(app, make_practitioner):
    from directory.search import sync

    tag(
        make_practitioner("alexa-marie", licenses=[("NY", "verified", None)], offices=["10001"]),
        conditions=["lower-back-pain"],
    )
    db.session.commit()

    def loaded(template: str) -> bool:
        return any(name == template for _loader, name in app.jinja_env.cache)

    assert sync.store().columns.stats()["segments"] == 0 and not loaded("search/index.html")
    warmup.warm(app)
    assert sync.store().columns.stats()["segments"] == 1  # the index's columns are read
    assert loaded("search/index.html")  # the results page is compiled
    assert any(Path(app.config["CACHE_FOLDER"], "templates").glob("*.cache"))  # and kept


def test_derived_files_are_kept_in_the_instance_folder_by_default(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, CACHE_FOLDER=None)
    assert app.config["CACHE_FOLDER"] == str(tmp_path / "instance" / "cache")


def test_a_worker_that_cannot_warm_up_still_starts(app, monkeypatch, caplog):
    from directory.search import results

    def broken(params):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(results, "search", broken)
    warmup.warm(app)  # does not raise: the worker goes on to serve
    assert "Warming up /search" in caplog.text


#: Runs gunicorn.conf.py as gunicorn's master does, then allocates from 8 threads at once and
#: counts glibc's arenas (malloc_info lists a <heap> per arena).
_ARENAS = """
import ctypes, ctypes.util, re, runpy, tempfile, threading
runpy.run_path("gunicorn.conf.py")
barrier = threading.Barrier(8)
def churn():
    barrier.wait()
    kept = [bytearray(4096) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=churn) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fdopen.restype = ctypes.c_void_p
with tempfile.TemporaryFile("w+") as out:
    stream = libc.fdopen(out.fileno(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fflush(ctypes.c_void_p(stream))
    out.seek(0)
    print(len(re.findall(r'<heap nr="', out.read())))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_workers_share_two_malloc_arenas_unless_told_otherwise():
    def arenas(**env) -> int:
        done = subprocess.run(
            [sys.executable, "-c", _ARENAS], cwd=ROOT, env={**os.environ, **env},
            capture_output=True, text=True, check=True, timeout=PATIENCE,
        )  # fmt: skip
        return int(done.stdout.split()[-1])

    assert arenas() <= 2
    assert arenas(DIRECTORY_MALLOC="default") > 2


#: A worker of gunicorn.conf.py's class told to quit (SIGINT) while its thread pool's lock is
#: held by the same thread, as when Ctrl-C's second signal (the master's SIGQUIT) lands inside
#: the first one's pool shutdown, or a signal lands while a request is handed to the pool.
#: WORKER=stock runs gunicorn's own handler instead.
_QUIT_WHILE_LOCKED = """
import os, runpy, signal
from concurrent.futures import ThreadPoolExecutor
from gunicorn.workers.gthread import ThreadWorker
conf = runpy.run_path("gunicorn.conf.py")
Worker = ThreadWorker if os.environ.get("WORKER") == "stock" else conf["Worker"]
worker = Worker.__new__(Worker)
worker.alive = True
worker.cfg = type("Config", (), {"worker_int": lambda self, worker: None})()
worker.tpool = ThreadPoolExecutor(2)
worker.tpool.submit(print, "serving", flush=True).result()
try:
    with worker.tpool._shutdown_lock:
        worker.handle_quit(signal.SIGINT, None)
except SystemExit as stop:
    ignored = [signal.getsignal(s) == signal.SIG_IGN for s in (signal.SIGINT, signal.SIGQUIT)]
    print("quit", stop.code, ignored, worker.alive, flush=True)
"""


def test_a_worker_told_to_quit_twice_at_once_quits():
    """Ctrl-C sends a worker SIGINT and its master's SIGQUIT at once: the worker exits instead
    of waiting forever on its own thread pool's lock (killed after graceful_timeout, seen in
    CI), and the first signal turns the second off."""

    def quit_(timeout: float, **env) -> str:
        return subprocess.run(
            [sys.executable, "-c", _QUIT_WHILE_LOCKED], cwd=ROOT, env={**os.environ, **env},
            capture_output=True, text=True, timeout=timeout,
        ).stdout  # fmt: skip

    assert quit_(PATIENCE).splitlines() == ["serving", "quit 0 [True, True] False"]
    with pytest.raises(subprocess.TimeoutExpired):  # gunicorn's own handler hangs for good
        quit_(10, WORKER="stock")
