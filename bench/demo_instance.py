"""What the benchmarks share: a fresh demo instance built as `make run` builds it, the server
as `make run` serves it (gunicorn, with each worker's memory), a browser and a percentile."""

import http.client
import http.cookiejar
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "directory"]


#: A form's CSRF token in a page.
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One browser against a served instance: a cookie jar, no redirects followed."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data=None, headers=None) -> tuple[int, str]:
        """(status, body) of a GET, or of a POST of `data` (a dict is sent as a form)."""
        if isinstance(data, dict):
            data = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def build(count: int, prefix: str) -> tuple[Path, dict]:
    """(the instance folder, the environment naming it): a new SQLite instance under a
    temporary folder, migrated, with the vocabulary, `count` seeded demo profiles and the
    search index."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**os.environ, "DIRECTORY_INSTANCE_PATH": str(folder)}
    started = time.perf_counter()
    for args in (
        ["db", "upgrade"],
        ["vocabulary", "sync"],
        ["demo", "load", "--count", str(count)],
        ["search", "rebuild"],
    ):
        subprocess.run([*FLASK, *args], env=env, check=True, capture_output=True)
    print(f"built {count:,} demo profiles in {time.perf_counter() - started:.0f} s")
    return folder, env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with gunicorn.conf.py on a free loopback port, as `make run` serves the app."""

    def __init__(self, env: dict, port: int, workers: int | None = None):
        self.port = port
        env = {
            **env,
            "FLASK_SESSION_COOKIE_SECURE": "false",
            "FLASK_REMEMBER_COOKIE_SECURE": "false",
            "DIRECTORY_BIND": f"127.0.0.1:{port}",
        }
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "directory:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.wait_up(time.perf_counter())

    def wait_up(self, since: float) -> float:
        """Seconds from `since` until a worker answers /healthz."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                self.get("/healthz")
                return time.perf_counter() - since
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def get(self, path: str, params: dict | None = None) -> tuple[int, dict | None, float]:
        """(status, the JSON answer or None, ms) of a GET of `path` with `params`."""
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        status, body, elapsed, kind = self._get(url)
        return status, json.loads(body) if kind.startswith("application/json") else None, elapsed

    def fetch(self, url: str) -> tuple[int, str, float]:
        """(status, body, ms) of a GET of `url` (a path, with its query if any)."""
        status, body, elapsed, _kind = self._get(url)
        return status, body.decode("utf-8", "replace"), elapsed

    def _get(self, url: str) -> tuple[int, bytes, float, str]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", url)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        return response.status, body, elapsed, response.getheader("Content-Type", "")

    def workers(self) -> list[int]:
        """The worker processes (the indexer, also a child, is left out)."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, ValueError):
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z" and b"drain" not in cmdline:
                found.append(int(entry.name))
        return sorted(found)

    def replace_workers(self) -> float:
        """Replace every worker (HUP, as `systemctl reload` does); seconds until the new ones
        answer, the old ones gone."""
        old = set(self.workers())
        started = time.perf_counter()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 600
        while old & set(self.workers()) or len(self.workers()) < len(old):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers were not replaced")
            time.sleep(0.02)
        return self.wait_up(started)

    def memory_mb(self) -> list[dict]:
        """Per worker: RSS, PSS and USS (private pages) in MB."""
        found = []
        for pid in self.workers():
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
            uss = fields["Private_Clean"] + fields["Private_Dirty"]
            found.append({"rss": fields["Rss"], "pss": fields["Pss"], "uss": uss})
        return found

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # as Ctrl-C: the indexer stops with it
        self.process.wait(timeout=60)
