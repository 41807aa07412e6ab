"""The authorization matrix, on one shared world: every read, and every request that must be
refused (proving that nothing changed), for every route x actor x target in
tests/authz_matrix.toml. Permitted writes change the world, so they run in
test_authz_writes.py, each on a fresh one. A route missing from the matrix fails here."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import authz
from tests.people import log_in

SHARED = [c for c in authz.cases() if not c.writes or c.expected in authz.DENIED]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app and world for the module: none of these requests may change it."""
    with authz.shared_world(tmp_path_factory.mktemp("authz")) as found:
        yield found


def signed_in(app, people, case: authz.Case):
    """A browser signed in as the case's actor (its sign-in is a session record: made before
    any snapshot of the database)."""
    client = app.test_client()
    user = authz.actor_user(people, case.actor)
    if user is not None:
        # A stale sign-in for the routes that renew it (re-authentication).
        log_in(client, user, fresh_at=0 if case.setup == "password" else None)
    return client


def request_as(app, people, case: authz.Case, client=None):
    client = client or signed_in(app, people, case)
    with client.session_transaction() as session:
        before = dict(session)
    values = authz.placeholders(people, case.target)
    path = case.path.format(**values)
    data = authz.form_data(case, values) if case.writes else None
    response = client.open(path, method=case.method, data=data)
    response.session_before = before  # what the request started from, for test_authz_writes
    return response


@pytest.mark.parametrize("case", SHARED, ids=lambda c: c.id)
def test_matrix(world, case):
    app, people = world
    client = signed_in(app, people, case)
    before = authz.snapshot() if case.writes else None
    response = request_as(app, people, case, client)
    assert authz.outcome(response) == case.expected, response.get_data(as_text=True)[:300]
    # Sent to sign in, and back to where they were going once signed in (the second-factor
    # step without a first factor has nowhere to go back to: sign-in starts over).
    if case.expected == "login" and case.endpoint != "accounts.login_code":
        path = case.path.format(**authz.placeholders(people, case.target))
        assert parse_qs(urlsplit(response.location).query)["next"] == [path]
    if before is not None:
        after = authz.snapshot()
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"a refused {case.method} changed {changed}"


#: Every route that names a profile or a practice by slug, as someone allowed to use it on
#: their own, with each kind of slug no object can have.
SLUG_CASES = [
    (c, slug)
    for c in authz.cases()
    if c.actor == "owner" and c.target in ("mine", "own")
    and ("{profile}" in c.path or "{tenant}" in c.path)
    for slug in ("x" * 300, "Alexa-Marie", "alexa marie")
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "slug"), SLUG_CASES, ids=lambda v: v.id if isinstance(v, authz.Case) else v[:12]
)
def test_a_huge_or_malformed_slug_is_404(world, case, slug):
    app, people = world
    client = signed_in(app, people, case)
    values = authz.placeholders(people, case.target)
    named = "profile" if "{profile}" in case.path else "tenant"
    path = case.path.format(**{**values, named: slug})
    before = authz.snapshot() if case.writes else None
    data = authz.form_data(case, values) if case.writes else None
    assert client.open(path, method=case.method, data=data).status_code == 404, path
    if before is not None:
        assert authz.snapshot() == before


def _declared(app) -> set[tuple[str, str]]:
    return {(r["endpoint"], r["method"]) for r in authz.MATRIX["route"]}


def test_every_route_is_in_the_matrix_or_public(world):
    app, _ = world
    declared = _declared(app)
    public = set(authz.MATRIX["public"])
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint not in public and (rule.endpoint, method) not in declared:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes with no declared policy: " + ", ".join(missing)


def test_the_matrix_names_real_routes_and_paths_match_them(world):
    app, people = world
    adapter = app.url_map.bind("localhost")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(authz.MATRIX["public"]) <= endpoints
    for case in authz.cases():
        path = case.path.format(**authz.placeholders(people, case.target))
        endpoint, _ = adapter.match(path, method=case.method)
        assert endpoint == case.endpoint, (case.id, path)


def test_public_endpoints_do_not_send_visitors_to_sign_in(world):
    app, _ = world
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in authz.MATRIX["public"] or "GET" not in rule.methods:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", "x", rule.rule)
        response = client.get(path)
        assert authz.outcome(response) != "login", rule.endpoint


def test_the_matrix_covers_every_actor_against_both_practices():
    targets = {c.target for c in authz.cases()}
    assert {"own", "other", "mixed", "mine", "colleague", "theirs", "crossed"} <= targets
    assert {c.actor for c in authz.cases()} == set(authz.ACTORS)


#: Routes that remove something (by their names); each must ask on a page first.
REMOVES = re.compile(r"\.(delete\w*|remove|revoke|leave)$")
#: Removal-like names that only undo a choice of the user's own (unblocking a sender).
NOT_REMOVALS = {"inbox.unblock"}
UNCONFIRMED = [
    c for c in authz.cases()
    if c.method == "POST" and REMOVES.search(c.endpoint) and c.actor == "owner"
    and c.expected == "ok"
]  # fmt: skip


def test_every_removal_route_is_checked_for_its_confirmation(world):
    app, _ = world
    removals = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and REMOVES.search(rule.endpoint)
    } - NOT_REMOVALS  # fmt: skip
    assert removals == {c.endpoint for c in UNCONFIRMED}
    assert {"editor.delete_license", "editor.delete_office", "inbox.delete"} <= removals


@pytest.mark.parametrize("case", UNCONFIRMED, ids=lambda c: c.id)
def test_a_removal_without_its_confirmation_asks_and_changes_nothing(world, case):
    """One click (a post without the confirmation page's field) shows that page, naming what
    goes with its own CSRF-guarded button and a way back; nothing is removed."""
    app, people = world
    client = signed_in(app, people, case)
    values = authz.placeholders(people, case.target)
    data = {k: v for k, v in authz.form_data(case, values).items() if k != "confirm"}
    before = authz.snapshot()
    response = client.post(case.path.format(**values), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:300]
    assert 'name="confirm" value="1"' in page and 'name="csrf_token"' in page
    assert ">Keep it</a>" in page
    assert authz.snapshot() == before
