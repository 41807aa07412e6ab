"""A request is the unit of work (directory/unit_of_work.py): one commit after a write view
succeeds, nothing kept when it refuses or fails, and what hangs off the commit only then."""

import ast
from pathlib import Path

import pytest
from flask import flash, has_request_context, redirect, request
from flask import session as browser_session
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from directory import extensions, mail, refusals
from directory.accounts import operations as account_operations
from directory.accounts.models import User
from directory.db import db, unless_taken
from directory.mail import MailMessage
from directory.practices.models import Tenant
from directory.practitioners import operations as practitioner_operations
from directory.practitioners.models import Practitioner
from directory.search.outbox import SEEN, SearchOutbox
from directory.unit_of_work import unit_of_work
from tests.conftest import add_practitioner
from tests.people import build_crew, log_in
from tests.test_mail import FakeSMTP, smtp  # noqa: F401  (the fixture)

PACKAGE = Path(__file__).resolve().parent.parent / "directory"
#: What may commit outside directory/unit_of_work.py: the named helpers, each saying why.
NAMED_HELPERS = {("db.py", "_apart")}


def _route_modules() -> list[Path]:
    """Every module that defines views: views.py files and any module making a Blueprint."""
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.name == "views.py" or "Blueprint(" in path.read_text(encoding="utf-8")
    )


def _commits(path: Path) -> list[str]:
    """Where `path` calls `<something>.session.commit()` (db.session or a session), by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"
        ):
            shown = path.relative_to(PACKAGE) if path.is_relative_to(PACKAGE) else path.name
            found.append(f"{shown}:{node.lineno}")
    return found


def test_the_scan_finds_route_modules_and_would_see_a_commit(tmp_path):
    names = {p.relative_to(PACKAGE).as_posix() for p in _route_modules()}
    assert {"practices/views.py", "practitioners/editor.py", "accounts/views.py"} <= names
    sample = tmp_path / "views.py"
    sample.write_text("def save():\n    thing()\n    db.session.commit()\n    writer.commit()\n")
    assert _commits(sample) == ["views.py:3"]


def test_no_view_module_commits():
    """Views never commit: @unit_of_work does, once, after the view succeeded."""
    found = [c for path in _route_modules() for c in _commits(path)]
    assert found == []


def _defining_function(path: Path, line: int) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    best = ""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.lineno <= line <= node.end_lineno:
            best = node.name  # ast.walk goes outside in: the innermost one is last
    return best


def test_outside_the_request_only_commands_and_named_helpers_commit():
    """The rest of directory/ commits only in command-line code (cli.py files, commands that
    run outside any request) and the named helpers of db.py."""
    commands = {"cli.py", "demo.py", "expiry.py", "sync.py"}
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in commands or path.name == "unit_of_work.py":
            continue
        for where in _commits(path):
            line = int(where.rsplit(":", 1)[1])
            if (path.name, _defining_function(path, line)) not in NAMED_HELPERS:
                stray.append(where)
    assert stray == []


def test_every_route_that_takes_a_post_is_a_unit_of_work(app):
    """A write view without the decorator would have its changes rolled back at the end."""
    missing = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        and not getattr(app.view_functions[rule.endpoint], "unit_of_work", False)
    )
    assert missing == []


# --- Behaviour, on views made for the test --------------------------------------------------


@pytest.fixture
def views(app):
    """Register write views that add a practice, then answer as `how` says."""

    @unit_of_work
    def add(how: str):
        db.session.add(Tenant(slug="made-here", name="Made Here"))
        db.session.flush()
        if request.form.get("mail"):
            mail.send("someone@example.com", "Hello", "A message")
        flash("Saved.", "success")
        if how == "refuse":
            raise refusals.Refused("Not like that.")
        if how == "raise":
            raise RuntimeError("broken")
        if how == "bad":
            return "Please correct the form.", 400
        if how == "clash":
            # Fails only at the commit: the slug is taken (flushed by the commit itself).
            db.session.add(Tenant(slug="taken", name="Taken Twice"))
        return redirect("/")

    @unit_of_work
    def rename(slug: str):
        practitioner = db.session.scalar(select(Practitioner).where(Practitioner.slug == slug))
        practitioner.name = "A New Name"
        return "ok"

    app.add_url_rule("/test-uow/<how>", "test_uow_add", add, methods=["POST"])
    app.add_url_rule("/test-uow-p/<slug>", "test_uow_rename", rename, methods=["POST"])
    return app


def _made() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(Tenant.slug == "made-here"))


def test_a_write_view_that_succeeds_commits_once(views):
    commits = []

    def committed(session):
        if has_request_context():
            commits.append(request.endpoint)

    event.listen(Session, "after_commit", committed)
    try:
        response = views.test_client().post("/test-uow/ok")
    finally:
        event.remove(Session, "after_commit", committed)
    assert response.status_code == 302
    assert commits == ["test_uow_add"]
    assert _made() == 1


@pytest.mark.parametrize("how,status", [("refuse", 400), ("raise", 500), ("bad", 400)])
def test_a_refused_failed_or_rejected_write_view_keeps_nothing(views, smtp, how, status):  # noqa: F811
    response = views.test_client().post(f"/test-uow/{how}", data={"mail": "1"})
    response.close()  # when mail of a committed request would go out
    assert response.status_code == status
    assert _made() == 0
    assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 0
    assert smtp.sent == []


def test_mail_written_by_a_write_view_is_sent_after_its_commit(views, smtp):  # noqa: F811
    response = views.test_client().post("/test-uow/ok", data={"mail": "1"})
    assert response.status_code == 302
    assert smtp.sent == []  # after the response, as ever
    response.close()
    assert [m["Subject"] for m in smtp.sent] == ["Hello"]


def test_a_commit_that_fails_takes_back_what_the_view_announced(views):
    db.session.add(Tenant(slug="taken", name="Taken"))
    db.session.commit()
    client = views.test_client()
    with client.session_transaction() as browser:
        browser["_flashes"] = [("info", "From before.")]
    response = client.post("/test-uow/clash")
    assert response.status_code == 500
    assert _made() == 0
    page = response.get_data(as_text=True)
    assert "From before." in page  # what was waiting to be said still is
    assert "Saved." not in page


def test_after_the_commit_the_browser_learns_its_newest_outbox_id(views):
    add_practitioner("alexa-marie")
    client = views.test_client()
    response = client.post("/test-uow/ok")  # a practice with no profiles: no outbox row
    assert response.status_code == 302
    with client.session_transaction() as browser:
        assert SEEN not in browser
    response = client.post("/test-uow-p/alexa-marie")
    assert response.status_code == 200
    newest = db.session.scalar(select(func.max(SearchOutbox.id)))
    with client.session_transaction() as browser:
        assert browser[SEEN] == newest


def test_an_attribute_read_after_the_commit_opens_no_transaction(app):
    tenant = Tenant(slug="read-after", name="Read After")
    db.session.add(tenant)
    db.session.commit()
    assert not db.session().in_transaction()
    assert (tenant.name, tenant.slug) == ("Read After", "read-after")
    assert tenant.id is not None
    assert not db.session().in_transaction()


# --- Races lost to a simultaneous request, answered by the view (db.unless_taken) -----------


def test_unless_taken_flushes_now_and_rolls_back_a_lost_race(app):
    db.session.add(Tenant(slug="taken", name="Taken"))
    db.session.commit()

    def clash():
        db.session.add(Tenant(slug="taken", name="Second"))

    assert unless_taken("lost", clash) == "lost"
    assert not db.session().in_transaction()
    assert unless_taken("lost", lambda: db.session.add(Tenant(slug="free", name="Free"))) is None
    assert db.session().in_transaction()  # flushed, left for the request's commit
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_a_draft_whose_slug_was_taken_meanwhile_asks_to_try_again(client, make_practitioner,
                                                                  monkeypatch):  # fmt: skip
    crew = build_crew(make_practitioner)
    log_in(client, crew["owner"])
    before = db.session.scalar(select(func.count()).select_from(Practitioner))
    # As if another request had taken the slug after unique_slug looked.
    monkeypatch.setattr(practitioner_operations, "unique_slug", lambda name: "alexa-marie")
    response = client.post("/dashboard/practices/crafted-hand/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/practices/crafted-hand"
    assert db.session.scalar(select(func.count()).select_from(Practitioner)) == before
    with client.session_transaction() as browser:
        assert browser["_flashes"] == [("error", "That did not work this time; please try again.")]


def test_a_sign_up_that_lost_its_address_meanwhile_runs_once_more(client, auth, make_user,
                                                                   monkeypatch):  # fmt: skip
    make_user("alexa@example.com", name="First Alexa")
    real, calls = account_operations.find_user, []

    def late(email):  # the first look misses the account a simultaneous sign-up just made
        calls.append(email)
        return None if len(calls) == 1 else real(email)

    monkeypatch.setattr(account_operations, "find_user", late)
    response = auth.register(email="alexa@example.com", practice_name="Second Practice")
    assert response.status_code == 200
    assert len(calls) == 2
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert db.session.scalar(select(func.count()).where(Tenant.name == "Second Practice")) == 0
    subjects = db.session.scalars(select(MailMessage.subject)).all()
    assert subjects == ["Someone tried to register with your address"]


# --- Listeners: one table (extensions.LISTENERS), none of them touching HTTP state ----------


def test_listeners_are_registered_in_one_table_only_and_once(app, monkeypatch):
    elsewhere = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "extensions.py"
        and any(word in path.read_text(encoding="utf-8") for word in ("listens_for", ".listen("))
    ]
    assert elsewhere == []
    registered = []
    monkeypatch.setattr(extensions.event, "listen", lambda *args: registered.append(args))
    extensions.listen()  # another app in the same process
    assert registered == []


def test_a_commit_outside_a_write_view_writes_nothing_to_the_browser(app):
    add_practitioner("alexa-marie")
    with app.test_request_context("/", method="POST"):
        practitioner = db.session.scalar(select(Practitioner))
        practitioner.name = "Changed In A Hook"
        db.session.commit()  # as a database event would see it: not the request's to answer
        assert SEEN not in browser_session
        assert not browser_session.modified
