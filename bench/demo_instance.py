"""What the in-process benchmarks share: a fresh demo instance built as `make run` builds it,
and a percentile."""

import http.cookiejar
import math
import os
import re
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
