"""The app factory, configuration, SQLite settings, error pages, headers and migrations."""

import ast
import json
import multiprocessing
import os
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from directory import create_app
from directory.db import db, writing
from tests.conftest import DATABASE_URL, make_app, reset_postgres_schema

sqlite_only = pytest.mark.skipif(bool(DATABASE_URL), reason="SQLite connection settings")


def test_secret_key_generated_once_into_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DIRECTORY_INSTANCE_PATH", str(tmp_path / "inst"))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key_file = tmp_path / "inst" / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_config_order_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        "PER_PAGE = 7\nSECRET_KEY = 'from-file'\nSQLALCHEMY_DATABASE_URI = 'sqlite:///file.db'\n"
    )
    monkeypatch.setenv("DIRECTORY_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/x")
    app = create_app()
    assert app.config["PER_PAGE"] == 7
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/x"
    assert app.instance_path == str(instance)


@pytest.mark.parametrize("where", ["file", "environment"])
def test_a_retired_setting_stops_the_app_with_what_to_set_instead(tmp_path, monkeypatch, where):
    instance = tmp_path / "inst"
    instance.mkdir()
    monkeypatch.setenv("DIRECTORY_INSTANCE_PATH", str(instance))
    if where == "file":
        (instance / "config.py").write_text("LOGIN_FAILURES_PER_ACCOUNT = 3\n")
    else:
        monkeypatch.setenv("FLASK_LOGIN_FAILURES_PER_ACCOUNT", "3")
    with pytest.raises(RuntimeError, match="LOGIN_FAILURES_PER_ACCOUNT is set") as refusal:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test"})
    assert "LOGIN_FAILURES_PER_ACCOUNT_AND_IP" in str(refusal.value)


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DIRECTORY_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/directory.sqlite3"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def _pragmas(app) -> tuple:
    with app.app_context(), db.engine.connect() as conn:
        return tuple(
            conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        )


@sqlite_only
def test_sqlite_pragmas_on_every_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTORY_INSTANCE_PATH", str(tmp_path))
    production = create_app({"SECRET_KEY": "x"})  # no SQLITE_SYNCHRONOUS given
    journal, foreign_keys, busy_timeout, synchronous = _pragmas(production)
    assert (journal, foreign_keys) == ("wal", 1)
    assert busy_timeout >= 5000
    # FULL (2): an acknowledged commit survives power loss, not only a crash.
    assert synchronous == 2
    with production.app_context():
        db.engine.dispose()


@sqlite_only
@pytest.mark.parametrize(("setting", "pragma"), [("off", 0), ("NORMAL", 1), ("extra", 3)])
def test_sqlite_synchronous_is_a_setting(tmp_path, setting, pragma):
    app = make_app(tmp_path, SQLITE_SYNCHRONOUS=setting)
    assert app.config["SQLITE_SYNCHRONOUS"] == setting.upper()
    assert _pragmas(app)[3] == pragma


def test_an_unknown_sqlite_synchronous_stops_the_app(tmp_path):
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS is 'fast'"):
        make_app(tmp_path, SQLITE_SYNCHRONOUS="fast")


def _increment(url: str, instance: str, times: int) -> int:
    os.environ["DIRECTORY_INSTANCE_PATH"] = instance
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    failures = 0
    with app.app_context():
        for _ in range(times):
            try:
                with writing():
                    value = db.session.execute(text("SELECT n FROM counter")).scalar()
                    db.session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
                    db.session.commit()
            except Exception:
                db.session.rollback()
                failures += 1
    return failures


@sqlite_only
def test_write_transactions_take_the_lock_first_so_concurrent_writers_never_fail(tmp_path):
    # Read-then-write from several processes: deferred transactions fail with SQLITE_BUSY here,
    # BEGIN IMMEDIATE makes them wait their turn instead; no update may be lost.
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        db.session.execute(text("INSERT INTO counter VALUES (0)"))
        db.session.commit()
    workers, times = 4, 40
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        failures = pool.starmap(_increment, [(url, str(tmp_path), times)] * workers)
    with app.app_context():
        assert db.session.execute(text("SELECT n FROM counter")).scalar() == workers * times
    assert sum(failures) == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no-such-page", 404), ("/p/" + "x" * 100, 404), ("/p/nobody", 404)],
)
def test_error_pages_are_ours_and_carry_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert b"Page not found" in response.data
    assert b"Back to the search" in response.data
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_405_page(client):
    response = client.post("/guide")
    assert response.status_code == 405
    assert b"Not allowed here" in response.data
    assert "GET" in response.headers["Allow"]


def test_413_page_for_oversized_body(app, client):
    from flask import request

    app.config["MAX_CONTENT_LENGTH"] = 100
    app.add_url_rule("/upload", "upload", lambda: str(len(request.form)), methods=["POST"])
    response = client.post("/upload", data={"x": "y" * 500})
    assert response.status_code == 413
    assert b"too large" in response.data


@pytest.mark.parametrize("code", [400, 403, 429])
def test_other_error_pages(app, client, code):
    from flask import abort

    app.add_url_rule(f"/boom-{code}", f"boom{code}", lambda: abort(code))
    response = client.get(f"/boom-{code}")
    assert response.status_code == code
    assert "Content-Security-Policy" in response.headers
    assert b"Back to the search" in response.data


def test_500_page_rolls_back_and_keeps_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        db.session.execute(text("SELECT 1"))
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    response = client.get("/broken")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"boom" not in response.data
    assert "Content-Security-Policy" in response.headers


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/guide").headers
    secure = client.get("/guide", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


_SERVE = """
import json, sys
from directory import create_app
client = create_app().test_client()
statuses = [client.get(path).status_code for path in ("/healthz", "/", "/guide")]
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "flask_migrate"})
print(json.dumps([statuses, loaded]))
"""


def test_the_command_line_migrates_and_a_web_process_never_imports_alembic(app, tmp_path):
    """Flask-Migrate and Alembic (11 MB of each worker) are loaded by `flask db` alone."""
    env = {
        **os.environ,
        "DIRECTORY_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "FLASK_CACHE_FOLDER": json.dumps(app.config["CACHE_FOLDER"]),  # place tables built once
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("-m", "flask", "--app", "directory", "db", "upgrade")
    assert "(head)" in run("-m", "flask", "--app", "directory", "db", "current")
    statuses, loaded = json.loads(run("-c", _SERVE).splitlines()[-1])
    assert statuses == [200, 200, 200] and loaded == []


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def migration_chain_problems(folder: Path) -> list[str]:
    """What keeps the migrations in `folder` from being one line of revisions, each problem
    named with its files: an id two files share, a revision of an id no file has, or more than
    one head (two migrations written against the same parent, each unaware of the other)."""
    files: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.py")):
        found = {
            node.targets[0].id: ast.literal_eval(node.value)
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("revision", "down_revision")
        }  # fmt: skip
        down = found.get("down_revision")
        files.setdefault(found["revision"], []).append(path.name)
        parents[found["revision"]] = (
            [] if down is None else [down] if isinstance(down, str) else list(down)
        )
    problems = [
        f"revision {rev} is in {len(names)} files: {', '.join(names)}"
        for rev, names in files.items()
        if len(names) > 1
    ]
    problems += [
        f"{files[rev][0]} revises {parent}, which no migration file has"
        for rev, ups in parents.items()
        for parent in ups
        if parent not in files
    ]
    revised = {parent for ups in parents.values() for parent in ups}
    heads = sorted(rev for rev in files if rev not in revised)
    if len(heads) > 1:
        problems.append(
            f"{len(heads)} heads, not one: "
            + " and ".join(f"{rev} ({', '.join(files[rev])})" for rev in heads)
            + "; make the newer revise the other (its down_revision), then `flask db heads`"
        )
    return problems


def test_the_migrations_are_one_line_with_one_head():
    """`flask db upgrade` fails on a second head; this names the two heads and their files."""
    problems = migration_chain_problems(MIGRATIONS)
    assert not problems, "\n".join(problems)


def test_two_migrations_on_one_parent_are_named_with_their_files(tmp_path):
    def write(name: str, revision: str, down: str | None) -> None:
        (tmp_path / name).write_text(f"revision = {revision!r}\ndown_revision = {down!r}\n")

    write("a1_initial.py", "a1", None)
    write("b2_claims.py", "b2", "a1")
    assert migration_chain_problems(tmp_path) == []
    write("c3_languages.py", "c3", "a1")  # written against a1 while b2 was in another branch
    assert migration_chain_problems(tmp_path) == [
        "2 heads, not one: b2 (b2_claims.py) and c3 (c3_languages.py); make the newer revise"
        " the other (its down_revision), then `flask db heads`"
    ]
    write("c3_copy.py", "c3", "b2")
    write("d4_gone.py", "d4", "zz")
    problems = migration_chain_problems(tmp_path)
    assert "revision c3 is in 2 files: c3_copy.py, c3_languages.py" in problems
    assert "d4_gone.py revises zz, which no migration file has" in problems


def test_migrations_create_the_schema_from_an_empty_database(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = DATABASE_URL or f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if DATABASE_URL:
            reset_postgres_schema()
        try:
            result = app.test_cli_runner().invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
            assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
            with warnings.catch_warnings(), db.engine.connect() as conn:
                # SQLite cannot reflect expression indexes; that one is checked below instead.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection")
                warnings.filterwarnings("ignore", "autogenerate skipping")
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                expressions = ("uq_user_email_lower", "ix_practitioner_lower_slug",
                               "ix_tenant_lower_slug")  # fmt: skip
                index_sql = {
                    name: conn.exec_driver_sql(
                        f"SELECT sql FROM sqlite_master WHERE name = '{name}'"
                        if not DATABASE_URL
                        else f"SELECT indexdef FROM pg_indexes WHERE indexname = '{name}'"
                    ).scalar()
                    for name in expressions
                }
            assert [d for d in diff if not any(name in repr(d) for name in expressions)] == []
            assert "UNIQUE" in index_sql["uq_user_email_lower"].upper()
            for name, column in zip(expressions, ("email", "slug", "slug"), strict=True):
                said = index_sql[name].lower().replace(f"({column})::text", column)
                assert f"lower({column})" in said, index_sql[name]
        finally:
            if DATABASE_URL:
                reset_postgres_schema()
            db.engine.dispose()


def test_upgrading_a_database_with_data_keeps_every_row(tmp_path):
    url = DATABASE_URL or f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if DATABASE_URL:
            reset_postgres_schema()
        try:
            runner = app.test_cli_runner()
            first = runner.invoke(args=["db", "upgrade", "9a745e2f7237"])
            assert first.exit_code == 0, first.output
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO tenant (id, slug, name, kind, status, created_at, updated_at) "
                    "VALUES (1, 't', 'T', 'practice', 'active', '2026-01-01', '2026-01-01')"
                ))  # fmt: skip
                conn.execute(text(
                    "INSERT INTO practitioner (id, tenant_id, slug, name, credentials, headline,"
                    " bio, setting, published, suspended, accepting_new_clients, in_home,"
                    " languages, session_lengths, insurance_notes, accepts_physician_referrals,"
                    " hsa_fsa, contact_email, phone, website, version, created_at, updated_at)"
                    " VALUES (1, 1, 'p', 'P', '', '', '', 'spa', true, false, true, false, '[]',"
                    " '[]', '', false, false, '', '', '', 1, '2026-01-01', '2026-01-01')"
                ))  # fmt: skip
                conn.execute(text(
                    "INSERT INTO license (id, practitioner_id, state, number, expires_on, status,"
                    " created_at, updated_at) VALUES (1, 1, 'NJ', '18KT01515000', '2030-01-01',"
                    " 'verified', '2026-01-01', '2026-01-01')"
                ))  # fmt: skip
            result = runner.invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM license")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM practitioner")).scalar() == 1
                # Profiles from before the inquiry form keep their email private (opt in).
                shown = conn.execute(text("SELECT show_email FROM practitioner")).scalar()
                assert shown in (False, 0)
                # Rows from before public ids each get their own random one.
                ids = conn.execute(text(
                    "SELECT public_id FROM tenant UNION ALL SELECT public_id FROM practitioner"
                )).scalars().all()  # fmt: skip
                assert len(set(ids)) == 2 and all(ids)
                assert "00000000" not in str(ids).replace("-", "")
                # A license verified before roster syncs was checked by our staff, that day.
                method, day = conn.execute(
                    text("SELECT check_method, checked_on FROM license")
                ).one()
                assert method == "staff" and str(day) == "2026-01-01"
        finally:
            if DATABASE_URL:
                reset_postgres_schema()
            db.engine.dispose()


def _refusing_routes(app):
    """Routes that flush a change, then refuse it in each way an operation can."""
    from flask import url_for

    from directory import refusals
    from directory.practices.models import Tenant

    def refuse(kind: str, shown_on: str = ""):
        db.session.add(Tenant(slug=f"refused-{kind}", name="Refused"))
        db.session.flush()
        if shown_on == "url":
            refusals.show_on(url_for("public.guide"))
        elif shown_on == "page":
            refusals.show_on(lambda refused: f"<p>the form again: {refused.message}</p>")
        if kind == "rule":
            raise refusals.Refused("A practice needs an owner.")
        if kind == "forbidden":
            raise refusals.NotPermitted("managers may not do this")
        if kind == "conflict":
            raise refusals.Conflict("Someone else saved this first.")
        raise refusals.Throttled("Too many attempts.", retry_after=120)

    app.add_url_rule("/refuse/<kind>", "refuse", refuse, methods=["POST"])
    app.add_url_rule("/refuse/<kind>/<shown_on>", "refuse_on", refuse, methods=["POST"])
    app.add_url_rule("/api/v1/refuse/<kind>", "api_refuse", refuse, methods=["POST"])


@pytest.mark.parametrize(
    ("kind", "status", "said"),
    [
        ("rule", 400, "A practice needs an owner."),
        ("forbidden", 403, "You may not do that"),
        ("conflict", 409, "Someone else saved this first."),
        ("throttled", 429, "Too many attempts."),
    ],
)
def test_a_refusal_rolls_back_and_answers_with_its_status(app, client, kind, status, said):
    from directory.practices.models import Tenant

    _refusing_routes(app)
    response = client.post(f"/refuse/{kind}")
    assert response.status_code == status
    assert said in response.get_data(as_text=True)
    assert "managers may not" not in response.get_data(as_text=True)  # a 403 tells no more
    if kind == "throttled":
        assert response.headers["Retry-After"] == "120"
    api = client.post(f"/api/v1/refuse/{kind}")
    assert api.status_code == status
    codes = {400: "invalid_parameter", 403: "forbidden", 409: "conflict", 429: "rate_limited"}
    assert api.json["error"]["code"] == codes[status]
    db.session.rollback()
    assert db.session.query(Tenant).filter(Tenant.slug.like("refused-%")).count() == 0


def test_a_refused_rule_is_said_on_the_page_the_view_named(app, client):
    _refusing_routes(app)
    response = client.post("/refuse/rule/url")
    assert response.status_code == 302 and response.headers["Location"].endswith("/guide")
    assert "A practice needs an owner." in client.get("/guide").get_data(as_text=True)
    again = client.post("/refuse/conflict/page")
    assert again.status_code == 409
    assert "the form again: Someone else saved this first." in again.get_data(as_text=True)


def test_each_request_in_the_tests_has_its_own_context_and_session(app, client):
    from flask import g

    seen = []

    def probe():
        seen.append((db.session(), g.get("left_by_an_earlier_request")))
        g.left_by_an_earlier_request = True
        return "ok"

    app.add_url_rule("/probe", "probe", probe)
    assert client.get("/probe").status_code == 200
    assert client.get("/probe").status_code == 200
    (first, left_before_first), (second, left_before_second) = seen
    assert left_before_first is None and left_before_second is None
    assert first is not second and db.session() not in (first, second)


@pytest.mark.parametrize(
    ("name", "taken", "slug"),
    [
        ("Café Zoë & Co.!", set(), "cafe-zoe-co"),
        ("Ana Ruiz", {"ana-ruiz"}, "ana-ruiz-2"),
        ("Ana Ruiz", {"ana-ruiz", "ana-ruiz-2", "ana-ruiz-3"}, "ana-ruiz-4"),
        ("!!!", set(), "fallback"),
        ("word " * 40, set(), "-".join(["word"] * 14)),
    ],
)
def test_one_slug_maker_for_profiles_practices_and_demo_data(name, taken, slug):
    from directory import validation

    made = validation.numbered(validation.slug_base(name, "fallback"), taken)
    assert made == slug and len(made) <= validation.MAX_SLUG_BASE + 3
    assert validation.check_slug(made) == made


@pytest.mark.parametrize(
    ("rows", "slug"),
    [
        ((), "ana-ruiz"),
        (("ana-ruiz",), "ana-ruiz-2"),
        (("ana-ruiz", "ana-ruiz-3"), "ana-ruiz-2"),  # the first free number, gaps included
        (("ana-ruiz", "ana-ruiz-lopez", "ana-ruiz-lopez-2"), "ana-ruiz-2"),  # another name
        (("ana-ruiz-2",), "ana-ruiz"),
        # A row's case does not matter (as SQLite's LIKE answered): "Ana-Ruiz-2" is taken.
        (("ana-ruiz", "Ana-Ruiz-2"), "ana-ruiz-3"),
        (("ANA-RUIZ",), "ana-ruiz-2"),
        # Past the first candidates asked (9), and past the second batch (10 to 18).
        (("ana-ruiz", *(f"ana-ruiz-{n}" for n in range(2, 12))), "ana-ruiz-12"),
        (("ana-ruiz", *(f"ana-ruiz-{n}" for n in range(2, 19))), "ana-ruiz-19"),
        (("ana-ruiz", *(f"ana-ruiz-{n}" for n in range(2, 10))), "ana-ruiz-10"),
    ],
)
def test_a_taken_name_gets_the_first_free_number(app, make_practitioner, rows, slug):
    from directory import validation
    from directory.practitioners.models import Practitioner

    with app.app_context():
        for n, row in enumerate(rows):
            make_practitioner(row, name=f"Someone {n}")
        assert validation.unique_slug(Practitioner.slug, "Ana Ruiz", "therapist") == slug


@pytest.mark.parametrize("table", ["practitioner", "tenant"])
def test_the_taken_slug_lookup_reads_the_lower_slug_index(app, table):
    from directory import validation
    from directory.practices.models import Tenant
    from directory.practitioners.models import Practitioner

    column = {"practitioner": Practitioner.slug, "tenant": Tenant.slug}[table]
    with app.app_context():
        statement = validation.slugs_among(column, ["ana-ruiz", "ana-ruiz-2", "ana-ruiz-3"])
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            if DATABASE_URL:
                # A test table is small enough that a scan is cheaper: ask for the index's plan.
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
            else:
                plan = "\n".join(
                    row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                )
    assert f"ix_{table}_lower_slug" in plan, plan


@pytest.mark.parametrize(
    ("raw", "number"),
    [("1", 1), ("0042", 42), ("100000", 100_000), ("100001", None), ("0", None), ("²", None),
     ("①", None), ("٣", None), ("-1", None), ("+1", None), (" 1", None), ("1e3", None),
     ("", None), (None, None), ("9" * 40, None)],
)  # fmt: skip
def test_one_number_parser_takes_ascii_digits_only(raw, number):
    from directory.validation import whole_number

    assert whole_number(raw, 1, 100_000) == number


@pytest.mark.parametrize(
    ("path", "status"),
    [("/p/%00", 404), ("/p/a%00b", 404), ("/p/" + "a" * 81, 404), ("/p/Alexa", 404),
     ("/api/v1/practitioners/%00", 404), ("/dashboard/practices/x%00y", 404),
     ("/dashboard/profiles/a/offices/2147483648/edit", 404),
     ("/dashboard/profiles/a/offices/%C2%B2/edit", 404),
     ("/dashboard/profiles/a/offices/2147483647/edit", 302)],  # in range: sign in first
)  # fmt: skip
def test_ids_and_slugs_outside_their_shape_match_no_route(client, path, status):
    assert client.get(path).status_code == status


def test_health_and_readiness(app, client, make_practitioner):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["checks"]["index"] == "missing"  # no search built it yet
    assert client.get("/api/v1/search", query_string={"q": "sciatica"}).status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok", "index": "ok"}
    app.config["READY_PENDING"] = 0
    make_practitioner("not-indexed-yet", licenses=[("NJ", "verified", None)], offices=["07030"])
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json["checks"]["index"] == "1 changes not indexed yet"
    app.extensions["search_store"].close()
    import shutil

    shutil.rmtree(app.extensions["search_store"].root)
    assert client.get("/readyz").json["checks"]["index"] == "missing"


def test_readiness_counts_the_indexer_only_where_one_is_expected(app, client, monkeypatch):
    from directory.search import indexer, sync

    assert client.get("/api/v1/search", query_string={"q": "sciatica"}).status_code == 200
    assert "indexer" not in client.get("/readyz").json["checks"]  # tests, `make dev`: none
    app.config["SEARCH_INDEXER_EXPECTED"] = True  # gunicorn.conf.py started one, or systemd
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json["checks"]["indexer"] == "not running"
    monkeypatch.setattr(indexer, "BEAT_SECONDS", 3600)  # only the first beat, at start
    root = sync.store().root
    with indexer.running(root):
        up = client.get("/readyz")
        assert up.status_code == 200 and up.json["checks"]["indexer"] == "ok"
        past = time.time() - indexer.STALE_SECONDS - 1
        os.utime(root / indexer.HEARTBEAT_FILE, (past, past))  # killed, or hung: no beat since
        stale = client.get("/readyz")
        assert stale.status_code == 503
        assert stale.json["checks"]["indexer"].startswith("not running (last heartbeat 3")


def test_forwarded_headers_count_only_behind_the_configured_proxies(tmp_path):
    from flask import request

    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    seen = {}
    for hops in (0, 1):
        app = make_app(tmp_path / str(hops), PROXY_FIX_HOPS=hops)
        app.add_url_rule("/who", "who", lambda: f"{request.remote_addr} {request.is_secure}")
        response = app.test_client().get("/who", headers=headers)
        hsts = "Strict-Transport-Security" in response.headers
        seen[hops] = (response.get_data(as_text=True), hsts)
    assert seen[0] == ("127.0.0.1 False", False)  # nobody's forwarded headers are believed
    assert seen[1] == ("203.0.113.9 True", True)


def test_a_host_outside_trusted_hosts_is_a_plain_400(tmp_path):
    app = make_app(tmp_path, TRUSTED_HOSTS=["kneaded.example"])
    app.add_url_rule("/x", "x", lambda: "ok")
    client = app.test_client()
    refused = client.get("/x", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and b"evil" not in refused.data
    assert client.get("/x", headers={"Host": "kneaded.example"}).data == b"ok"
