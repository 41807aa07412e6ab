"""Ids and slugs out of any range are a 404, never a 500. (Who may use each route is the
authorization matrix: tests/authz_matrix.toml.)"""

import re

import pytest

from tests.people import log_in

HUGE = "9" * 25


def _url(rule, number="1") -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: number if m.group(1) == "id" else "x", rule)


def _rules(app):
    return list(app.url_map.iter_rules())


def test_huge_ids_are_404_not_500(app, client, make_user, make_practitioner):
    owner = make_user()
    practitioner = make_practitioner("alexa-marie", tenant=owner.memberships[0].tenant)
    log_in(client, owner)
    checked = 0
    for rule in _rules(app):
        if "<id:" not in rule.rule:
            continue
        checked += 1
        url = _url(rule.rule, HUGE).replace(
            "/practices/x/", f"/practices/{practitioner.tenant.slug}/"
        )
        url = url.replace("/x/", f"/{practitioner.slug}/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)
    assert checked >= 8  # every route that takes an id


@pytest.mark.parametrize("path", ["/p/" + HUGE, "/api/v1/practitioners/" + "x" * 500])
def test_huge_slugs_are_404(client, path):
    assert client.get(path).status_code == 404
