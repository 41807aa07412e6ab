"""`flask backup FILE` while the site keeps writing, and `flask restore FILE` into a fresh
instance: the same rows, a consistent snapshot, and a search index rebuilt from them."""

import shutil
import threading

import pytest
from sqlalchemy import select, text

from directory import audit
from directory.audit import AuditEvent
from directory.db import db
from directory.practitioners.models import Practitioner
from tests.conftest import DATABASE_URL, make_app, tag


def _ticks() -> list[int]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "test.tick"))
    return sorted(event.details["n"] for event in rows)


def test_backup_under_writes_then_restore_into_a_fresh_instance(
    app, runner, tmp_path, make_practitioner
):
    if DATABASE_URL and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    for slug, zip_code in (("ana-ruiz", "07030"), ("bo-chen", "07302"), ("cy-diaz", "07310")):
        tag(make_practitioner(slug, licenses=[("NJ", "verified", None)], offices=[zip_code]),
            conditions=["sciatica"])  # fmt: skip
    before = sorted(db.session.scalars(select(Practitioner.slug)))
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        with app.app_context():
            n = 0
            while not stop.is_set():
                audit.record("test.tick", actor_label="test", details={"n": n})
                db.session.commit()
                written.append(n)
                n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:  # the site is busy writing
            stop.wait(0.01)
        result = runner.invoke(args=["backup", str(tmp_path / "site.backup")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "Backed up the database" in result.output

    if DATABASE_URL:  # one test database: empty it, as a fresh server's would be
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        fresh = app
    else:
        fresh = make_app(tmp_path / "fresh")
    with fresh.app_context():
        restored = fresh.test_cli_runner().invoke(
            args=["restore", str(tmp_path / "site.backup"), "--yes"]
        )
        assert restored.exit_code == 0, restored.output
        assert "the search index was rebuilt (3 profiles)" in restored.output
        assert sorted(db.session.scalars(select(Practitioner.slug))) == before
        ticks = _ticks()
        # A snapshot: every write up to some point, none after it, no hole.
        assert ticks == list(range(len(ticks))) and 0 < len(ticks) <= len(written)
        found = fresh.test_client().get("/api/v1/search", query_string={"q": "sciatica"})
        assert found.json["total"] == 3


def test_restore_refuses_what_is_not_a_backup(app, runner, tmp_path):
    if DATABASE_URL and not shutil.which("pg_restore"):
        pytest.skip("pg_restore is not installed")
    junk = tmp_path / "junk.backup"
    junk.write_text("not a database")
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "junk.backup" in result.output
