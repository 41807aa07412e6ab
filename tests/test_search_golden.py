"""The search engine against its recorded answers (tests/golden/search.json) on a seeded 10k
demo corpus: over 100+ requests, the same practitioners match, each at the same office and
distance with the same badge, in the same order, with the same totals and facet counts.

A deliberate change to ranking, matching, facets or the demo data changes answers: regenerate
the file with `.venv/bin/python -m tests.golden` (tests/golden.py) and read its diff before
committing it. Each line of the file is one request."""

import json

import pytest

from tests import golden
from tests.conftest import DATABASE_URL
from tests.lay_needs import DENSE_PLACES, LAY_NEEDS

pytestmark = pytest.mark.skipif(
    bool(DATABASE_URL), reason="the engine reads its index, not the database: run once, on SQLite"
)
RECORDED = golden.read()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with golden.corpus(tmp_path_factory.mktemp("golden")) as app:
        yield app


@pytest.mark.parametrize("params", golden.requests(), ids=lambda p: f"{p.q[:24]}@{p.near}")
def test_the_engine_gives_the_recorded_answer(world, params):
    expected = RECORDED[golden.key(params)]
    with world.app_context():
        found = json.loads(json.dumps(golden.answer(params)))  # as the file holds it
    assert found["total"] == expected["total"]
    assert found["top"] == expected["top"]
    assert found["hits"] == expected["hits"], "a hit past the first ones changed"
    assert found["facets"] == expected["facets"]
    assert found["all_facets"] == expected["all_facets"], "a count past the first ones changed"
    # Facets read most common first, ties alphabetically.
    for name in ("setting", "conditions", "modalities"):
        counts = list(found["facets"][name].items())
        assert counts == sorted(counts, key=lambda kv: (-kv[1], kv[0]))


def test_the_file_answers_the_sweep_and_the_sweep_covers_dense_places_and_every_lay_need():
    requests = golden.requests()
    assert len(requests) >= 100
    assert {p.q for p in requests} >= set(LAY_NEEDS)
    assert set(RECORDED) == {golden.key(p) for p in requests}, "run `python -m tests.golden`"
    # The corpus is big enough for dense places to mean something.
    for place in DENSE_PLACES:
        totals = [RECORDED[golden.key(p)]["total"] for p in requests if p.near == place]
        assert max(totals) > 1000, place
