"""Deny by default: every route is either on the public list or sends a visitor to sign in."""

import re

import pytest

from tests.people import log_in

#: Endpoints anyone may use (each reads only public data or guards itself, e.g. a token).
PUBLIC = {
    "static",
    "public.index",
    "public.guide",
    "practitioners.show",
    "practice_pages.show",
    "practice_pages.embed",
    "search.index",
    "api.search",
    "api.show",
    "accounts.login",
    "accounts.register",
    "accounts.verify",
    "accounts.reset_request",
    "accounts.reset",
    "accounts.logout",  # signing out when signed out changes nothing
    "editor.media",  # serves a photo only while its profile is public, else only to its editors
    "practices.invitation",  # guarded by the single-use token in its path
}
HUGE = "9" * 25


def _url(rule, number="1") -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: number if m.group(1) == "int" else "x", rule)


def _rules(app):
    return list(app.url_map.iter_rules())


def test_the_public_list_names_only_real_endpoints(app):
    assert {rule.endpoint for rule in _rules(app)} >= PUBLIC


def test_every_other_route_sends_a_visitor_to_sign_in(app, client):
    checked = 0
    for rule in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule.rule), method=method)
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert response.location.startswith("/login"), (rule.endpoint, method)
            checked += 1
    assert checked >= 20


def test_huge_ids_are_404_not_500(app, client, make_user, make_practitioner):
    owner = make_user()
    practitioner = make_practitioner("alexa-marie", tenant=owner.memberships[0].tenant)
    log_in(client, owner)
    for rule in _rules(app):
        if "<int:" not in rule.rule:
            continue
        url = _url(rule.rule, HUGE).replace("/x/", f"/{practitioner.slug}/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)


@pytest.mark.parametrize("path", ["/p/" + HUGE, "/api/v1/practitioners/" + "x" * 500])
def test_huge_slugs_are_404(client, path):
    assert client.get(path).status_code == 404
