"""The landing pages' counts: CPU of a state and a city page counted by the worker (no indexer)
and read from the indexer's file, first request after a change and steady, and the indexer's
cost of keeping the files (start, one profile changed, an idle poll). In-process, one thread,
`time.process_time` (CPU, not wall: the box is shared). Nothing asserted.

Run on a copy of a demo instance (it writes to it):
    cp -a /tmp/demo-100k /tmp/my-100k
    DIRECTORY_INSTANCE_PATH=/tmp/my-100k .venv/bin/python bench/landing_counts.py
"""

import shutil
import statistics
import time
from pathlib import Path

from sqlalchemy import select

from directory import create_app
from directory.db import db
from directory.practitioners.models import Office, Practitioner
from directory.public import counts

PAGES = ["/massage/ny", "/massage/ny/new-york", "/massage/tx", "/massage/tx/houston"]


def main() -> None:
    app = create_app()
    client = app.test_client()
    folder = Path(app.instance_path) / counts.COUNTS_FOLDER
    shutil.rmtree(folder, ignore_errors=True)

    def cpu(path, before=lambda: None, n=7):
        spent = []
        for _ in range(n):
            before()
            began = time.process_time()
            assert client.get(path).status_code == 200, path
            spent.append(1000 * (time.process_time() - began))
        return f"{statistics.median(spent):.1f} / {max(spent):.1f}"

    def changed():
        app.extensions.pop("landing.listing", None)  # what a new outbox generation does
        app.extensions.pop("landing.counts", None)  # what a rewritten file does

    for path in PAGES:
        client.get(path)  # warm: search columns, templates
    print("CPU ms, median / max of 7: first request after a change, steady")
    for path in PAGES:
        print(f"worker counts  {path:24} {cpu(path, changed):>14}  {cpu(path):>14}")
    with app.app_context():
        began = time.process_time()
        counts.refresh()
        print(f"indexer start: {1000 * (time.process_time() - began):.0f} ms (every state)")
    for path in PAGES:
        print(f"indexer's file {path:24} {cpu(path, changed):>14}  {cpu(path):>14}")
    with app.app_context():
        counts.WRITE_EVERY_SECONDS = 0
        query = select(Office.practitioner_id).where(Office.state == "NY")
        for offset in range(3):
            pid = db.session.scalar(query.offset(100 + offset).limit(1))
            for _ in range(2):  # hide it, then show it again
                profile = db.session.get(Practitioner, pid)
                profile.published = not profile.published
                db.session.commit()
                began = time.process_time()
                counts.refresh()
                spent = 1000 * (time.process_time() - began)
                print(f"indexer, one New York profile changed: {spent:.0f} ms")
        began = time.process_time()
        for _ in range(10):
            counts.refresh()
        print(f"indexer, idle poll: {100 * (time.process_time() - began):.1f} ms")
    size = sum(path.stat().st_size for path in folder.iterdir())
    print(f"files: {len(list(folder.iterdir()))}, {size / 1000:.0f} KB")


if __name__ == "__main__":
    main()
