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
    "npi": "①②③", "legal_name": "\x00", "request-name": "\x00", "request-email": "a\x00@x.y",
    "send-number": "\x00", "send-legal_name": "\x00", "send-channel": "\x00",
    "send-birth_year": "²", "code-code": "①②③④⑤⑥", "code-email": "\x00",
}  # fmt: skip
#: Bytes no browser should send: an encoded surrogate and bytes that are not UTF-8 at all.
BODY = urlencode(FORM, doseq=True) + "&headline=%ED%A0%80&city=%FF%FE&name=%C0%80"
#: A query string sent raw, as a socket can: bytes that are not UTF-8, not percent-encoded, and
#: NUL, with no bad page number, so that every view reads its filters (QUERY's page is a 404).
RAW_QUERY = (
    b"q=\xff\xfe%00&near=\xc0\x80%00&state=N\xffJ&since=\xfe&until=%00&actor=\x80%00"
    b"&action=%00&practice=%00&key=%00&folder=%00&next=%00&about=%00&radius=\xff"
)
#: Other bodies a POST may carry: JSON, multipart with a file where no file is expected, a
#: multipart body cut short, and none at all.
OTHER_BODIES = (
    ("application/json", b'{"name": "x", "email": ["a"], "version": {"x": 1}, "ids": [[1]]}'),
    ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="name"; '
     b'filename="x.txt"\r\n\r\n\xff\xfe\r\n--b\r\nContent-Disposition: form-data; '
     b'name="version"\r\n\r\n1\r\n--b--\r\n'),
    ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="na'),
    ("application/x-www-form-urlencoded", b""),
    ("text/plain", b"\xff\xfe\x00"),
)  # fmt: skip
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
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    user = authz.actor_user(people, actor)
    if user is not None:
        log_in(client, user)
    failures, sent = [], 0
    for rule in _rules(app):
        for path in _paths(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    requests = [
                        {"query_string": QUERY},
                        # WSGI carries the raw bytes as a latin-1 string, as a server passes them.
                        {"environ_overrides": {"QUERY_STRING": RAW_QUERY.decode("latin-1")}},
                    ]
                else:
                    requests = [
                        {"data": BODY, "content_type": "application/x-www-form-urlencoded"},
                        *({"data": b, "content_type": t} for t, b in OTHER_BODIES),
                    ]
                for request in requests:
                    response = client.open(path, method=method, **request)
                    sent += 1
                    # The readiness probe's 503 is its answer (no index yet), not a failure.
                    if response.status_code >= 500 and rule.endpoint != "health.readyz":
                        shown = request.get("content_type") or request.get("query_string", "raw")
                        failures.append(f"{method} {path} [{shown!r}] -> {response.status_code}")
                    response.close()
        if user is not None:
            log_in(client, user)  # a sweep that signed itself out carries on signed in
    assert sent > 300
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("body", [b'{"name": {"a": 1}}', b"[1, 2]", b'"x"', b"{", b""])
def test_a_json_body_on_a_form_is_refused_unread(world, body):
    """A JSON body posted to a form is a 415, with or without a CSRF token, never read as the
    form's data (Flask-WTF reads JSON as form data: a list there was a 500)."""
    app, _people = world
    app.config.update(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        page = client.get("/p/alexa-marie")
        assert page.status_code == 200
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
        for headers in ({}, {"X-CSRFToken": token}):
            response = client.post(
                "/p/alexa-marie/inquiry", data=body, headers=headers,
                content_type="application/json",
            )  # fmt: skip
            assert response.status_code == 415, response.status_code
            assert b"We could not read that" in response.data
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
