"""CSRF on every state change: each POST route (those of the authorization matrix, done by an
actor the matrix permits, and the public ones) refuses a missing or a wrong token with 400 and
changes nothing. A POST route this walk does not reach fails it."""

import re

import pytest
from flask import g

from tests import authz
from tests.people import log_in

#: One permitted (actor, target) per POST route of the matrix: the request that would succeed
#: with a token (a route nobody may use as is, like the second sign-in step, by its first case).
PERMITTED = {}
for _case in authz.cases():
    if _case.method == "POST" and _case.expected not in authz.DENIED:
        PERMITTED.setdefault(_case.endpoint, _case)
for _case in authz.cases():
    if _case.method == "POST":
        PERMITTED.setdefault(_case.endpoint, _case)
TOKENS = {"missing": None, "wrong": "not-a-real-token"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with authz.shared_world(tmp_path_factory.mktemp("csrf"), WTF_CSRF_ENABLED=True) as found:
        yield found


def _browser(app, people, actor: str):
    client = app.test_client()
    user = authz.actor_user(people, actor)
    if user is not None:
        log_in(client, user)  # a new session record: before the snapshot
    return client


def _post(client, path: str, data: dict, token: str | None):
    if token is not None:
        data = {**data, "csrf_token": token}
    response = client.post(path, data=data)
    g.pop("_login_user", None)
    return response


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("endpoint", sorted(PERMITTED))
def test_a_permitted_post_without_a_valid_token_is_refused(world, endpoint, token):
    app, people = world
    case = PERMITTED[endpoint]
    values = authz.placeholders(people, case.target)
    client = _browser(app, people, case.actor)
    before = authz.snapshot()
    response = _post(client, case.path.format(**values), authz.form_data(case, values),
                     TOKENS[token])  # fmt: skip
    assert response.status_code == 400, (case.id, response.status_code)
    after = authz.snapshot()
    assert [name for name in before if before[name] != after[name]] == []


def test_public_posts_without_a_valid_token_are_refused(world):
    app, _people = world
    public = set(authz.MATRIX["public"])
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in public or "POST" not in rule.methods:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", "x", rule.rule)
        for token in TOKENS.values():
            before = authz.snapshot()
            response = _post(app.test_client(), path, {"email": "a@example.com"}, token)
            assert response.status_code == 400, (rule.endpoint, token, response.status_code)
            assert authz.snapshot() == before
        walked += 1
    assert walked >= 5  # sign in, sign up, reset request, reset, sign out, invitations...


def test_the_walk_reaches_every_post_route(world):
    app, _people = world
    public = set(authz.MATRIX["public"])
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert posts - public - set(PERMITTED) == set()
