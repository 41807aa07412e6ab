"""Hostile input on every route: NUL and control characters, Unicode digits, ids past the
columns' range, huge values, in path parts, query strings and form bodies, as an anonymous
visitor, a therapist and an admin. Nothing may answer 5xx, on SQLite and on PostgreSQL alike.

One world for the module; the sweep is parametrised over actors and routes (data), not worlds.
"""

import re
from urllib.parse import urlencode

import pytest
from werkzeug.routing import AnyConverter

from directory.validation import MAX_ID
from tests import authz
from tests.people import log_in

#: Hostile values for each kind of path part; one of them (the last) is a real one.
PATH_VALUES = {
    "slug": ["%00", "a%00b", "x" * 300, "%C2%B2", "..%2F..%2Fetc", "A-B", "alexa-marie"],
    "id": ["0", str(MAX_ID + 1), "9223372036854775807", "9" * 30, "%C2%B2", "%E2%91%A0", "1"],
    "default": ["%00", "x" * 3000, "%FF%FE", "..%2F..%2Fetc%2Fpasswd", "%0D%0Aheader", "abc"],
}
QUERY = (
    "page=%C2%B2&per_page=-1&q=%00&near=%00&radius=%E2%91%A0&state=%00&practice=a%00b"
    "&since=%00&until=2026-13-45&actor=%00&action=%00&setting=%00&x=%00&page=9999999999999"
)
FORM = {
    "name": "\x00", "email": "a\x00@example.com", "password": "\x00" * 3, "role": "\x00",
    "reason": "\x00" * 600, "ids": ["2147483648", "²", "-1", "\x00"], "version": "²",
    "member": "9223372036854775807", "profile": "\x00", "state": "\x00", "zip": "²²²²²",
    "number": "\x00", "expires_on": "99999-01-01", "street": "\x00", "city": "\x00",
    "code": "①②③④⑤⑥", "confirm_name": "\x00", "bio": "\x00",
    "languages": "\x00", "price_min": "²", "price_max": "9" * 40, "session_lengths": "①",
    "conditions": ["\x00"], "modalities": ["\x00"], "action": "\x00", "next": "//\x00evil",
    "form_complete": "1", "current_password": "\x00", "practice_name": "\x00",
}  # fmt: skip
#: Bytes no browser should send: an encoded surrogate and bytes that are not UTF-8 at all.
BODY = urlencode(FORM, doseq=True) + "&headline=%ED%A0%80&city=%FF%FE&name=%C0%80"
ACTORS = ("anonymous", "therapist", "admin")
#: A variable part of a rule: <name>, <conv:name> or <any(a, b):name>.
PART = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with authz.shared_world(tmp_path_factory.mktemp("hostile")) as found:
        yield found


def _kind(converter) -> str:
    if isinstance(converter, AnyConverter):
        return "any"
    return {"SlugConverter": "slug", "IdConverter": "id"}.get(type(converter).__name__, "default")


def _paths(rule) -> list[str]:
    """The rule's path with each hostile value in turn in every part (no product of parts)."""
    kinds = {name: _kind(c) for name, c in rule._converters.items()}
    lengths = [len(PATH_VALUES[k]) for k in kinds.values() if k != "any"]
    paths = []
    for i in range(max(lengths, default=1)):

        def value(match, i=i) -> str:
            name = match.group(1)
            if kinds[name] == "any":
                options = sorted(rule._converters[name].items)
                return options[i % len(options)]
            values = PATH_VALUES[kinds[name]]
            return values[i % len(values)]

        paths.append(PART.sub(value, rule.rule))
    return paths


def _rules(app) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule
    )


@pytest.mark.parametrize("actor", ACTORS)
def test_no_hostile_request_answers_5xx(world, actor):
    app, people = world
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 here, as in production
    client = app.test_client()
    user = authz.actor_user(people, actor)
    if user is not None:
        log_in(client, user)
    failures, sent = [], 0
    for rule in _rules(app):
        for path in _paths(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = client.get(f"{path}?{QUERY}")
                else:
                    response = client.open(
                        path, method=method, data=BODY,
                        content_type="application/x-www-form-urlencoded",
                    )  # fmt: skip
                sent += 1
                # The readiness probe's 503 is its answer (no index yet), not a failure.
                if response.status_code >= 500 and rule.endpoint != "health.readyz":
                    failures.append(f"{method} {path} -> {response.status_code}")
                response.close()
        if user is not None:
            log_in(client, user)  # a sweep that signed itself out carries on signed in
    assert sent > 300
    assert not failures, "\n".join(failures)
