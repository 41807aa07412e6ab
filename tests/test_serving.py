"""`make run`'s server: gunicorn with gunicorn.conf.py, the search indexer beside it, both
stopped together by Ctrl-C, and an access log that never records what people searched for."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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
        with urllib.request.urlopen(url, timeout=5) as response:
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
    port = _free_port()
    env = {
        **os.environ,
        "DIRECTORY_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DIRECTORY_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DIRECTORY_THREADS": "2",
    }
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "directory:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        processes = _children(server.pid)
        indexer = [pid for pid, cmd in processes if "search drain --forever" in cmd]
        workers = [pid for pid, cmd in processes if "search drain" not in cmd]
        assert len(indexer) == 1 and len(workers) == 2, processes
        status, body = _get(f"{base}/api/v1/search?q=sciatica&near=07030")
        assert status == 200 and json.loads(body)["total"] == 1
        if stop == "ctrl-c":  # reaches the whole foreground group
            os.killpg(server.pid, signal.SIGINT)
        else:  # a supervisor or `kill` signals the server alone: it stops the indexer
            os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=40)
        deadline = time.monotonic() + 15
        while _alive(indexer[0]):
            assert time.monotonic() < deadline, "the indexer outlived the server"
            time.sleep(0.1)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    logged = log.read_text()
    assert "Search indexer started" in logged and "Indexer stopped." in logged
    assert "Aborted!" not in logged and "exited with code" not in logged  # a clean stop
    assert "was sent SIGTERM" not in logged and "[ERROR]" not in logged
    assert '"GET /api/v1/search" 200' in logged
    assert "sciatica" not in logged and "07030" not in logged  # no query string in the log
