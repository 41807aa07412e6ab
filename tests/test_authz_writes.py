"""The authorization matrix's permitted writes, each on a fresh world (they change it)."""

import pytest

from tests import authz
from tests.test_authz_matrix import request_as

WRITES = [c for c in authz.cases() if c.writes and c.expected not in authz.DENIED]


@pytest.fixture
def world(app):
    return app, authz.build_world()


@pytest.mark.parametrize("case", WRITES, ids=lambda c: c.id)
def test_permitted_write(world, case):
    app, people = world
    response = request_as(app, people, case)
    assert authz.outcome(response) == case.expected, response.get_data(as_text=True)[:300]
