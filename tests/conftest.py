import contextvars
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from directory import create_app, geo, vocabulary
from directory.db import db

#: Set by CI to run the suite against PostgreSQL; SQLite in a temporary folder otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL")
_pg_schema_ready = False
if DATABASE_URL:
    # Test databases are thrown away: no wait for the WAL to reach the disk at each commit (what
    # a commit shows other connections is the same; only a crash of the server could lose it).
    # libpq reads PGOPTIONS in this process and in the servers and commands tests start. About
    # 40% off the wall time of a world's reset on a busy box (42 to 23 ms), and off every commit.
    os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")


def reset_postgres_schema() -> None:
    """Drop everything in the shared test database (the next `app` recreates the tables)."""
    global _pg_schema_ready
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    _pg_schema_ready = False
    _vocabulary_kept.clear()


#: Rows a world starts from, by table: the vocabulary (PostgreSQL; read once).
_vocabulary_rows: dict[str, list[dict]] = {}
#: How the vocabulary's tables looked when their rows were last written (PostgreSQL): by table,
#: (row count, the transaction ids that wrote them, its id sequence's state). Empty when they
#: are not known to hold exactly _vocabulary_rows.
_vocabulary_kept: dict[str, tuple] = {}
#: SQLite files a world starts from, by whether it holds the vocabulary (made once a session).
_sqlite_templates: dict[bool, Path] = {}


def _prepare_database(*, with_vocabulary: bool = False) -> None:
    """The app's database, as create_all makes it: every table empty but the vocabulary's
    (loaded if asked, committed). On SQLite a copy of a file made once (with a name of its
    own, see DatabaseIdentity); on PostgreSQL the shared database emptied by DELETE and its
    sequences restarted, about 20 times faster than a TRUNCATE of every table."""
    if DATABASE_URL:
        _empty_postgres(with_vocabulary)
    else:
        _copy_sqlite_template(with_vocabulary)


def _copy_sqlite_template(with_vocabulary: bool) -> None:
    from directory.search.outbox import DatabaseIdentity

    path = Path(db.engine.url.database)
    template = _sqlite_templates.get(with_vocabulary)
    if template is None:
        db.create_all()
        if with_vocabulary:
            vocabulary.sync()
        db.session.commit()
        db.session.remove()
        with db.engine.connect() as conn:  # everything into the file, for copies to read
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
        template = Path(_CACHE_FOLDER[0]) / f"world-{int(with_vocabulary)}.sqlite3"
        shutil.copyfile(path, template)
        _sqlite_templates[with_vocabulary] = template
        return
    db.session.remove()
    db.engine.dispose()
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(template, path)
    db.session.execute(db.update(DatabaseIdentity).values(token=uuid.uuid4().hex))
    db.session.commit()


def _empty_postgres(with_vocabulary: bool) -> None:
    global _pg_schema_ready
    if not _pg_schema_ready:
        reset_postgres_schema()
        db.create_all()
        _pg_schema_ready = True
    vocabulary_tables = [m.__table__.name for m in (vocabulary.Condition, vocabulary.Modality)]
    # The database keeps its name (written once, with its tables): indexes record it. The
    # vocabulary's rows stay when no test changed them since they were written (reinserting
    # them was three quarters of a reset).
    kept = {"database_identity"}
    with db.engine.begin() as conn:
        if with_vocabulary and _vocabulary_untouched(conn):
            kept |= set(vocabulary_tables)
        else:
            _vocabulary_kept.clear()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in kept]
        conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                " AND NOT c.oid = ANY(CAST(:kept AS regclass[]))"
            ),
            {"kept": [_sequence(name) for name in kept if name in vocabulary_tables]},
        )
    if not with_vocabulary or _vocabulary_kept:
        return
    if not _vocabulary_rows:
        vocabulary.sync()
        db.session.commit()
        for model in (vocabulary.Condition, vocabulary.Modality):
            table = model.__table__
            rows = db.session.execute(db.select(table).order_by(table.c.id)).mappings()
            _vocabulary_rows[table.name] = [dict(row) for row in rows]
        db.session.remove()
    else:
        with db.engine.begin() as conn:
            for name, rows in _vocabulary_rows.items():
                conn.execute(db.metadata.tables[name].insert(), rows)
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id))"
                    f' FROM "{name}"'
                )
    with db.engine.connect() as conn:
        _vocabulary_kept.update(_vocabulary_state(conn))


def _sequence(table: str) -> str:
    return f"{table}_id_seq"


def _vocabulary_state(conn) -> dict[str, tuple]:
    """By vocabulary table: its row count, the transactions that wrote its rows (each write
    makes a row version with its writer's id: an update or a reinsertion shows), and its id
    sequence's state (an insert taken back by a delete shows there)."""
    state = {}
    for name in _vocabulary_rows:
        count, writers = conn.exec_driver_sql(
            f'SELECT count(*), array_agg(DISTINCT xmin::text) FROM "{name}"'
        ).one()
        sequence = conn.exec_driver_sql(
            f'SELECT last_value, is_called FROM "{_sequence(name)}"'
        ).one()
        state[name] = (count, tuple(sorted(writers or ())), tuple(sequence))
    return state


def _vocabulary_untouched(conn) -> bool:
    return bool(_vocabulary_kept) and _vocabulary_state(conn) == _vocabulary_kept


class RequestClient(FlaskClient):
    """A test client whose every request runs as in production: in an app context of its own
    (its own `g`, its own database session), not in the one the test body holds.

    The test's session ends its transaction first, as a browser's next request would find
    it: what the test did not commit is not there, and the test reads afresh afterwards."""

    def open(self, *args, **kwargs):
        if has_app_context() and db.session.registry.has():
            db.session.rollback()
            # A commit keeps what it loaded (expire_on_commit=False): read afresh all the same.
            db.session.expire_all()
        if self.preserve_context:  # `with client:` keeps the request's context for the test
            response = super().open(*args, **kwargs)
        else:
            response = contextvars.Context().run(super().open, *args, **kwargs)
        check_against_openapi(self.application, response)
        return response


#: How many API answers the suite checked against the OpenAPI document (tests/test_openapi.py).
API_ANSWERS_CHECKED = [0]


def check_against_openapi(app, response) -> None:
    """Every answer of a documented /api/ route, in every test, must be one the OpenAPI
    document describes: a documented status, and a body its schema accepts."""
    from jsonschema import Draft202012Validator
    from werkzeug.exceptions import HTTPException

    request = response.request
    if not request.path.startswith("/api/") or request.method != "GET":
        return
    try:
        endpoint, _ = app.url_map.bind("localhost").match(request.path, method="GET")
    except HTTPException:
        return  # not an API route: nothing documents it
    from directory.api.openapi import PATHS, served

    with app.app_context():
        doc = served()

    operation = doc["paths"][PATHS[endpoint]]["get"]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{request.path} answered {response.status_code}, not in the document"
    schema = documented["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": doc["components"]}).validate(response.get_json())
    API_ANSWERS_CHECKED[0] += 1


#: The CACHE_FOLDER of every app of the session, and of the servers tests start: the place tables
#: and compiled templates are built once (warmup.py).
_CACHE_FOLDER: list = []


@pytest.fixture(autouse=True, scope="session")
def _shared_cache_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    _CACHE_FOLDER.append(str(folder))
    geo.use_cache(folder)  # tests of geo alone too


def _reuse_url_builders() -> None:
    """Make each app of the session build its URL rules' builder functions once, not per app.

    werkzeug compiles two Python functions per rule from generated source each time a rule is
    added to a map: about 80% of create_app (0.2 of 0.25 s), paid by every test that makes an
    app. The function depends only on what the key below holds, so apps made from the same
    code get the same functions. If werkzeug's internals move, tests just run slower."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "reused", False):
        return
    made: dict = {}

    def compile_builder(self, append_unknown=True):
        defaults = repr(sorted((self.defaults or {}).items()))
        key = (self.rule, self.subdomain, self.host, tuple(self._trace), defaults, append_unknown)
        if key not in made:
            made[key] = original(self, append_unknown)
        return made[key]

    compile_builder.reused = True
    Rule._compile_builder = compile_builder


_reuse_url_builders()


def make_app(tmp_path, **overrides):
    """An app on a temporary instance folder (and, on SQLite, a database of its own)."""
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(tmp_path / "instance")
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        # Sitemaps read the data afresh in tests (test_landing.py checks the reuse).
        "SITEMAP_CACHE_SECONDS": 0,
        # Profile views and search appearances are written when a test flushes them.
        "INSIGHTS_FLUSH_SECONDS": 0,
        # Fast hashing for tests (2 MB, ~8x cheaper than 16384); test_accounts checks the
        # production default separately.
        "PASSWORD_HASH_METHOD": "scrypt:2048:8:1",
        # Test databases are thrown away: no fsync per commit (test_app.py checks FULL's default).
        "SQLITE_SYNCHRONOUS": "OFF",
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "CACHE_FOLDER": _CACHE_FOLDER[0],
        **overrides,
    }
    try:
        app = create_app(config)
    finally:
        del os.environ["DIRECTORY_INSTANCE_PATH"]
    app.test_client_class = RequestClient
    _made_apps.append(app)
    return app


_made_apps: list = []


@pytest.fixture(autouse=True)
def _close_every_app():
    """Close the connections and index files of every app a test made (PostgreSQL warns).

    Apps made by wider-scoped fixtures exist before this runs and are left to those fixtures.
    """
    before = len(_made_apps)
    yield
    while len(_made_apps) > before:
        made = _made_apps.pop()
        made.extensions["search_store"].close()
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def module_world(folder, build, **config):
    """(app, what `build()` made) on a database of its own with the vocabulary loaded;
    everything is closed afterwards. A module's read-only tests share one; the `app` fixture
    is one per test."""
    from directory.search import sync

    app = make_app(folder, **config)
    with app.app_context():
        _prepare_database(with_vocabulary=True)
        try:
            yield app, build()
        finally:
            sync.store().close()  # this thread's searcher: no unclosed index files left behind
            db.session.remove()
            db.engine.dispose()


@contextmanager
def saved_world(folder, build, **config):
    """Build a world once (`module_world`) and keep it, to give each test that changes it a
    copy (`copied_world`) in a few milliseconds instead of building it again (about a second):
    the database (the SQLite file, or every row on PostgreSQL), the instance folder (search
    index, uploads), and which rows the world's names point at."""
    from sqlalchemy import inspect as inspect_

    from directory.search import sync

    with module_world(folder, build, **config) as (app, made):
        names = {}
        for name, value in made.items():
            if isinstance(value, db.Model):
                names[name] = (type(value), inspect_(value).identity)
            else:
                assert isinstance(value, str | int), f"{name}: keep ids or ORM rows in a world"
                names[name] = value
        sync.store().close()
        db.session.remove()
        saved = {"names": names, "instance": folder / "saved-instance", "config": config}
        if DATABASE_URL:
            with db.engine.connect() as conn:
                saved["rows"] = {
                    table.name: [dict(row) for row in conn.execute(table.select()).mappings()]
                    for table in db.metadata.sorted_tables
                    if table.name != "database_identity"  # kept by the database (see above)
                }
            # A world that left the vocabulary as it was lets its copies keep it (see above).
            saved["vocabulary"] = all(
                sorted(saved["rows"][name], key=lambda row: row["id"]) == rows
                for name, rows in _vocabulary_rows.items()
            )
        else:
            with db.engine.connect() as conn:  # everything into the file, for copies to read
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
            saved["database"] = folder / "saved.sqlite3"
            shutil.copyfile(db.engine.url.database, saved["database"])
        shutil.copytree(app.instance_path, saved["instance"])
        yield saved


@contextmanager
def copied_world(tmp_path, saved):
    """(app, world) from `saved_world`, on a database and instance folder as they were saved;
    the world's names point at rows of this copy."""
    app = make_app(tmp_path, **saved["config"])
    shutil.copytree(saved["instance"], app.instance_path, dirs_exist_ok=True)
    with app.app_context():
        if DATABASE_URL:
            _empty_postgres(with_vocabulary=saved["vocabulary"])
            done = set(_vocabulary_rows) if saved["vocabulary"] else set()
            with db.engine.begin() as conn:
                sequences = []
                for table in db.metadata.sorted_tables:
                    rows = saved["rows"].get(table.name)
                    if not rows or table.name in done:
                        continue
                    conn.execute(table.insert(), rows)
                    if "id" in table.c and table.c.id.autoincrement is not False:
                        sequences.append(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                            f' max(id)) FROM "{table.name}"'
                        )
                if sequences:  # one round trip
                    conn.exec_driver_sql("; ".join(sequences))
        else:
            db.engine.dispose()
            shutil.copyfile(saved["database"], db.engine.url.database)
        world = {
            name: db.session.get(*value) if isinstance(value, tuple) else value
            for name, value in saved["names"].items()
        }
        try:
            yield app, world
        finally:
            from directory.search import sync

            sync.store().close()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _chromium():
    """One headless Chromium for the session (launching one was about a second a test)."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def chromium(_chromium):
    """The session's Chromium; what a test opens in it (contexts: cookies, storage, pages of
    their own) is closed after the test, as closing a browser of its own did."""
    yield _chromium
    for context in _chromium.contexts:
        context.close()


@pytest.fixture
def app(tmp_path):
    with module_world(tmp_path, lambda: None) as (app, _):
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def add_practitioner(
    slug="alexa-marie", *, tenant=None, licenses=(), offices=(), specialties=(), **fields
):
    """A committed practitioner: licenses are (state, status, expires_on) tuples (expires_on
    None for a year from today); offices are ZIP codes (state from the ZIP); specialties are
    (kind, status, expires_on) tuples (expires_on None: never expires). Needs an app context;
    without a tenant, The Crafted Hand is used (and made)."""
    from datetime import date, timedelta

    from directory import geo
    from directory.practices.models import Tenant
    from directory.practitioners.models import License, Office, Practitioner, Specialty

    if tenant is None:
        tenant = db.session.query(Tenant).filter_by(slug="crafted-hand").one_or_none()
        tenant = tenant or Tenant(slug="crafted-hand", name="The Crafted Hand")
    fields.setdefault("name", slug.replace("-", " ").title())
    fields.setdefault("setting", "medical")
    fields.setdefault("published", True)
    practitioner = Practitioner(slug=slug, tenant=tenant, **fields)
    for state, status, expires in licenses:
        expires = expires or date.today() + timedelta(days=365)
        number = {"NJ": "18KT01515000", "NY": "028941", "FL": "MA20209"}.get(state, "LMT12345")
        practitioner.licenses.append(
            License(state=state, number=number, status=status, expires_on=expires)
        )
    for kind, status, expires in specialties:
        practitioner.specialties.append(
            Specialty(kind=kind, issuer="Klose Training", number="K-1", status=status,
                      expires_on=expires, document=None)
        )  # fmt: skip
    for zip_code in offices:
        lat, lon, city, state = geo.zip_location(zip_code)
        practitioner.offices.append(
            Office(street="1 Main St", city=city, state=state, zip=zip_code, lat=lat, lon=lon)
        )
    db.session.add(practitioner)
    db.session.commit()
    return practitioner


@pytest.fixture
def make_practitioner(app):
    """The `add_practitioner` factory, once the test's app is up."""
    return add_practitioner


def tag(practitioner, *, conditions=(), modalities=()):
    """Link a practitioner to vocabulary entries by slug, and commit."""
    from sqlalchemy import select

    from directory.vocabulary import Condition, Modality

    practitioner.conditions = [
        db.session.scalar(select(Condition).where(Condition.slug == s)) for s in conditions
    ]
    practitioner.modalities = [
        db.session.scalar(select(Modality).where(Modality.slug == s)) for s in modalities
    ]
    assert None not in practitioner.conditions, f"unknown condition in {conditions}"
    assert None not in practitioner.modalities, f"unknown modality in {modalities}"
    db.session.commit()
    return practitioner


#: A password the policy accepts, used by the `auth` and `make_user` fixtures.
PASSWORD = "lavender-table-stretch-42"
#: The field a removal's confirmation page posts (directory/confirm.py); without it, nothing goes.
CONFIRMED = {"confirm": "1"}


class AuthActions:
    """Register, sign in and sign out through the pages, as a browser would."""

    def __init__(self, client):
        self._client = client

    def register(
        self,
        email="alexa@example.com",
        password=PASSWORD,
        name="Alexa Marie",
        practice_name="The Crafted Hand",
        **extra,
    ):
        data = {"email": email, "password": password, "name": name, "practice_name": practice_name}
        return self._client.post("/register", data={**data, **extra})

    def login(self, email="alexa@example.com", password=PASSWORD, **extra):
        return self._client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """A factory: make_user(email=..., password=..., name=..., verified=True, tenant=None,
    role="owner") -> User, committed. Without a tenant, a new practice is created for the user."""
    from directory.accounts import passwords
    from directory.accounts.models import User
    from directory.db import now_utc
    from directory.practices.models import Membership, Tenant
    from directory.practices.operations import unique_tenant_slug

    def make(
        email="alexa@example.com",
        password=PASSWORD,
        name="Alexa Marie",
        *,
        verified=True,
        tenant=None,
        role="owner",
        **fields,
    ):
        user = User(
            email=email,
            name=name,
            password_hash=passwords.hash_password(password),
            email_verified_at=now_utc() if verified else None,
            **fields,
        )
        if tenant is None:
            practice = f"{name} Massage"
            tenant = Tenant(slug=unique_tenant_slug(practice), name=practice)
        db.session.add_all([user, Membership(user=user, tenant=tenant, role=role)])
        db.session.commit()
        return user

    return make
