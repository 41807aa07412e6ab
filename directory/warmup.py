"""A new web worker's first search without the wait.

What a search needs besides the database is derived from the code and its data: the place
tables (geo), the vocabulary's indexes, the index's columns, compiled templates. Built lazily,
they made the first search of every new worker take 2-6 s (2 s of it the place tables). Two
things remove that:

- files built once and kept in CACHE_FOLDER for every later process: the place tables (geo
  keeps them in a file it reads on demand, rather than ~90 MB per worker) and Jinja's compiled
  templates (the index's columns are kept beside the index already);
- `warm`, run by each gunicorn worker before it takes requests (gunicorn.conf.py,
  `post_worker_init`), answers one search and its page, so what is still built per process is
  built before a visitor asks.
"""

import logging
from pathlib import Path

from flask import Flask
from jinja2 import FileSystemBytecodeCache

from directory import geo

log = logging.getLogger(__name__)

#: What `warm` searches for: a need and a place every instance can resolve.
WARM_QUERY = {"q": "back pain", "near": "10001"}
#: Set in the warm-up's requests: no visitor asked them (insights do not count them).
ENVIRON_KEY = "directory.warmup"


def init_app(app: Flask) -> None:
    """Keep the place tables and compiled templates under the app's CACHE_FOLDER."""
    folder = Path(app.config["CACHE_FOLDER"])
    geo.use_cache(folder)
    templates = folder / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    # Jinja checks each template's source against its cached code: an edit is recompiled.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(templates))


def warm(app: Flask) -> None:
    """Answer one search, as JSON and as the results page, so this process has built what a
    first search builds. Best effort: a worker that cannot (no database yet) serves anyway and
    its requests say what is wrong."""
    client = app.test_client()
    for path in ("/api/v1/search", "/search"):
        try:
            response = client.get(path, query_string=WARM_QUERY, environ_base={ENVIRON_KEY: True})
        except Exception:
            log.exception("Warming up %s failed", path)
            continue
        if response.status_code != 200:
            log.warning("Warming up %s answered %s", path, response.status_code)
