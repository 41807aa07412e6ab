"""The authorization matrix's permitted writes, each on a copy of the world (they change it)."""

import traceback

import pytest
from flask import g, request, request_tearing_down
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests import authz
from tests.conftest import copied_world, saved_world
from tests.test_authz_matrix import request_as, signed_in

WRITES = [c for c in authz.cases() if c.writes and c.expected not in authz.DENIED]


def _session_changes(app, response) -> set[str]:
    """Keys of the session the response wrote anew or with another value."""
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == app.config["SESSION_COOKIE_NAME"]:
            value = rest.split(";", 1)[0]
            written = app.session_interface.get_signing_serializer(app).loads(value)
            before = response.session_before
            return {key for key, v in written.items() if key not in before or before[key] != v}
    return set()


@pytest.fixture(scope="module")
def _saved(tmp_path_factory):
    with saved_world(tmp_path_factory.mktemp("writes"), authz.build_world) as saved:
        yield saved


@pytest.fixture
def world(tmp_path, _saved):
    with copied_world(tmp_path, _saved) as (app, people):
        yield app, people


@pytest.fixture
def reads_after_commit(world):
    """Where a write request touched the database after its last commit (a second transaction
    for a write already done: if that one fails, the user sees an error for a saved change)."""
    app, _people = world
    found: list[str] = []

    def committed(session) -> None:
        if request and request.method == "POST":
            g.after_commit = None  # a later commit makes earlier reads part of the work

    def began(session, transaction, connection) -> None:
        if request and "after_commit" in g and g.after_commit is None:
            ours = [f for f in traceback.extract_stack() if "/directory/" in f.filename]
            g.after_commit = f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"

    def finished(sender, **extra) -> None:
        if g.get("after_commit"):
            found.append(f"{request.endpoint}: {g.after_commit}")

    event.listen(Session, "after_commit", committed)
    event.listen(Session, "after_begin", began)
    request_tearing_down.connect(finished, app)
    yield found
    request_tearing_down.disconnect(finished, app)
    event.remove(Session, "after_begin", began)
    event.remove(Session, "after_commit", committed)


@pytest.mark.parametrize("case", WRITES, ids=lambda c: c.id)
def test_permitted_write(world, reads_after_commit, case):
    """The request gets through and changes what its route declares (a refusal shown on a 200
    page changes nothing, so it fails here), and reads nothing after its commit."""
    app, people = world
    authz.prepare(people, case)
    client = signed_in(app, people, case)
    before = authz.snapshot()
    response = request_as(app, people, case, client)
    assert authz.outcome(response) == case.expected, response.get_data(as_text=True)[:300]
    after = authz.snapshot()
    changed = {name for name in before if before[name] != after[name]}
    changed |= {f"session:{key}" for key in _session_changes(app, response)}
    assert case.changes, f"{case.endpoint} declares no `changes` in authz_matrix.toml"
    if case.changes == ("nothing",):
        # A page that only shows: no table changes (its form's CSRF token may be new).
        tables = {name for name in changed if not name.startswith("session:")}
        assert tables == set(), f"declared nothing, changed {sorted(tables)}"
    else:
        assert set(case.changes) <= changed, f"declared {case.changes}, changed {sorted(changed)}"
    assert reads_after_commit == []
