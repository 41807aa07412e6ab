"""Requests that lose a race: another request changes or deletes the row this one updates between
its read and its write. On PostgreSQL the two run side by side (SQLAlchemy's StaleDataError at
the UPDATE, a 500 in the probe). Here the other request's change lands right before this
request's flush: a new version written on this request's own connection, behind the ORM's back
(the same race on every database), or a deletion committed from another thread and session
(PostgreSQL only: SQLite lets one writer at a time, so this request's open write transaction
would wait for it). The answer is a 409 with the page shown again, never a 500.
"""

import logging
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from directory import web
from directory.db import db, unavailable
from directory.practices import operations as practices
from directory.practices.models import Membership
from directory.practitioners.models import Practitioner
from directory.web import MEANWHILE
from tests.conftest import CONFIRMED, DATABASE_URL
from tests.people import build_crew, log_in
from tests.test_editor import EDIT, image_bytes, opened, upload


@pytest.fixture
def crew(make_practitioner, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 here, as in production
    return build_crew(make_practitioner)


@contextmanager
def meanwhile(practitioner_id: int, change):
    """Run change(session) just before the first flush that writes the practitioner
    `practitioner_id`."""
    done = []

    def before_flush(session, _context, _instances):
        touched = [*session.dirty, *session.deleted]
        if done or not any(
            isinstance(o, Practitioner) and o.id == practitioner_id for o in touched
        ):
            return
        done.append(True)
        change(session)

    event.listen(Session, "before_flush", before_flush)
    try:
        yield done
    finally:
        event.remove(Session, "before_flush", before_flush)


def saved_elsewhere(practitioner_id: int):
    """Another request saved the profile: its version moved on (written on the request's own
    connection, which the ORM does not watch)."""
    return lambda session: session.connection().execute(
        update(Practitioner)
        .where(Practitioner.id == practitioner_id)
        .values(version=Practitioner.version + 1)
    )


def in_another_request(app, change):
    """change() committed by another thread with its own session, as another request would."""

    def run(_session):
        def other_request():
            with app.app_context():
                change()
                db.session.commit()

        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()

    return run


def member(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def test_a_photo_uploaded_while_another_save_lands_is_a_409_with_the_form(app, client, crew):
    log_in(client, crew["alexa"])
    profile = crew["p_alexa"].id
    with meanwhile(profile, saved_elsewhere(profile)) as raced:
        response = upload(client, image_bytes("PNG"))
    assert raced, "the race did not happen"
    assert response.status_code == 409
    assert str(MEANWHILE) in response.text
    assert 'name="photo"' in response.text  # the upload form is there to try again
    assert db.session.get(Practitioner, profile).photo is None


def test_leaving_a_practice_while_the_profile_is_saved_keeps_nothing_and_says_so(client, crew):
    log_in(client, crew["alexa"])
    profile = crew["p_alexa"].id
    with meanwhile(profile, saved_elsewhere(profile)) as raced:
        response = client.post(f"/dashboard/practices/{crew['hand'].slug}/leave", data=CONFIRMED)
    assert raced, "the race did not happen"
    # A one-button action goes back to the page it came from, with the message (not a 500).
    assert response.status_code == 302
    assert str(MEANWHILE) in client.get(response.headers["Location"]).text
    # Nothing of the leaving was kept: still a member, the profile still hers.
    assert member(crew["alexa"]) is not None
    assert db.session.get(Practitioner, profile).user_id == crew["alexa"].id


@pytest.mark.skipif(not DATABASE_URL, reason="SQLite lets one writer at a time: no such race")
def test_saving_a_profile_deleted_meanwhile_is_a_409_not_a_500(app, client, crew):
    log_in(client, crew["alexa"])
    profile = crew["p_alexa"].id
    owner = crew["owner"]

    def deleted_by_the_owner():
        target = db.session.get(Practitioner, profile)
        practices.delete_profile(member(owner), target)

    fields = opened(client, EDIT)
    fields["headline"] = "Typed while the profile was being deleted"
    with meanwhile(profile, in_another_request(app, deleted_by_the_owner)) as raced:
        response = client.post(EDIT, data=fields)
    assert raced, "the race did not happen"
    assert response.status_code == 409, response.status_code
    assert str(MEANWHILE) in response.text or "changed meanwhile" in response.text
    assert db.session.get(Practitioner, profile) is None


# --- The database away ------------------------------------------------------------------------


def test_while_the_database_is_away_pages_are_503s_with_retry_after_and_one_log_line(
    app, client, crew, caplog, monkeypatch
):
    """A database outage (PostgreSQL stopped: 889 tracebacks in 12 s in the probe) answers 503
    with Retry-After on pages, the API and forms, logs one line, and ends by itself."""
    log_in(client, crew["alexa"])  # signed in: even who is asking needs the database
    monkeypatch.setattr(web, "outages", web.Outages())
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def refused(*_args, **_kwargs):
        error = dbapi.OperationalError("could not connect to server: Connection refused")
        error.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN  # what SQLite says of a lost file
        raise error

    db.session.remove()
    engine.dispose()
    event.listen(engine, "do_connect", refused)
    caplog.clear()
    try:
        answers = {
            path: client.get(path)
            for path in (
                "/p/alexa-marie",
                "/search?q=sciatica&near=Hoboken%2C+NJ",
                "/api/v1/search?q=sciatica&near=07030",
                "/hsds/services",
                "/dashboard",
                "/t/crafted-hand",
                "/no-such-page",  # a 404's page needs who is signed in, for its menu
            )
        }
        answers["POST /login"] = client.post(
            "/login", data={"email": "alexa@example.com", "password": "x"}
        )
    finally:
        event.remove(engine, "do_connect", refused)
        engine.dispose()
    for what, response in answers.items():
        assert response.status_code == 503, (what, response.status_code)
        assert response.headers["Retry-After"] == str(web.RETRY_AFTER), what
    api = answers["/api/v1/search?q=sciatica&near=07030"]
    assert api.json["error"]["code"] == "unavailable"
    assert "Back in a moment" in answers["/p/alexa-marie"].text
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert "database unavailable" in logged[0].getMessage()
    assert logged[0].exc_info is None  # a line, not a traceback
    # Back: the next request is answered as usual.
    assert client.get("/p/alexa-marie").status_code == 200


def test_only_errors_that_say_the_database_is_away_count_as_an_outage():
    """A missing table or a cancelled query is a bug to see (a 500 with its traceback), not an
    outage to wait out."""
    import psycopg

    def wrapped(orig, kind=sa_exc.OperationalError):
        return kind("SELECT 1", {}, orig)

    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = sqlite3.SQLITE_BUSY
    with pytest.raises(sqlite3.OperationalError) as no_table:
        sqlite3.connect(":memory:").execute("SELECT * FROM practitioner")
    assert unavailable(wrapped(busy))
    assert not unavailable(wrapped(no_table.value))
    assert unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert unavailable(wrapped(psycopg.errors.AdminShutdown()))
    assert unavailable(wrapped(psycopg.errors.TooManyConnections()))
    assert not unavailable(wrapped(psycopg.errors.QueryCanceled()))
    assert not unavailable(wrapped(psycopg.errors.UndefinedTable(), sa_exc.ProgrammingError))
    assert unavailable(sa_exc.TimeoutError())
    assert not unavailable(ValueError())


def test_a_database_error_that_is_a_bug_is_a_500_with_its_traceback(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    response = client.get("/broken-for-test")
    assert response.status_code == 500
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.exc_info and "database unavailable" not in logged.getMessage()
