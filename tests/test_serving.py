"""`make run`'s server: gunicorn with gunicorn.conf.py, the search indexer beside it, both
stopped together by Ctrl-C, an indexer restarted when it dies and never outliving its server,
and an access log that never records what people searched for."""

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

from directory.db import db
from tests.conftest import tag

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # a loaded CI machine
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


def _until(found, what: str, seconds: float = 30):
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

        _until(answers, "the server never answered", seconds=60)
        yield server
    finally:
        with suppress(ProcessLookupError):  # all of it, or what a killed master left behind
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


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
        processes = _children(server.pid)
        indexer = [pid for pid, cmd in processes if "search drain --forever" in cmd]
        workers = [pid for pid, cmd in processes if "search drain" not in cmd]
        assert len(indexer) == 1 and len(workers) == 2, processes
        status, body = _get(f"{server.base}/api/v1/search?q=sciatica&near=07030")
        assert status == 200 and json.loads(body)["total"] == 1
        if stop == "ctrl-c":  # reaches the whole foreground group
            os.killpg(server.pid, signal.SIGINT)
        else:  # a supervisor or `kill` signals the server alone: it stops the indexer
            os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=40)
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
