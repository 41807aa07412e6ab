"""The column engine against the engine it replaced (tests/legacy_search.py), on a seeded 10k demo
corpus: over 100+ requests, the same practitioners match, each at the same office and distance
with the same badge, totals and facet counts are identical, and the order is the old ranking
formula's. The one deliberate difference in order is the text score the formula is fed: Whoosh's
raw score used to add 1.0 per filter and apply `OrGroup`'s coordination (which depended on a
document's position in the match stream); the new score is the plain sum of BM25F clause scores.
"""

import dataclasses
import itertools
import os

import pytest
from whoosh import index as whoosh_index

from directory import geo, licensing
from directory.db import db
from directory.interpret import interpret
from directory.practices.models import Tenant
from directory.practitioners.profiles import visible
from directory.search import engine, sync
from directory.search.params import DEFAULT_RADIUS, Params
from tests import legacy_search
from tests.conftest import DATABASE_URL, _prepare_database, make_app
from tests.lay_needs import DENSE_PLACES, LAY_NEEDS, OTHER_NEEDS, SPARSE_PLACES

pytestmark = pytest.mark.skipif(
    bool(DATABASE_URL), reason="compares two engines over one corpus: run once, on SQLite"
)
COUNT = 10_000


def _requests():
    needs = [*LAY_NEEDS, *OTHER_NEEDS]
    places = [*DENSE_PLACES, *SPARSE_PLACES, ""]
    for i, (need, place) in enumerate(itertools.product(needs, places)):
        if i % 4:  # every fourth pair keeps the sweep at ~110 requests
            continue
        yield Params(q=need, near=place, radius=25 if i % 8 else None)
    yield Params(q="sciatica", near="Hoboken, NJ", setting="medical")
    yield Params(q="", near="Manhattan, NY", setting="spa", verified=True)
    yield Params(q="massage", near="Brooklyn, NY", conditions=["sciatica"], radius=25)
    yield Params(q="", near="Jersey City, NJ", modalities=["deep-tissue-massage"], radius=25)
    yield Params(q="relaxing gift", near="Hoboken, NJ", sort="distance", radius=25)
    yield Params(q="", near="", verified=True)
    yield Params(q="tension headaches", near="NJ", sort="distance")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parity")
    app = make_app(tmp)
    with app.app_context():
        _prepare_database()
        result = app.test_cli_runner().invoke(
            args=["demo", "load", "--count", str(COUNT), "--seed", "7"]
        )
        assert result.exit_code == 0, result.output
        sync.rebuild()
        legacy_dir = tmp / "legacy"
        legacy_dir.mkdir()
        ix = whoosh_index.create_in(str(legacy_dir), legacy_search.SCHEMA)
        writer = ix.writer(procs=os.cpu_count() or 1, multisegment=True, compound=False)
        on = licensing.today()
        for practitioner in db.session.scalars(visible()):
            doc = legacy_search.document(practitioner, on)
            if doc is not None:
                writer.add_document(**doc)
        writer.commit()
        db.session.remove()
        yield app, ix
        sync.store().close()
        db.session.remove()
        db.engine.dispose()


def _both(world, params: Params):
    _app, legacy_ix = world
    on = licensing.today()
    # Routing a population to verified specialists is newer than the old engine (test_safety.py
    # checks it): both engines are compared on the rest of the need.
    interpretation = dataclasses.replace(interpret(params.q), populations=(), specialties=())
    location = geo.resolve(params.near) if params.near else None
    radius = None
    if location is not None and location.kind != "state":
        radius = params.radius or DEFAULT_RADIUS
    tenant_id = None
    if params.tenant:
        tenant_id = db.session.scalar(db.select(Tenant.id).where(Tenant.slug == params.tenant))
    store = sync.store()
    everything = Params(**{**vars(params), "page": 1, "per_page": 10**6})
    with store.searcher() as searcher:
        new = engine.select(
            searcher, store.columns, everything, interpretation, location, radius, on, tenant_id
        )
    with legacy_ix.searcher() as searcher:
        old, old_facets = legacy_search.select(
            searcher, params, interpretation, location, radius, on
        )
    return new, old, old_facets, interpretation, location, radius


@pytest.mark.parametrize("params", list(_requests()), ids=lambda p: f"{p.q[:24]}@{p.near}")
def test_the_column_engine_agrees_with_the_old_one(world, params):
    app, _ix = world
    with app.app_context():
        new, old, old_facets, interpretation, location, radius = _both(world, params)
    assert not new.truncated
    assert new.total == len(old)
    # The facets the old engine had (the client filters' counts came after it).
    assert {name: new.facets[name] for name in old_facets} == old_facets
    # Facets read most common first, ties alphabetically (the old order followed the index).
    for name in ("setting", "conditions", "modalities"):
        counts = list(new.facets[name].items())
        assert counts == sorted(counts, key=lambda kv: (-kv[1], kv[0]))
    # The same practitioners, each at the same office, distance and badge.
    assert {h.pid: (h.office_id, h.verified) for h in new.hits} == {
        c.pid: (c.office["id"], c.verified) for c in old
    }
    for hit, c in zip(
        sorted(new.hits, key=lambda h: h.pid), sorted(old, key=lambda c: c.pid), strict=True
    ):
        assert (hit.distance is None) == (c.distance is None)
        if hit.distance is not None:
            assert hit.distance == pytest.approx(c.distance, abs=1e-9)
    # The old formula fed the new text score orders them exactly as the new engine does.
    scores = {h.pid: h.score for h in new.hits}
    for c in old:
        c.score = scores[c.pid]
    legacy_search.order(old, interpretation, radius, params.sort, location)
    assert [h.pid for h in new.hits[:200]] == [c.pid for c in old[:200]]


def test_the_sweep_covers_dense_places_and_every_lay_need(world):
    requests = list(_requests())
    assert len(requests) >= 100
    assert {p.q for p in requests} >= set(LAY_NEEDS)
    app, _ix = world
    with app.app_context():
        dense = _both(world, Params(q="", near="Manhattan, NY", radius=25))[0]
    assert dense.total > 1000  # the corpus is big enough for dense places to mean something
