"""The search engine's recorded answers (tests/golden/search.json) over a seeded 10k demo corpus:
the requests, the corpus, and how an answer is written down. test_search_golden.py compares
the engine with them.

Regenerate after a deliberate change to ranking, matching, facets or the demo data, and
read the diff before committing it:

    .venv/bin/python -m tests.golden

The answers were first recorded from the engine as it stood when it had been checked against
the engine it replaced (the parity sweep of issue 10, retired in issue 25: that sweep built a
second, legacy index per run)."""

import hashlib
import itertools
import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from directory import geo, licensing
from directory.db import db
from directory.interpret import interpret
from directory.practices.models import Tenant
from directory.search import engine, sync
from directory.search.params import DEFAULT_RADIUS, Params
from tests.lay_needs import DENSE_PLACES, LAY_NEEDS, OTHER_NEEDS, SPARSE_PLACES

FILE = Path(__file__).with_name("golden") / "search.json"
COUNT = 10_000
SEED = 7
#: Hits written out in full, in rank order, and entries of each long facet, most common first;
#: the rest are pinned by digests (the file stays small enough to read in a diff).
TOP = 10
#: Facets with an entry per vocabulary term.
LONG_FACETS = ("conditions", "modalities")


def requests() -> list[Params]:
    """The sweep: ~110 need x place pairs (lay needs, short needs; dense and sparse places, a
    ZIP, a state, nowhere) and a few filters and sorts."""
    found = []
    needs = [*LAY_NEEDS, *OTHER_NEEDS]
    places = [*DENSE_PLACES, *SPARSE_PLACES, ""]
    for i, (need, place) in enumerate(itertools.product(needs, places)):
        if i % 4:  # every fourth pair keeps the sweep at ~110 requests
            continue
        found.append(Params(q=need, near=place, radius=25 if i % 8 else None))
    found += [
        Params(q="sciatica", near="Hoboken, NJ", setting="medical"),
        Params(q="", near="Manhattan, NY", setting="spa", verified=True),
        Params(q="massage", near="Brooklyn, NY", conditions=["sciatica"], radius=25),
        Params(q="", near="Jersey City, NJ", modalities=["deep-tissue-massage"], radius=25),
        Params(q="relaxing gift", near="Hoboken, NJ", sort="distance", radius=25),
        Params(q="", near="", verified=True),
        Params(q="tension headaches", near="NJ", sort="distance"),
        # Issue 28: spa-only therapists up to 9.9 miles away, and some not accepting, ranked
        # before an accepting "spa & medical" one 0.7 miles away.
        Params(q="relaxing gift for my mom", near="Brooklyn, NY"),
    ]
    return found


def key(params: Params) -> str:
    """A request's name in the file: the parameters it sets."""
    unset = Params()
    return json.dumps(
        {k: v for k, v in vars(params).items() if v != getattr(unset, k)}, sort_keys=True
    )


@contextmanager
def corpus(folder: Path):
    """An app (in an app context) on COUNT seeded demo practitioners, indexed."""
    from tests.conftest import _prepare_database, make_app

    app = make_app(folder)
    with app.app_context():
        _prepare_database()
        result = app.test_cli_runner().invoke(
            args=["demo", "load", "--count", str(COUNT), "--seed", str(SEED)]
        )
        assert result.exit_code == 0, result.output
        sync.rebuild()
        db.session.remove()
        try:
            yield app
        finally:
            sync.store().close()
            db.session.remove()
            db.engine.dispose()


def answer(params: Params) -> dict:
    """What the engine selects for `params` (every match, not a page), written down: the total,
    the facets, the first TOP hits as [practitioner id, office id, verified, miles], and a
    digest of every hit in rank order; the facets, the long ones cut to their first TOP entries
    and all of them pinned by a digest."""
    interpretation = interpret(params.q)
    location = geo.resolve(params.near) if params.near else None
    radius = None
    if location is not None and location.kind != "state":
        radius = params.radius or DEFAULT_RADIUS
    tenant_id = None
    if params.tenant:
        tenant_id = db.session.scalar(db.select(Tenant.id).where(Tenant.slug == params.tenant))
    everything = Params(**{**vars(params), "page": 1, "per_page": 10**6})
    store = sync.store()
    with store.searcher() as searcher:
        selection = engine.select(
            searcher, store.columns, everything, interpretation, location, radius,
            licensing.today(), tenant_id,
        )  # fmt: skip
    assert not selection.truncated, key(params)
    assert selection.total == len(selection.hits), key(params)
    hits = [
        [h.pid, h.office_id, bool(h.verified), None if h.distance is None else round(h.distance, 3)]
        for h in selection.hits
    ]
    facets = json.loads(json.dumps(selection.facets))  # as JSON has it: keys are strings
    shown = {
        name: dict(list(counts.items())[:TOP]) if name in LONG_FACETS else counts
        for name, counts in facets.items()
    }
    return {
        "total": selection.total,
        "top": hits[:TOP],
        "hits": _digest(hits),
        "facets": shown,
        "all_facets": _digest(facets),
    }


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def record(app) -> dict[str, dict]:
    """Every request's answer, by key()."""
    with app.app_context():
        return {key(params): answer(params) for params in requests()}


def write(answers: dict[str, dict]) -> None:
    FILE.parent.mkdir(exist_ok=True)
    # One request a line: a change shows as the lines of the requests it changed.
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in answers.items()]
    FILE.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def read() -> dict[str, dict]:
    return json.loads(FILE.read_text())


def main() -> None:
    from tests import conftest

    with tempfile.TemporaryDirectory() as folder:
        conftest._CACHE_FOLDER.append(str(Path(folder) / "cache"))
        geo.use_cache(conftest._CACHE_FOLDER[0])
        with corpus(Path(folder)) as app:
            answers = record(app)
    write(answers)
    print(f"{len(answers)} answers written to {FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
