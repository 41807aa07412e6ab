"""Search: the index fed by the outbox, the honesty rules, the API, hostile input, the page."""

import ctypes
import html
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from whoosh.index import LockError

from directory.db import db
from directory.practitioners.models import License, Office, Practitioner
from directory.search import columns, engine, indexer, results, sync
from directory.search.index import VERSION_FILE
from tests.conftest import tag

LATER = date.today() + timedelta(days=365)
YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def roster(make_practitioner):
    return build_roster(make_practitioner)


def build_roster(make_practitioner):
    """Three therapists around Hoboken and one in Manhattan."""
    alexa = tag(
        make_practitioner("alexa-marie", setting="medical",
                          licenses=[("NJ", "verified", LATER)], offices=["07030"]),
        conditions=["sciatica", "herniated-disc"], modalities=["myofascial-release"],
    )  # fmt: skip
    bo = tag(
        make_practitioner("bo-chen", setting="spa",
                          licenses=[("NJ", "verified", LATER)], offices=["07302"]),
        conditions=["stress"], modalities=["swedish-massage", "hot-stone-massage"],
    )  # fmt: skip
    carla = tag(
        make_practitioner("carla-diaz", setting="both",
                          licenses=[("NJ", "pending", LATER)], offices=["07086"]),
        conditions=["sciatica"], modalities=["swedish-massage"],
    )  # fmt: skip
    dev = tag(
        make_practitioner("dev-patel", setting="medical",
                          licenses=[("NY", "verified", LATER)], offices=["10001"]),
        conditions=["sciatica"], modalities=["trigger-point-therapy"],
    )  # fmt: skip
    return {"alexa": alexa, "bo": bo, "carla": carla, "dev": dev}


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code < 500
    return response


def slugs(response) -> list[str]:
    return [r["slug"] for r in response.json["results"]]


def test_api_shape_matches_the_contract(client, roster):
    body = api(client, q="sciatica", near="Hoboken, NJ").json
    assert set(body) >= {
        *("total", "page", "per_page", "location", "interpretation"),
        *("suggestion", "facets", "results"),
    }
    assert body["location"]["label"] == "Hoboken, NJ" and body["location"]["state"] == "NJ"
    assert body["interpretation"]["conditions"] == ["sciatica"]
    assert body["interpretation"]["setting"] == "medical"
    first = body["results"][0]
    assert first["slug"] == "alexa-marie"
    assert set(first) >= {
        *("slug", "name", "credentials", "tenant", "setting", "conditions", "modalities"),
        *("office", "distance_miles", "licenses", "verified", "url"),
    }
    assert first["conditions"][0] == "Sciatica"
    office = {"city": "Hoboken", "state": "NJ", "zip": "07030", "lat": 40.7445, "lon": -74.0329}
    assert first["office"] == office
    assert first["distance_miles"] < 1 and first["verified"] is True
    assert first["url"] == "/p/alexa-marie"


def test_radius_is_exact_and_default_10_miles(client, roster):
    assert set(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == {
        "alexa-marie", "carla-diaz", "dev-patel"}  # fmt: skip
    # Weehawken (carla) is ~1.5 mi and Manhattan 10001 ~2 mi from Hoboken; 1 mile keeps alexa.
    assert slugs(api(client, q="sciatica", near="Hoboken, NJ", radius=1)) == ["alexa-marie"]
    far = api(client, q="sciatica", near="Trenton, NJ", radius=5).json
    assert far["total"] == 0 and far["results"] == []


def test_state_search_lists_offices_in_that_state_only(client, roster):
    assert set(slugs(api(client, q="sciatica", near="NY"))) == {"dev-patel"}
    response = api(client, q="sciatica", near="New Jersey")
    assert set(slugs(response)) == {"alexa-marie", "carla-diaz"}
    assert response.json["results"][0]["distance_miles"] is None


def test_medical_need_lists_no_spa_only_therapist(client, roster):
    found = slugs(api(client, q="slipped disc", near="07030"))
    assert found[0] == "alexa-marie"
    assert "bo-chen" not in found


def test_spa_need_puts_spa_first(client, roster):
    found = slugs(api(client, q="relaxing gift massage for my wife", near="Hoboken, NJ"))
    assert found[0] == "bo-chen"
    if "alexa-marie" in found:  # spa & medical before medical-only
        assert found.index("carla-diaz") < found.index("alexa-marie")


def test_verified_filter_and_badge_follow_the_license_state(client, roster):
    response = api(client, q="sciatica", near="Hoboken, NJ", verified=1)
    assert set(slugs(response)) == {"alexa-marie", "dev-patel"}
    assert all(r["verified"] for r in response.json["results"])
    carla = next(r for r in api(client, q="sciatica", near="07030").json["results"]
                 if r["slug"] == "carla-diaz")  # fmt: skip
    assert carla["verified"] is False
    assert carla["licenses"] == [{"state": "NJ", "status": "pending", "expires": LATER.isoformat(),
                                  "verification": None}]  # fmt: skip


def test_an_office_needs_a_current_license_in_its_state(client, roster):
    alexa = roster["alexa"]
    # An NY office without an NY license is not listed; with only an expired NJ license,
    # the NJ office disappears too.
    alexa.offices.append(Office(street="1 Main", city="New York", state="NY", zip="10001",
                                lat=40.7506, lon=-73.9972))  # fmt: skip
    db.session.commit()
    assert "alexa-marie" not in slugs(api(client, q="sciatica", near="10001", radius=1))
    alexa.licenses[0].expires_on = YESTERDAY
    db.session.commit()
    assert "alexa-marie" not in slugs(api(client, q="sciatica", near="Hoboken, NJ"))
    assert "alexa-marie" not in slugs(api(client, q="sciatica"))


def test_rejected_license_is_never_listed(client, roster):
    roster["carla"].licenses[0].status = "rejected"
    db.session.commit()
    assert "carla-diaz" not in slugs(api(client, q="sciatica", near="Hoboken, NJ"))


def test_the_badge_goes_when_the_license_expires_even_without_reindexing(app, client, roster):
    from directory import licensing

    real_today = licensing.today
    try:
        licensing.today = lambda: LATER + timedelta(days=1)
        body = api(client, q="sciatica", near="Hoboken, NJ").json
    finally:
        licensing.today = real_today
    # Every license expired on LATER: nobody may be listed, let alone verified.
    assert body["results"] == [] and body["facets"]["verified"]["true"] == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda p: setattr(p, "published", False),
        lambda p: setattr(p, "suspended", True),
        lambda p: setattr(p.tenant, "status", "suspended"),
    ],
)
def test_only_publicly_visible_profiles_are_found(client, roster, change):
    change(roster["alexa"])
    db.session.commit()
    assert "alexa-marie" not in slugs(api(client, q="sciatica", near="Hoboken, NJ"))


def test_an_edit_is_searchable_right_after_saving(client, roster):
    assert "bo-chen" not in slugs(api(client, q="plantar fasciitis", near="07030"))
    tag(roster["bo"], conditions=["plantar-fasciitis"])
    roster["bo"].setting = "both"
    db.session.commit()
    assert "bo-chen" in slugs(api(client, q="plantar fasciitis", near="07030"))


def test_unpublished_text_is_not_in_the_index(client, make_practitioner):
    make_practitioner("secret-sam", published=False, bio="zanzibarian technique",
                      licenses=[("NJ", "verified", LATER)], offices=["07030"])  # fmt: skip
    assert api(client, q="zanzibarian").json["total"] == 0
    with sync.store().searcher() as searcher:
        assert searcher.doc_count() == 0


def test_facets_count_the_whole_result_set_not_the_page(client, roster):
    body = api(client, q="sciatica", near="Hoboken, NJ", per_page=1).json
    assert len(body["results"]) == 1 and body["total"] == 3
    # What each choice would list: medical and spa include the "both" therapist.
    assert body["facets"]["setting"] == {"medical": 3, "spa": 1, "both": 1}
    assert body["facets"]["conditions"]["sciatica"] == 3
    assert body["facets"]["verified"] == {"true": 2, "false": 1}


def test_filters(client, roster):
    # A setting lists its own and "spa & medical"; "both" lists those only.
    assert set(slugs(api(client, near="Hoboken, NJ", setting="spa"))) == {"bo-chen", "carla-diaz"}
    assert set(slugs(api(client, near="Hoboken, NJ", setting="medical"))) == {
        "alexa-marie", "carla-diaz", "dev-patel"}  # fmt: skip
    assert set(slugs(api(client, near="Hoboken, NJ", setting="both"))) == {"carla-diaz"}
    assert set(slugs(api(client, near="Hoboken, NJ", modality="swedish-massage"))) == {
        "bo-chen", "carla-diaz"}  # fmt: skip
    both = api(client, near="Hoboken, NJ", condition=["sciatica", "herniated-disc"])
    assert set(slugs(both)) == {"alexa-marie"}
    assert set(slugs(api(client, tenant="crafted-hand"))) == {
        "alexa-marie", "bo-chen", "carla-diaz", "dev-patel"}  # fmt: skip
    assert api(client, tenant="nobody-here").json["total"] == 0


def test_pagination(client, roster):
    first = api(client, near="Hoboken, NJ", per_page=2).json
    second = api(client, near="Hoboken, NJ", per_page=2, page=2).json
    assert first["total"] == second["total"] == 4
    assert len(first["results"]) == 2 and len(second["results"]) == 2
    assert not {r["slug"] for r in first["results"]} & {r["slug"] for r in second["results"]}
    past = api(client, near="Hoboken, NJ", per_page=2, page=9)
    assert past.status_code == 200 and past.json["results"] == []


def _statements_sent(app, client, **params) -> tuple[list[dict], set[str]]:
    """(the results of one search, the SQL texts it sent)."""
    sent = set()

    def record(_conn, _cursor, statement, *_args):
        sent.add(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            found = api(client, **params).json["results"]
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return found, sent


def test_pages_of_any_length_are_read_with_the_same_statements(app, client, roster, monkeypatch):
    api(client, near="Hoboken, NJ")  # the roster indexed, the index opened
    one, one_sent = _statements_sent(app, client, near="Hoboken, NJ", per_page=1)
    four, four_sent = _statements_sent(app, client, near="Hoboken, NJ", per_page=4)
    assert len(one) == 1 and len(four) == 4
    # The same SQL text: compiled once, not rendered again for each length of page.
    assert one_sent == four_sent
    # A page longer than the statements take is read by larger ones, in the same order.
    monkeypatch.setattr(results, "SLOTS", 1)
    assert _statements_sent(app, client, near="Hoboken, NJ", per_page=3)[0] == four[:3]
    assert _statements_sent(app, client, near="Hoboken, NJ", per_page=4)[0] == four


def test_sort_by_distance(client, roster):
    found = api(client, near="Hoboken, NJ", sort="distance").json["results"]
    distances = [r["distance_miles"] for r in found]
    assert distances == sorted(distances)


def test_unknown_location_is_400_with_suggestions(client):
    response = api(client, q="sciatica", near="Hobokn, NJ", near_exact=1)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "unknown_location" and error["field"] == "near"
    assert "Hoboken, NJ" in error["suggestions"]


def test_invalid_utf8_in_the_query_string_never_fails(client):
    for path in ("/api/v1/search", "/search"):
        assert client.get(path + "?q=%ED%A0%80%ff&near=%fe").status_code in (200, 400)


def test_field_syntax_does_not_reach_internal_fields(client, roster):
    assert api(client, q="tenant:crafted-hand").json["total"] == 0
    assert api(client, q="pid:1 published:false").json["total"] == 0


def test_did_you_mean(client, roster):
    body = api(client, q="sciatia", near="Hoboken, NJ").json
    assert body["suggestion"] == "sciatica"
    assert body["results"][0]["slug"] == "alexa-marie"  # results use the best interpretation
    page = client.get("/search", query_string={"q": "sciatia", "near": "Hoboken, NJ"})
    assert "Did you mean" in page.get_data(as_text=True)


def test_practitioner_api(client, roster):
    body = client.get("/api/v1/practitioners/alexa-marie").json
    assert body["slug"] == "alexa-marie" and body["offices"][0]["verified"] is True
    assert body["licenses"][0]["state"] == "NJ"
    roster["alexa"].published = False
    db.session.commit()
    response = client.get("/api/v1/practitioners/alexa-marie")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_results_page_says_what_it_understood(client, roster):
    page = client.get("/search", query_string={"q": "sciatica", "near": "Hoboken, NJ"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Medical massage for sciatica" in text and "Hoboken, NJ" in text
    assert 'value="sciatica"' in text and 'value="Hoboken, NJ"' in text
    assert "<mark>Sciatica</mark>" in text
    assert "Verified NJ license" in text and "NJ license pending verification" in text
    # Scripts only from our own static files (the map), never inline.
    scripts = re.findall(r"<script[^>]*>", text)
    assert scripts and all(re.search(r'src="/static/[\w/.-]+\.js"', tag) for tag in scripts)
    # Each setting says what choosing it would list (spa: the spa & medical therapist).
    assert "setting=spa" in text and '<span class="muted">(1)</span>' in text
    assert ">Offers both</a>" in text and "setting=both" in text


def test_results_page_empty_state_offers_a_wider_radius(client, roster):
    page = client.get("/search", query_string={"q": "sciatica", "near": "Trenton, NJ", "radius": 5})
    text = page.get_data(as_text=True)
    assert "No one within 5 miles of Trenton, NJ treats sciatica." in text
    # Dev Patel, in Manhattan, is the nearest who does.
    assert "The nearest is" in text and re.search(
        r">Within (50|100) miles</a>: \d+ therapist", text
    )
    assert re.search(r"radius=(50|100)", text)


FILTERS = {"q": "sciatica", "radius": "25", "setting": "medical", "verified": "1",
           "condition": "herniated-disc", "accepting": "1", "language": "Spanish"}  # fmt: skip


def links(text: str) -> list[dict]:
    """The query of every /search link on a page, as {name: value or [values]}."""
    from urllib.parse import parse_qs, urlsplit

    found = []
    for href in re.findall(r'href="(/search\?[^"]*)"', text):
        query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        found.append({k: v if len(v) > 1 else v[0] for k, v in query.items()})
    return found


def keeps_filters(query: dict) -> bool:
    return all(query.get(k) == v for k, v in FILTERS.items())


def test_results_page_unknown_place(client):
    page = client.get("/search", query_string={**FILTERS, "near": "Hoboken, NY"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Did you mean" in text
    # Each suggestion searches the place suggested with everything else the client chose.
    suggested = [q for q in links(text) if q.get("near") == "Hoboken, NJ"]
    assert suggested and all(keeps_filters(q) for q in suggested)


def test_an_ambiguous_place_is_the_most_populous_and_says_so(client, roster):
    body = api(client, q="sciatica", near="hoboken").json
    location = body["location"]
    assert location["label"] == "Hoboken, NJ"
    assert location["alternatives"] == ["Hoboken, GA"]
    assert location["chosen_because"] == "most populous"
    assert location["corrected_from"] is None
    assert "alexa-marie" in slugs(api(client, q="sciatica", near="hoboken"))
    page = client.get("/search", query_string={**FILTERS, "near": "hoboken"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Showing Hoboken, NJ, the largest Hoboken." in text
    other = [q for q in links(text) if q.get("near") == "Hoboken, GA"]
    assert other and all(keeps_filters(q) for q in other)


def test_a_misspelt_place_is_corrected_with_an_undo(client, roster):
    body = api(client, q="sciatica", near="hobokn nj").json
    assert body["location"]["label"] == "Hoboken, NJ"
    assert body["location"]["corrected_from"] == "hobokn nj"
    assert "alexa-marie" in slugs(api(client, q="sciatica", near="hobokn nj"))
    page = client.get("/search", query_string={**FILTERS, "near": "hobokn nj"})
    text = page.get_data(as_text=True)
    assert "Showing <strong>Hoboken, NJ</strong>" in text
    # The undo searches exactly what was typed, filters kept; that is the usual error.
    undo = [q for q in links(text) if q.get("near_exact") == "1"]
    assert len(undo) == 1 and undo[0]["near"] == "hobokn nj" and keeps_filters(undo[0])
    again = client.get("/search", query_string=undo[0])
    assert again.status_code == 400
    retry = [q for q in links(again.get_data(as_text=True)) if q.get("near") == "Hoboken, NJ"]
    assert retry and all(keeps_filters(q) and "near_exact" not in q for q in retry)


def test_a_neighbourhood_is_searched_around_its_own_centre(client, roster):
    body = api(client, q="sciatica", near="Williamsburg, Brooklyn").json
    location = body["location"]
    assert location["label"] == "Williamsburg, Brooklyn, NY"
    assert (location["kind"], location["state"], location["radius_miles"]) == (
        "neighbourhood", "NY", 10,
    )  # fmt: skip
    # Dev Patel's Chelsea office is a few miles away across the East River.
    assert "dev-patel" in slugs(api(client, q="sciatica", near="Williamsburg, Brooklyn"))


def test_rebuild_swaps_in_a_complete_index_and_status_counts(runner, roster):
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 of 4" in result.output
    status = runner.invoke(args=["search", "status"]).output
    assert "indexed:     4" in status and "pending:     0" in status


def test_a_crash_between_commit_and_indexing_loses_nothing(client, roster):
    api(client, q="sciatica")  # drains everything so far
    roster["dev"].setting = "spa"  # committed, but no request drains it ...
    db.session.commit()
    assert sync.pending() == 1
    # ... until the next search, or `search drain`, applies it from the database.
    assert sync.drain() == 1
    assert sync.pending() == 0
    assert "dev-patel" not in slugs(api(client, q="sciatica", setting="medical"))


def test_drain_is_idempotent_and_dedupes(app, roster):
    sync.drain()
    for _ in range(3):
        roster["alexa"].headline = f"edit {_}"
        db.session.commit()
    assert sync.drain() == 3
    with sync.store().searcher() as searcher:
        assert searcher.doc_count() == 4
    assert sync.drain() == 0


def _edit_many(url: str, instance: str, slug: str, count: int) -> None:
    os.environ["DIRECTORY_INSTANCE_PATH"] = instance
    from directory import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.test_request_context(method="POST"), app.app_context():
        for i in range(count):
            # Each worker its own profile: two editing one are refused by its version check.
            p = db.session.scalar(select(Practitioner).where(Practitioner.slug == slug))
            p.headline = f"{slug} edit {i}"
            db.session.commit()
            sync.drain(timeout=0.2)


def test_several_processes_writing_at_once_keep_the_index_exact(app, roster, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    instance = app.instance_path
    ids = [p.id for p in roster.values()]
    slugs_ = [p.slug for p in roster.values()][:3]
    db.session.remove()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        pool.starmap(_edit_many, [(url, instance, slug, 10) for slug in slugs_])
    sync.drain()
    assert sync.pending() == 0
    from whoosh.query import Term

    with sync.store().searcher() as searcher:
        assert searcher.doc_count() == 4
        for pid in ids:
            assert len(searcher.search(Term("pid", str(pid)))) == 1
        headlines = {p.headline for p in db.session.scalars(select(Practitioner))}
    assert {f"{slug} edit 9" for slug in slugs_} <= headlines


def test_rollback_leaves_the_index_alone(client, roster):
    api(client, q="x")
    roster["alexa"].published = False
    db.session.flush()
    db.session.rollback()
    assert sync.pending() == 0
    assert "alexa-marie" in slugs(api(client, q="sciatica"))


def test_the_license_table_drives_listing_not_just_the_index(client, roster):
    # Even if the index were stale, a page is re-checked against the database.
    api(client, q="sciatica")
    db.session.execute(
        License.__table__.update().values(status="rejected")
    )  # bulk SQL bypasses the outbox on purpose
    db.session.commit()
    assert slugs(api(client, q="sciatica", near="Hoboken, NJ")) == []


def test_a_place_in_the_need_text_is_used_when_near_is_empty(client, roster):
    body = api(client, q="sciatica near Hoboken, NJ").json
    assert body["location"]["label"] == "Hoboken, NJ"
    assert "dev-patel" in slugs(api(client, q="sciatica in 10001", radius=1))


def test_an_ambiguous_place_in_the_need_text_is_the_most_populous(client, roster):
    location = api(client, q="hot stone massage near Hoboken").json["location"]
    assert (location["label"], location["alternatives"]) == ("Hoboken, NJ", ["Hoboken, GA"])
    # Words that only look like a place after "near" are not treated as one, nor corrected.
    assert api(client, q="hot stone massage near town").status_code == 200
    assert api(client, q="sciatica near hobokn").json["location"] is None


def test_search_works_outside_the_main_thread(app, roster):
    # Web servers answer requests in worker threads, where signals (SIGALRM) are not allowed.
    import threading

    outcome = {}

    def run():
        with app.test_client() as client:
            outcome["response"] = client.get("/api/v1/search?q=sciatica&near=07030")

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert outcome["response"].status_code == 200
    assert outcome["response"].json["total"] == 3


def test_searches_keep_working_while_a_rebuild_swaps_the_index(app, client, roster):
    api(client, q="sciatica")
    with sync.store().searcher() as before:
        old_dir = sync.store().live_dir()
        assert sync.rebuild() == 4
        assert sync.store().live_dir() != old_dir
        assert before.doc_count() == 4  # the open searcher still reads the old files
    assert set(slugs(api(client, q="sciatica", near="07030"))) == {
        "alexa-marie", "carla-diaz", "dev-patel"}  # fmt: skip


def test_a_search_on_an_index_swapped_out_and_removed_meanwhile_finds_the_live_one(
    app, client, roster, monkeypatch
):
    """Another process's rebuilds swapped and removed the directory this one found live before
    it could open it (a 500 in the probe): the live index is found again."""
    store = sync.store()
    gone = store.live_dir()
    store.close()
    sync.rebuild()
    sync.rebuild()  # the directory two swaps old is removed
    assert not gone.exists()
    found_first = iter([gone])
    real = store.live_dir
    monkeypatch.setattr(store, "live_dir", lambda: next(found_first, None) or real())
    with store.searcher() as searcher:
        assert searcher.doc_count() == 4


def test_a_drain_that_finds_the_table_of_contents_just_replaced_opens_the_live_index(
    app, roster, monkeypatch
):
    """Another process's commit removed the table of contents this one was about to read
    (`FileNotFoundError: _MAIN_57.toc`, a 500 on a city page under a running indexer): the
    drain opens the index again and applies its rows."""
    sync.drain()
    store = sync.store()
    real = store.open
    failures = iter([FileNotFoundError("_MAIN_57.toc")])

    def opened(path=None):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(path)

    monkeypatch.setattr(store, "open", opened)
    roster["bo"].headline = "changed"
    db.session.commit()
    assert sync.drain() == 1
    assert next(failures, None) is None  # the failure was met, and the drain went on


def test_drain_command(runner, roster):
    assert "Applied" in runner.invoke(args=["search", "drain"]).output
    roster["bo"].headline = "changed"
    db.session.commit()
    result = runner.invoke(args=["search", "drain"])
    assert result.exit_code == 0 and "Applied 1 outbox row(s)." in result.output


def test_prune_deletes_only_old_outbox_rows(app, roster):
    from datetime import timedelta

    from directory.db import now_utc
    from directory.search.outbox import SearchOutbox, pending_count

    sync.drain()
    total = pending_count()
    oldest = db.session.scalar(select(SearchOutbox).order_by(SearchOutbox.id).limit(1))
    oldest.created_at = now_utc() - timedelta(days=8)
    db.session.commit()
    assert sync.prune(older_than_days=7) == 1
    db.session.commit()
    assert pending_count() == total - 1


def _lose_the_index(app) -> None:
    """The index folder deleted and every outbox row pruned (the 7-day prune after an outage)."""
    import shutil

    from directory.search.outbox import SearchOutbox

    app.extensions["search_store"].close()
    shutil.rmtree(app.extensions["search_store"].root)
    db.session.execute(SearchOutbox.__table__.delete())
    db.session.commit()


def test_a_lost_index_is_rebuilt_not_trusted_empty(app, client, runner, roster):
    sync.drain()
    assert sync.problem() is None
    _lose_the_index(app)
    assert sync.problem() == "the index is missing"
    # A search meanwhile creates an empty index: it answers, but nobody takes it for complete.
    assert slugs(api(client, q="sciatica", near="Hoboken, NJ")) == []
    assert sync.problem() == "the index is missing 4 publishable profiles"
    status = runner.invoke(args=["search", "status"]).output
    assert "needs a rebuild: the index is missing 4 publishable profiles" in status
    result = runner.invoke(args=["search", "drain"])
    assert "The index is missing 4 publishable profiles: building it" in result.output
    assert sync.problem() is None
    assert len(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == 3


def test_the_indexer_rebuilds_a_lost_index_by_itself(app, client, roster):
    sync.drain()
    _lose_the_index(app)
    assert slugs(api(client, q="sciatica", near="Hoboken, NJ")) == []
    said, rounds = [], iter([False, True])
    sync.serve(say=said.append, stop=lambda: next(rounds), sleep=lambda _s: None)
    assert said[0] == "the index is missing 4 publishable profiles: rebuilding it from the database"
    assert len(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == 3


def test_an_index_built_from_another_database_is_rebuilt(app, client, runner, roster):
    from directory.search.outbox import DatabaseIdentity, SearchOutbox

    sync.drain()
    assert sync.read_mark(sync.store().live_dir()).database == sync.database_identity()
    assert sync.problem() is None
    # The database was replaced (reset, or restored from another site's backup) under the same
    # index folder: the index's outbox ids mean nothing for this one.
    db.session.get(DatabaseIdentity, 1).token = "another-database"
    roster["carla"].published = False
    db.session.commit()
    db.session.execute(SearchOutbox.__table__.delete())  # that database's own outbox
    db.session.commit()
    assert sync.problem() == "the index was built from another database"
    result = runner.invoke(args=["search", "drain"])
    assert "The index was built from another database: building it" in result.output
    assert sync.problem() is None
    assert len(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == 2


def test_an_index_that_does_not_say_where_it_came_from_is_rebuilt(app, roster):
    sync.drain()
    path = sync.store().live_dir()
    mark = sync.read_mark(path)
    mark.database = None  # written before indexes recorded their database
    sync.write_mark(path, mark)
    assert sync.problem() == "the index does not say which database it was built from"
    said, rounds = [], iter([False, True])
    sync.serve(say=said.append, stop=lambda: next(rounds), sleep=lambda _s: None)
    assert said[0].startswith("the index does not say which database it was built from: rebuild")
    assert sync.problem() is None


def test_an_index_that_missed_pruned_changes_says_so(app, roster):
    from directory.search.outbox import SearchOutbox

    sync.drain()
    roster["bo"].headline = "changed while the indexer was down"
    db.session.commit()
    # The indexer stayed down past the prune: the change's row is gone, unapplied.
    db.session.execute(SearchOutbox.__table__.delete())
    roster["alexa"].headline = "a later change"
    db.session.commit()
    sync.drain()
    assert sync.problem() == "the index missed changes whose outbox rows were pruned"


def test_the_indexer_survives_a_database_outage_and_catches_up(app, roster, monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    sync.drain()
    down = {"statements": 4}

    def database_down(conn, cursor, statement, *args):
        if down["statements"] > 0:
            down["statements"] -= 1
            raise OperationalError(statement, {}, Exception("server closed the connection"))

    roster["bo"].headline = "Changed during the outage"
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", database_down)
    waits, said, rounds = [], [], {"n": 0}

    def stop() -> bool:
        rounds["n"] += 1
        return rounds["n"] > 8

    try:
        sync.serve(interval=1, say=said.append, stop=stop, sleep=waits.append)
    finally:
        event.remove(db.engine, "before_cursor_execute", database_down)
    errors = [line for line in said if line.startswith("Indexer error")]
    assert errors and down["statements"] == 0
    assert waits[: len(errors)] == [1, 2, 4, 8][: len(errors)]  # a growing wait, then back to 1
    assert "Applied 1 outbox row(s)." in said
    with sync.store().searcher() as searcher:
        assert searcher.doc_count() == 4
    assert sync.pending() == 0


def test_the_indexer_keeps_a_heartbeat_that_status_reads(app, runner, monkeypatch):
    root = sync.store().root
    app.config["SEARCH_INDEXER_EXPECTED"] = True
    status = runner.invoke(args=["search", "status"]).output
    assert "indexer:     not running\n" in status and "an indexer is expected here" in status
    monkeypatch.setattr(indexer, "BEAT_SECONDS", 3600)  # only the first beat, at start
    with indexer.running(root):
        beat = indexer.last_beat(root)
        assert beat.pid == os.getpid() and indexer.problem(beat) is None
        status = runner.invoke(args=["search", "status"]).output
        assert f"indexer:     running (pid {os.getpid()})" in status
        assert "expected here" not in status
        past = time.time() - indexer.STALE_SECONDS - 60
        os.utime(root / indexer.HEARTBEAT_FILE, (past, past))  # it stopped beating: hung, killed
        assert re.fullmatch(
            rf"not running \(last heartbeat 9\d s ago, pid {os.getpid()}\)",
            indexer.problem(indexer.last_beat(root)),
        )
    assert indexer.last_beat(root) is None  # a clean stop leaves no heartbeat behind


def test_an_indexer_stops_when_its_server_has_ended(app, runner, monkeypatch):
    """gunicorn.conf.py starts the indexer with `--parent <master pid>`; the kernel's signal on
    the parent's death is tested with a real server (test_serving.py), the fallback here."""
    sent = threading.Event()
    kill = os.kill

    def recorded(pid, sig):
        if (pid, sig) == (os.getpid(), signal.SIGINT):
            sent.set()
        else:
            kill(pid, sig)

    monkeypatch.setattr(os, "kill", recorded)
    monkeypatch.setattr(indexer, "WATCH_SECONDS", 0.01)
    with indexer.running(sync.store().root, parent=os.getpid()):  # not its own parent: adopted
        assert sent.wait(60), "the indexer did not interrupt itself"
    # A server that ended before its indexer could tie itself to it: the indexer does not start.
    handler = signal.getsignal(signal.SIGINT)
    try:
        result = runner.invoke(args=["search", "drain", "--forever", "--parent", str(os.getpid())])
        assert result.exit_code == 0 and "Indexer not started: its server" in result.output
        if sys.platform.startswith("linux"):
            libc, asked = ctypes.CDLL(None), ctypes.c_int()
            libc.prctl(2, ctypes.byref(asked), 0, 0, 0)  # PR_GET_PDEATHSIG
            assert asked.value == signal.SIGINT
    finally:  # this test process keeps its own parent's signal and Ctrl-C as they were
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
        signal.signal(signal.SIGINT, handler)


# -- the column engine's own mechanics ------------------------------------------------------


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
    setting = body["facets"]["setting"]
    # Choices overlap by "both": medical + spa - both is everyone.
    assert setting["medical"] + setting["spa"] - setting.get("both", 0) == body["total"]


def test_decoded_arrays_are_kept_beside_the_segments_for_the_next_process(
    app, client, roster, monkeypatch
):
    sync.drain()
    store = sync.store()
    live = store.live_dir()
    with store.searcher() as searcher:
        keys = {r.segment().segment_id() for r, _o in searcher.reader().leaf_readers()}
    assert {p.name for p in live.glob(f"*{columns.PERSISTED_SUFFIX}")} == {
        f"{key}{columns.PERSISTED_SUFFIX}" for key in keys
    }
    # A new process (a fresh cache) loads them and never decodes the column.
    monkeypatch.setattr(columns, "_decode", lambda reader: pytest.fail("decoded again"))
    store.columns = columns.SegmentCache()
    assert set(slugs(api(client, q="sciatica", near="Hoboken, NJ"))) == {
        "alexa-marie", "carla-diaz", "dev-patel",
    }  # fmt: skip


def test_a_damaged_arrays_file_is_decoded_again(app, client, roster):
    sync.drain()
    store = sync.store()
    for path in store.live_dir().glob(f"*{columns.PERSISTED_SUFFIX}"):
        path.write_bytes(b"not an npz file")
    store.columns = columns.SegmentCache()
    assert api(client, q="sciatica", near="Hoboken, NJ").json["total"] == 3


def test_reading_a_terms_postings_never_looks_up_a_length_per_posting(
    app, client, roster, monkeypatch
):
    from whoosh.reading import SegmentReader

    want = api(client, q="alexa", near="Hoboken, NJ").json  # a word of a name: a text term
    assert [r["slug"] for r in want["results"]] == ["alexa-marie"]
    store = sync.store()
    store.columns = columns.SegmentCache()  # a new process: arrays loaded, no postings read
    api(client, q="", near="Hoboken, NJ")
    # The lengths BM25 reads come with the segment's arrays: a first search of a term costs
    # its postings, not a length read for each of them (tens of thousands at 100k profiles).
    monkeypatch.setattr(
        SegmentReader, "doc_field_length", lambda *a, **k: pytest.fail("length per posting")
    )
    got = api(client, q="alexa", near="Hoboken, NJ").json
    assert [(r["slug"], r["distance_miles"]) for r in got["results"]] == [
        (r["slug"], r["distance_miles"]) for r in want["results"]
    ]
    assert got["facets"] == want["facets"]


def test_a_term_searched_again_reuses_its_scores_until_the_index_changes(
    app, client, roster, make_practitioner, monkeypatch
):
    computed = []
    real = columns.bm25
    monkeypatch.setattr(columns, "bm25", lambda *a: computed.append(a[0]) or real(*a))
    first = api(client, q="alexa", near="Hoboken, NJ").json
    assert computed
    computed.clear()
    assert api(client, q="alexa", near="Hoboken, NJ").json == first
    assert not computed
    # Another profile with the word: the term's statistics change, and its scores with them.
    make_practitioner("alexa-stone", licenses=[("NJ", "verified", LATER)], offices=["07030"])
    sync.drain()
    assert {r["slug"] for r in api(client, q="alexa", near="Hoboken, NJ").json["results"]} == {
        "alexa-marie", "alexa-stone",
    }  # fmt: skip
    assert computed


def test_arrays_of_an_older_layout_are_decoded_again(app, client, roster):
    from directory.search.index import TEXT_FIELDS

    assert set(TEXT_FIELDS) <= set(columns.LENGTH_FIELDS)
    sync.drain()
    store = sync.store()
    for path in store.live_dir().glob(f"*{columns.PERSISTED_SUFFIX}"):
        with np.load(path) as stored:
            older = {k: stored[k] for k in stored.files if not k.startswith("length_")}
        np.savez(path, **older)
    store.columns = columns.SegmentCache()
    assert api(client, q="sciatica", near="Hoboken, NJ").json["total"] == 3
    for path in store.live_dir().glob(f"*{columns.PERSISTED_SUFFIX}"):
        with np.load(path) as stored:
            assert {f"length_{name}" for name in columns.LENGTH_FIELDS} <= set(stored.files)


def test_arrays_of_merged_segments_are_removed(app, client, roster, make_practitioner):
    sync.drain()
    live = sync.store().live_dir()
    before = {p.name for p in live.glob(f"*{columns.PERSISTED_SUFFIX}")}
    for i in range(12):  # enough small segments for Whoosh to merge some of them
        make_practitioner(f"extra-{i}", licenses=[("NJ", "verified", LATER)], offices=["07030"])
        sync.drain()
    with sync.store().searcher() as searcher:
        keys = {r.segment().segment_id() for r, _o in searcher.reader().leaf_readers()}
    after = {p.name for p in live.glob(f"*{columns.PERSISTED_SUFFIX}")}
    assert after == {f"{key}{columns.PERSISTED_SUFFIX}" for key in keys}
    assert before - after  # some were merged away, and their files went with them


def _late_write(slug: str, headline: str, outbox_id: int) -> None:
    """A change and its outbox row committed with a given id, as a slow transaction would:
    Core statements, so the ORM's outbox listener does not add a row of its own."""
    from sqlalchemy import insert, update

    from directory.db import now_utc
    from directory.search.outbox import SearchOutbox

    pid = db.session.scalar(select(Practitioner.id).where(Practitioner.slug == slug))
    db.session.execute(update(Practitioner).where(Practitioner.id == pid).values(headline=headline))
    db.session.execute(
        insert(SearchOutbox).values(id=outbox_id, practitioner_id=pid, created_at=now_utc())
    )
    db.session.commit()


def test_a_lower_outbox_id_committed_after_a_higher_one_was_applied_is_still_indexed(
    client, roster
):
    from directory.search.outbox import SearchOutbox

    sync.drain()
    top = db.session.scalar(select(db.func.max(SearchOutbox.id)))
    # Transaction 2 took id top+2 and committed first; transaction 1 (top+1) is still open.
    _late_write("bo-chen", "quixotic calm", top + 2)
    assert sync.drain() == 1
    assert slugs(api(client, q="quixotic", near="07030")) == ["bo-chen"]
    # Transaction 1 commits now, below the high-water mark: the gap remembered lets it in.
    _late_write("alexa-marie", "zephyrine sciatica", top + 1)
    assert sync.pending() == 1
    assert slugs(api(client, q="zephyrine", near="07030")) == ["alexa-marie"]
    assert sync.pending() == 0


def test_the_outbox_generation_changes_when_a_lower_id_commits_late(client, roster):
    from directory.search.outbox import SearchOutbox, generation

    top = db.session.scalar(select(db.func.max(SearchOutbox.id)))
    _late_write("bo-chen", "quixotic calm", top + 2)
    seen = generation()
    assert seen[0] == top + 2
    # Transaction 1 (top+1) commits after transaction 2: the newest id stays, yet what search
    # lists changed, and so does the generation that says whether counts are still right.
    _late_write("alexa-marie", "zephyrine sciatica", top + 1)
    assert generation()[0] == seen[0] and generation() != seen


def test_a_gap_is_forgotten_after_its_time_to_live(client, roster, monkeypatch):
    from directory.search.outbox import SearchOutbox

    sync.drain()
    top = db.session.scalar(select(db.func.max(SearchOutbox.id)))
    _late_write("bo-chen", "quixotic calm", top + 2)
    sync.drain()
    assert top + 1 in sync.read_mark(sync.store().live_dir()).gaps
    monkeypatch.setattr(sync, "GAP_TTL_SECONDS", -1)  # every gap is old now: a rollback
    _late_write("carla-diaz", "unrelated edit", top + 3)
    sync.drain()
    assert top + 1 not in sync.read_mark(sync.store().live_dir()).gaps


def test_a_save_is_found_by_the_savers_next_search_on_another_worker(
    app, tmp_path, make_practitioner
):
    """Two app processes on one database and index (two workers); while the indexer holds the
    index for a moment, the saver's next search still finds what they just saved."""
    import threading

    from tests.conftest import make_app
    from tests.html_forms import form_fields, with_values
    from tests.people import build_crew, log_in

    crew = build_crew(make_practitioner)
    sync.drain()
    saver = app.test_client()
    log_in(saver, crew["alexa"])
    edit = "/dashboard/profiles/alexa-marie/edit"
    fields = form_fields(saver.get(edit).get_data(as_text=True), edit)
    held, release = threading.Event(), threading.Event()

    def indexer_busy() -> None:
        with app.app_context():
            writer = sync.store().open().writer(timeout=5)
            held.set()
            release.wait(1.0)  # an indexer applying a large batch
            writer.cancel()

    busy = threading.Thread(target=indexer_busy)
    busy.start()
    held.wait(5)
    try:
        response = saver.post(edit, data=with_values(fields, headline="Zanzibar-trained therapist"))
        assert response.status_code == 302
        other_worker = make_app(tmp_path).test_client()
        other_worker.set_cookie("session", saver.get_cookie("session").value)
        found = other_worker.get("/api/v1/search", query_string={"q": "zanzibar"})
    finally:
        release.set()
        busy.join()
    assert [r["slug"] for r in found.json["results"]] == ["alexa-marie"]


def test_the_map_is_markup_for_a_script_and_says_nothing_without_one(app, client, roster):
    text = client.get("/search", query_string={"near": "Hoboken, NJ"}).get_data(as_text=True)
    assert '<div id="results-map" class="results-map" hidden' in text  # shown by map.js
    assert "&#34;slug&#34;: &#34;alexa-marie&#34;" in text and "vendor/leaflet/leaflet.js" in text
    app.config["MAP_TILE_URL"] = ""
    bare = client.get("/search", query_string={"near": "Hoboken, NJ"})
    assert "results-map" not in bare.get_data(as_text=True)
    assert "img-src" not in bare.headers["Content-Security-Policy"]


def test_the_map_credits_openstreetmap_in_the_readers_language_or_as_configured(
    app, client, roster
):
    """The default credit is OpenStreetMap's, in the page's language, linking to its copyright
    page; a credit an instance sets (another tile server) is shown as set in every language."""

    def credit(path: str) -> str:
        page = app.test_client().get(path, query_string={"near": "Hoboken, NJ"})
        found = re.search(r'data-attribution="([^"]*)"', page.get_data(as_text=True))
        return html.unescape(found.group(1))

    link = '<a href="https://www.openstreetmap.org/copyright">'
    assert credit("/search") == f"© {link}OpenStreetMap</a> contributors"
    assert credit("/es/search") == f"© {link}colaboradores de OpenStreetMap</a>"
    app.config["MAP_ATTRIBUTION"] = '&copy; <a href="https://tiles.example">Example tiles</a>'
    assert credit("/es/search") == app.config["MAP_ATTRIBUTION"]  # HTML, as Leaflet shows it


def test_leaflet_is_vendored_with_its_license():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "static" / "vendor" / "leaflet"
    assert "BSD 2-Clause License" in (folder / "LICENSE").read_text()
    assert (folder / "leaflet.js").stat().st_size > 100_000
    assert (folder / "images" / "marker-icon.png").exists()


def test_cards_show_a_photo_or_initials_and_how_fresh_the_profile_is(app, client, roster):
    roster["bo"].photo = None
    body = api(client, q="", near="Hoboken, NJ").json
    first = body["results"][0]
    assert first["photo"] is None and first["updated_at"].startswith(str(date.today().year))
    assert "accepting_confirmed_at" in first
    text = client.get("/search", query_string={"near": "Hoboken, NJ"}).get_data(as_text=True)
    assert 'class="avatar avatar-md avatar-initials' in text and ">AM</span>" in text
    assert "Updated just now" in text
    roster_page = client.get("/t/crafted-hand").get_data(as_text=True)
    assert ">AM</span>" in roster_page
    embed = client.get("/t/crafted-hand/embed").get_data(as_text=True)
    assert 'class="avatar avatar-sm avatar-initials' in embed


@pytest.mark.parametrize(
    ("need", "listed"),
    [
        ("pain between my shoulder blades", {"upper-back-pro"}),
        ("pain between the shoulder blades", {"upper-back-pro"}),
        # "paining" is "pain" to the stemmed headline
        ("my shoulder blades are paining me", {"upper-back-pro"}),
        ("massaging between my shoulder blades", {"upper-back-pro"}),
        ("pain in my pinky toe", set()),  # a pain word says "medical", never "anyone medical"
    ],
)
def test_generic_words_never_list_a_therapist_alone(client, make_practitioner, need, listed):
    licensed = {"licenses": [("NJ", "verified", LATER)], "offices": ["07030"]}
    tag(make_practitioner("upper-back-pro", setting="medical", **licensed),
        conditions=["upper-back-pain"])  # fmt: skip
    make_practitioner("pain-headline", setting="medical", headline="Pain relief for everyone",
                      **licensed)  # fmt: skip
    make_practitioner("massage-bio", setting="both", bio="Massage is my passion.", **licensed)
    body = api(client, q=need, near="07030").json
    assert {r["slug"] for r in body["results"]} == listed
    assert body["total"] == len(body["results"])


def test_the_indexer_logs_a_database_away_in_one_line_and_other_errors_with_a_traceback(
    app, monkeypatch, caplog
):
    failures = iter([
        OperationalError("SELECT 1", {}, Exception("connection refused\nIs the server running?")),
        LockError("index locked"),
    ])  # fmt: skip

    def drain():
        raise next(failures)

    monkeypatch.setattr(sync, "drain", drain)
    monkeypatch.setattr(sync, "problem", lambda: None)
    tries = iter(range(2))
    with caplog.at_level("WARNING", logger=sync.log.name):
        sync.serve(stop=lambda: next(tries, None) is None, sleep=lambda _s: None, say=print)
    away, other = [r for r in caplog.records if r.getMessage().startswith("indexer:")]
    assert "connection refused" in away.getMessage() and "\n" not in away.getMessage()
    assert not away.exc_info
    assert other.exc_info is not None


def test_the_indexer_runs_its_chores_each_poll(app, roster):
    ran, rounds = [], iter([False, False, True])
    sync.serve(say=lambda _m: None, stop=lambda: next(rounds), sleep=lambda _s: None,
               chores=lambda: ran.append(1))  # fmt: skip
    assert len(ran) == 2


@given(
    st.integers(1, 200).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 9)), max_size=400),
            st.lists(st.booleans(), min_size=size, max_size=size),
        )
    )
)
@settings(max_examples=200, deadline=None)
def test_tag_counts_and_holders_over_any_set_of_documents_are_exact(case):
    size, pairs, chosen = case
    doc = np.array([d for d, _c in pairs], dtype=np.int32)
    code = np.array([c for _d, c in pairs], dtype=np.int32)
    tags = columns.Pairs(doc, code, size)
    mask = np.array(chosen, dtype=bool)
    holders = {c: {d for d, c2 in pairs if c2 == c} for c in range(12)}
    assert tags.count(columns.packed(mask), 12).tolist() == [
        sum(mask[d] for d in holders[c]) for c in range(12)
    ]
    for c in range(12):
        assert np.flatnonzero(tags.having(c)).tolist() == sorted(holders[c])
        assert sorted(set(tags.holders(c).tolist())) == sorted(holders[c])


@given(
    st.integers(1, 300).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.integers(-3, 3), min_size=n, max_size=n), min_size=1, max_size=4),
            st.integers(1, n),
        )
    )
)
@settings(max_examples=300, deadline=None)
def test_the_page_of_a_partial_sort_is_the_page_of_a_full_sort(case):
    columns_of_keys, count = case
    # Few distinct values: ties at the cut, broken by the earlier keys, then by row number.
    keys = tuple(np.array(k, dtype=np.float64) / 2 for k in columns_of_keys)
    assert engine._top(keys, count).tolist() == np.lexsort(keys)[:count].tolist()


_PARAM = st.sampled_from(["q", "near", "condition", "language", "page", "price_max", "x y", "é"])
_VALUE = st.one_of(
    st.none(), st.text(max_size=8), st.integers(0, 500), st.lists(st.text(max_size=5), max_size=3)
)


@given(args=st.dictionaries(_PARAM, _VALUE, max_size=5), changes=st.dictionaries(_PARAM, _VALUE))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_results_pages_links_read_as_url_for_builds_them(app, args, changes):
    from flask import url_for

    from directory.search import views

    with app.test_request_context("/search"):
        merged = {k: v for k, v in args.items() if k != "page"}
        merged.update(changes)
        expected = url_for(
            "search.index", **{k: v for k, v in merged.items() if v not in (None, "", [])}
        )
        assert views._url(args, **changes) == expected


@given(
    st.lists(st.tuples(st.floats(39.5, 41.5), st.floats(-75.5, -73.0)), max_size=300),
    st.floats(40.0, 41.0),
    st.floats(-75.0, -73.5),
    st.sampled_from([1, 5, 10, 25, 100]),
)
@settings(max_examples=300, deadline=None)
def test_the_offices_in_a_radius_box_are_every_one_inside_it_in_order(offices, lat, lon, miles):
    import math
    from types import SimpleNamespace

    from directory.geo import EARTH_RADIUS_MILES

    lats = np.array([o[0] for o in offices], dtype=np.float64)
    lons = np.array([o[1] for o in offices], dtype=np.float64)
    by_lat = np.argsort(lats, kind="stable").astype(np.int32)
    seg = SimpleNamespace(
        office_doc=np.arange(len(offices), dtype=np.int32), office_lon=lons,
        office_by_lat=by_lat, office_lat_sorted=lats[by_lat], office_lon_by_lat=lons[by_lat],
    )  # fmt: skip
    angular = miles * 1.01 / EARTH_RADIUS_MILES
    dlat = math.degrees(angular)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    inside = (lats >= lat - dlat) & (lats <= lat + dlat)
    inside &= (lons >= lon - dlon) & (lons <= lon + dlon)
    # Few or many of them (a dense place): the same rows, by row number.
    assert engine._within_box(seg, lat, lon, miles).tolist() == np.flatnonzero(inside).tolist()
