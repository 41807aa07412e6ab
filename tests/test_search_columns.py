"""The column engine's own mechanics: the time guard, schema versions, decoded segments and the
postings cache, and the client-filter facts every document carries."""

from datetime import date, timedelta

import numpy as np
import pytest

from directory.search import columns, engine, sync
from directory.search.index import VERSION_FILE
from tests.test_search import api, roster, slugs  # noqa: F401  (the roster fixture)

LATER = date.today() + timedelta(days=365)


def test_answers_say_they_are_complete(client, roster):
    body = api(client, q="sciatica", near="Hoboken, NJ").json
    assert body["truncated"] is False and body["total"] == 3


def test_when_the_time_guard_fires_the_answer_says_so(client, roster, monkeypatch):
    monkeypatch.setattr(engine, "TIME_LIMIT_SECONDS", -1.0)  # every deadline already passed
    # Words no vocabulary entry knows are text only: with no time left their postings are skipped.
    body = api(client, q="zanzibar pressure", near="Hoboken, NJ").json
    assert body["truncated"] is True
    page = client.get("/search", query_string={"q": "zanzibar pressure", "near": "07030"})
    assert b"counts below may be incomplete" in page.data
    monkeypatch.setattr(engine, "TIME_LIMIT_SECONDS", 2.0)
    assert api(client, q="zanzibar pressure", near="Hoboken, NJ").json["truncated"] is False


def test_an_index_of_another_schema_version_is_rebuilt_not_read(app, client, runner, roster):
    store = sync.store()
    live = store.live_dir()
    live.joinpath(VERSION_FILE).write_text("1")
    store.close()
    assert not store.exists()
    result = runner.invoke(args=["search", "drain"])
    assert "building it from the database" in result.output
    assert store.live_dir() != live and store.exists()
    assert set(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == {
        "alexa-marie", "carla-diaz", "dev-patel",
    }  # fmt: skip


def test_decoded_segments_are_reused_and_forgotten_when_gone(app, client, roster):
    api(client, q="sciatica", near="Hoboken, NJ")
    store = sync.store()
    with store.searcher() as searcher:
        first = store.columns.segments(searcher)
        again = store.columns.segments(searcher)
    assert [s for _k, s, _r in first] and all(
        a is b for (_k, a, _r), (_k2, b, _r2) in zip(first, again, strict=True)
    )
    sync.rebuild()  # every segment is new: the old ones are dropped on the next search
    api(client, q="sciatica", near="Hoboken, NJ")
    with store.searcher() as searcher:
        current = {r.segment().segment_id() for r, _o in searcher.reader().leaf_readers()}
    assert store.columns.stats()["segments"] == len(current)


def test_the_postings_cache_stays_within_its_budget(app, roster):
    sync.drain()
    cache = columns.SegmentCache(budget=1)
    store = sync.store()
    with store.searcher() as searcher:
        [(key, _segment, reader)] = cache.segments(searcher)
        sciatica = cache.postings(key, reader, "condition_text", "sciatica")
        assert sciatica.size == 3
        assert cache.postings(key, reader, "condition_text", "sciatica") is sciatica  # cached
        stress = cache.postings(key, reader, "condition_text", "stress")
        # Over budget: the least recently used list went, the newest one stays.
        assert cache.stats()["postings"] == stress.size == 1
        assert cache.postings(key, reader, "condition_text", "sciatica") is not sciatica
        assert cache.postings(key, reader, "condition_text", "nothere").size == 0


def test_every_document_carries_the_client_filter_facts(app, make_practitioner):
    make_practitioner(
        "flora-ng", setting="both", in_home=True, hsa_fsa=True, accepting_new_clients=False,
        accepts_physician_referrals=True, price_min=90, price_max=140, languages=["Spanish"],
        licenses=[("NJ", "verified", LATER)], offices=["07030"],
    )  # fmt: skip
    sync.drain()
    store = sync.store()
    with store.searcher() as searcher:
        [(_key, segment, reader)] = store.columns.segments(searcher)
        live = columns.live_mask(reader, segment)
    [doc] = np.flatnonzero(live)
    assert segment.in_home[doc] and segment.hsa_fsa[doc] and segment.referrals[doc]
    assert not segment.accepting[doc]
    assert (segment.price_min[doc], segment.price_max[doc]) == (90, 140)
    assert segment.setting[doc] == columns.SETTING_CODES["both"]
    assert [columns.LANGUAGES.name(c) for c in segment.languages.code] == ["Spanish"]
    [office] = np.flatnonzero(segment.office_doc == doc)
    assert segment.office_badge_until[office] == LATER.toordinal()


@pytest.mark.parametrize(("verified", "sciatica"), [(False, 3), (True, 2)])
def test_facets_count_every_match_not_the_page(client, roster, verified, sciatica):
    params = {"q": "", "near": "Hoboken, NJ", "radius": 25, "per_page": 1}
    body = api(client, **params, **({"verified": 1} if verified else {})).json
    assert body["facets"]["conditions"]["sciatica"] == sciatica
    assert sum(body["facets"]["verified"].values()) == body["total"]
    assert sum(body["facets"]["setting"].values()) == body["total"]
