"""Landing pages (/massage/<state>[/<city>[/<need>]]): searches by another name, honest and
never thin for search engines. One world for the module: the relevance roster around Hoboken."""

import html as html_module
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select

from directory.db import db
from directory.practitioners.models import Practitioner
from directory.public import landing
from tests.conftest import DATABASE_URL, add_practitioner, module_world
from tests.test_relevance import build_roster


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("landing")
    build = lambda: build_roster(add_practitioner)  # noqa: E731
    with module_world(folder, build, PUBLIC_URL="https://kneaded.example") as found:
        yield found


@pytest.fixture
def client(world):
    return world[0].test_client()


def _result_slugs(html: str) -> list[str]:
    return re.findall(r'<li class="card result" id="card-([a-z0-9-]+)"', html)


@pytest.mark.parametrize(
    ("landing_path", "search_path"),
    [
        ("/massage/nj/hoboken/sciatica", "/search?q=sciatica&near=Hoboken,+NJ"),
        ("/massage/nj/hoboken/lymphedema", "/search?q=lymphedema&near=Hoboken,+NJ"),
        ("/massage/nj/hoboken/hot-stone-massage", "/search?q=hot+stone+massage&near=Hoboken,+NJ"),
        ("/massage/nj/hoboken", "/search?near=Hoboken,+NJ"),
        ("/massage/nj/jersey-city/sciatica", "/search?q=sciatica&near=Jersey+City,+NJ"),
    ],
)
def test_a_landing_page_lists_what_its_search_lists(client, landing_path, search_path):
    page = client.get(landing_path)
    assert page.status_code == 200, landing_path
    listed = _result_slugs(page.get_data(as_text=True))
    searched = _result_slugs(client.get(search_path).get_data(as_text=True))
    assert listed and listed == searched


def test_the_state_page_lists_cities_with_listed_therapists(client, world):
    page = client.get("/massage/nj").get_data(as_text=True)
    assert "Massage therapists in New Jersey" in page
    hoboken = re.search(r'href="/massage/nj/hoboken">Hoboken</a> <span[^>]*>(\d+) therap', page)
    app, roster = world
    with app.app_context():
        from directory import licensing

        expected = sum(
            1
            for p in (db.session.get(Practitioner, p.id) for p in roster.values())
            if p.is_publicly_visible
            and any(o.city == "Hoboken" for o in licensing.listed_offices(p) if o.state == "NJ")
        )
    assert hoboken and int(hoboken.group(1)) == expected
    # The unpublished decoy in Hoboken and New York adds nobody.
    assert 'href="/massage/ny/new-york"' in client.get("/massage/ny").get_data(as_text=True)


def test_unknown_places_and_needs_are_404(client):
    for path in (
        "/massage/zz",
        "/massage/NJ",
        "/massage/nj/atlantis",
        "/massage/nj/hoboken/not-a-need",
        "/massage/nj/hoboken/blood-clot",  # a red flag is not a need a therapist treats
        "/massage/wy",  # a real state without listed therapists
        "/massage/nj/hoboken/sciatica?page=99",
        "/massage/nj/hoboken/sciatica?page=x",
    ):
        assert client.get(path).status_code == 404, path


def test_a_thin_page_is_noindex_and_a_full_one_is_not(client):
    full = client.get("/massage/nj/hoboken/sciatica").get_data(as_text=True)
    assert "noindex" not in full
    assert (
        '<link rel="canonical" href="https://kneaded.example/massage/nj/hoboken/sciatica">' in full
    )
    thin_need = next(
        slug
        for slug in ("tmj-disorder", "plantar-fasciitis", "whiplash", "scoliosis", "migraine")
        if len(_result_slugs(client.get(f"/massage/nj/hoboken/{slug}").get_data(as_text=True)))
        < landing.THIN
    )
    thin = client.get(f"/massage/nj/hoboken/{thin_need}").get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in thin


def test_each_page_of_a_landing_page_has_its_own_canonical_url(client, world):
    app, _ = world
    app.config["PER_PAGE"] = 20
    page = client.get("/massage/nj/hoboken?page=1").get_data(as_text=True)
    assert '<link rel="canonical" href="https://kneaded.example/massage/nj/hoboken">' in page
    if "Page 1 of" in page:
        second = client.get("/massage/nj/hoboken?page=2").get_data(as_text=True)
        assert 'href="https://kneaded.example/massage/nj/hoboken?page=2"' in second


def test_a_need_named_with_massage_is_not_doubled_in_titles_or_headings(client):
    page = client.get("/massage/nj/hoboken/hot-stone-massage").get_data(as_text=True)
    assert "<title>Hot stone massage in Hoboken, NJ · Kneaded</title>" in page
    assert "<h1>Hot stone massage in Hoboken, NJ</h1>" in page
    assert "massage massage" not in page.lower()
    assert "<h1>Massage for sciatica in Hoboken, NJ</h1>" in client.get(
        "/massage/nj/hoboken/sciatica"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "name", "heading"),
    [
        ("modality", "Hot stone massage", "Hot stone massage"),
        ("modality", "Swedish massage", "Swedish massage"),
        ("modality", "Myofascial release", "Myofascial release massage"),
        ("modality", "Massage cupping", "Massage cupping"),
        ("condition", "Sciatica", "Massage for sciatica"),
        ("condition", "TMJ disorder", "Massage for TMJ disorder"),
    ],
)
def test_need_heading_names_massage_once(kind, name, heading):
    from types import SimpleNamespace

    assert landing.need_heading(SimpleNamespace(kind=kind, name=name)) == heading
    assert landing.need_heading(None) == "Massage therapists"


def test_the_introduction_is_written_from_the_data(client):
    page = client.get("/massage/nj/hoboken/sciatica").get_data(as_text=True)
    count = len(_result_slugs(page))
    assert re.search(
        rf"{count} massage therapists? within 10 miles of Hoboken, NJ treat sciatica", page
    )
    assert "have a verified license in the state of their office" in page
    # Each therapist counted once by setting: the counts add up to the total.
    settings = re.search(r"treat sciatica: ([^.]+)\.", page).group(1)
    assert sum(int(n) for n in re.findall(r"(\d+) ", settings)) == count
    assert 'href="/massage/nj/jersey-city/sciatica"' in page  # a nearby city, same need
    assert re.search(r'href="/massage/nj/hoboken/[a-z-]+">[^<]+ \(\d+\)</a>', page)  # related


def test_a_spanish_landing_page_describes_its_modality_in_spanish(client, world):
    """The need's description, read from vocabulary-es.json as its Spanish name is."""
    page = client.get("/es/massage/nj/hoboken/hot-stone-massage").get_data(as_text=True)
    aside = re.search(r'<aside class="advice advice-info"><p>(.*?)</p></aside>', page).group(1)
    assert "Masaje con piedras calientes:</strong> Se colocan piedras lisas y calientes" in aside
    assert "Smooth heated stones" not in page
    english = world[0].test_client().get("/massage/nj/hoboken/hot-stone-massage")
    assert "Smooth heated stones are placed on and glided over the body" in english.get_data(
        as_text=True
    )


def test_hidden_profiles_make_no_city(client, world):
    app, _ = world
    with app.app_context():
        lone = add_practitioner(
            "lone-unlicensed", licenses=[("NJ", "rejected", None)], offices=["08401"]
        )
        assert lone.offices[0].city == "Atlantic City"
        assert "atlantic-city" not in {c.slug for c in landing.cities("NJ")}
        db.session.delete(db.session.get(Practitioner, lone.id))
        db.session.commit()
    assert client.get("/massage/nj/atlantic-city").status_code == 404


# --- robots.txt, sitemaps, canonical links, descriptions -----------------------------------------


def _xml(client, path):
    from xml.etree import ElementTree

    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    return ElementTree.fromstring(response.data)


NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _sitemap_urls(client) -> dict[str, list[tuple[str, str]]]:
    """Each child sitemap's (loc, lastmod) entries, by its path."""
    found = {}
    for loc in _xml(client, "/sitemap.xml").iter(f"{NS}loc"):
        path = loc.text.removeprefix("https://kneaded.example")
        found[path] = [
            (url.find(f"{NS}loc").text, url.find(f"{NS}lastmod").text)
            for url in _xml(client, path).iter(f"{NS}url")
        ]
    return found


def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for path in ("/dashboard", "/admin", "/api/", "/inquiries/", "/account"):
        assert f"Disallow: {path}" in text
    assert "Sitemap: https://kneaded.example/sitemap.xml" in text


def test_the_sitemaps_list_every_public_page_and_nothing_else(client, world):
    from datetime import date

    app, roster = world
    maps = _sitemap_urls(client)
    assert set(maps) == {
        "/sitemaps/profiles-1.xml",
        "/sitemaps/practices-1.xml",
        "/sitemaps/landing-1.xml",
    }
    for entries in maps.values():
        for loc, lastmod in entries:
            assert loc.startswith("https://kneaded.example/")
            assert date.fromisoformat(lastmod) <= date.today()
    profiles = {loc.rsplit("/", 1)[1] for loc, _ in maps["/sitemaps/profiles-1.xml"]}
    with app.app_context():
        public = {p.slug for p in (db.session.get(Practitioner, p.id) for p in roster.values())
                  if p.is_publicly_visible}  # fmt: skip
    assert profiles == public and "ghost-everything" not in profiles
    practices = [loc for loc, _ in maps["/sitemaps/practices-1.xml"]]
    assert "https://kneaded.example/t/hudson-spine" in practices


def test_every_landing_page_in_the_sitemap_is_full_and_indexable(client):
    entries = _sitemap_urls(client)["/sitemaps/landing-1.xml"]
    paths = [loc.removeprefix("https://kneaded.example") for loc, _ in entries]
    assert "/massage/nj" in paths and "/massage/nj/hoboken" in paths
    assert any(p.startswith("/massage/nj/hoboken/") for p in paths)
    for path in paths:
        html = client.get(path).get_data(as_text=True)
        assert "noindex" not in html, path
        if path.count("/") > 2:
            assert len(_result_slugs(html)) >= landing.THIN, path


def test_child_sitemaps_hold_at_most_the_configured_number_of_urls(client, world):
    app, _ = world
    app.config["SITEMAP_URLS"] = 5
    try:
        maps = _sitemap_urls(client)
        profile_maps = [path for path in maps if path.startswith("/sitemaps/profiles-")]
        assert len(profile_maps) > 1
        assert all(len(maps[path]) <= 5 for path in maps)
        last = max(int(p.rsplit("-", 1)[1].split(".")[0]) for p in profile_maps)
        assert client.get(f"/sitemaps/profiles-{last + 1}.xml").status_code == 404
    finally:
        app.config["SITEMAP_URLS"] = 50_000
    assert client.get("/sitemaps/secrets-1.xml").status_code == 404


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/", "/"),
        ("/guide", "/guide"),
        ("/privacy", "/privacy"),
        ("/p/maria-santos?about=sciatica", "/p/maria-santos"),
        ("/t/hudson-spine", "/t/hudson-spine"),
        ("/search?q=sciatica&near=Hoboken,+NJ&setting=medical", "/search?q=sciatica&near=Hoboken"),
        ("/massage/nj/hoboken?page=1", "/massage/nj/hoboken"),
    ],
)
def test_every_public_page_has_a_canonical_link_a_description_and_open_graph(
    client, path, canonical
):
    html = client.get(path).get_data(as_text=True)
    link = re.search(r'<link rel="canonical" href="([^"]+)">', html)
    href = html_module.unescape(link.group(1)) if link else ""
    assert href.startswith("https://kneaded.example" + canonical), path
    assert "setting" not in href and "about" not in href
    description = re.search(r'<meta name="description" content="([^"]+)">', html)
    assert description and len(description.group(1)) > 40, path
    assert '<meta property="og:title" content="' in html
    assert '<meta property="og:description" content="' in html


def test_search_facet_combinations_are_followed_but_not_indexed(client):
    plain = client.get("/search?q=sciatica&near=Hoboken,+NJ").get_data(as_text=True)
    assert "noindex" not in plain
    faceted = client.get("/search?q=sciatica&near=Hoboken,+NJ&verified=1").get_data(as_text=True)
    assert '<meta name="robots" content="noindex, follow">' in faceted


def test_private_pages_have_no_canonical_link(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="canonical"' not in html


# --- Structured data -------------------------------------------------------------------------


def _json_ld(html: str) -> list[dict]:
    import json

    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_every_profile_carries_a_valid_person(client, world):
    app, roster = world
    with app.app_context():
        public = [db.session.get(Practitioner, p.id) for p in roster.values()]
        public = [(p.slug, p.name, p.tenant.name) for p in public if p.is_publicly_visible]
    for slug, name, practice in public:
        [data] = _json_ld(client.get(f"/p/{slug}").get_data(as_text=True))
        assert data["@context"] == "https://schema.org" and data["@type"] == "Person"
        assert data["name"] == name and data["jobTitle"].startswith("Massage therapist")
        assert data["url"] == f"https://kneaded.example/p/{slug}"
        assert data["worksFor"]["@type"] == "Organization"
        assert data["worksFor"]["name"] == practice
        assert data["knowsLanguage"][0] == "English"
        for credential in data["hasCredential"]:
            assert credential["@type"] == "EducationalOccupationalCredential"
            assert credential["recognizedBy"]["name"]
            # A state license names its number; a verified specialty certificate its kind.
            if credential["credentialCategory"] == "license":
                assert credential["identifier"]
            else:
                assert credential["credentialCategory"] == "certificate" and credential["name"]
        assert "aggregateRating" not in data and "review" not in data


def test_every_practice_page_carries_a_valid_business(client, world):
    app, roster = world
    with app.app_context():
        tenants = {db.session.get(Practitioner, p.id).tenant for p in roster.values()}
        tenants = [(t.slug, t.name, t.kind) for t in tenants if t.is_active]
    for slug, name, kind in tenants:
        [data] = _json_ld(client.get(f"/t/{slug}").get_data(as_text=True))
        assert data["@type"] in ("HealthAndBeautyBusiness", "MedicalBusiness")
        if kind == "spa":
            assert data["@type"] == "HealthAndBeautyBusiness"
        assert data["name"] == name and data["url"] == f"https://kneaded.example/t/{slug}"
        if "address" in data:
            assert data["address"]["@type"] == "PostalAddress"
            assert {"latitude", "longitude"} <= set(data["geo"])
    spine = _json_ld(client.get("/t/hudson-spine").get_data(as_text=True))[0]
    assert spine["@type"] == "MedicalBusiness" and spine["address"]["addressRegion"] == "NJ"


def test_a_rejected_license_number_is_shown_nowhere(client, world):
    app, _ = world
    with app.app_context():
        p = add_practitioner(
            "rita-rejected",
            licenses=[("NJ", "verified", None), ("NY", "rejected", None)],
            offices=["07030"],
        )
        rejected = next(lic.number for lic in p.licenses if lic.status == "rejected")
    try:
        page = client.get("/p/rita-rejected").get_data(as_text=True)
        api = client.get("/api/v1/practitioners/rita-rejected").get_data(as_text=True)
        assert "New York" in page  # the license is shown, as not verified
        assert f"#{rejected}" not in page and f'"identifier": "{rejected}"' not in page
        assert f'"{rejected}"' not in api
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Practitioner, p.id))
            db.session.commit()


def test_landing_sitemap_entries_are_reused_for_a_while(client, world, monkeypatch):
    app, _ = world
    calls = []
    real = landing.indexable
    monkeypatch.setattr(landing, "indexable", lambda: calls.append(1) or real())
    app.config["SITEMAP_CACHE_SECONDS"] = 600
    try:
        app.extensions.pop("sitemaps.plan", None)
        client.get("/sitemap.xml")
        client.get("/sitemaps/landing-1.xml")
        assert len(calls) == 1
        app.config["SITEMAP_CACHE_SECONDS"] = 0
        client.get("/sitemaps/landing-1.xml")
        assert len(calls) == 2
    finally:
        app.config["SITEMAP_CACHE_SECONDS"] = 0
        app.extensions.pop("sitemaps.plan", None)


def _state_counts(client) -> tuple[int, int]:
    page = client.get("/massage/nj").get_data(as_text=True)
    total = re.search(r"(\d+) massage therapists? with an office in", page)
    hoboken = re.search(r'href="/massage/nj/hoboken">Hoboken</a> <span[^>]*>(\d+) therap', page)
    return int(total.group(1)), int(hoboken.group(1))


def test_state_counts_are_kept_until_what_search_lists_changes(client, world, monkeypatch):
    from datetime import timedelta

    from directory import licensing

    app, _ = world
    calls = []
    real = landing._count
    monkeypatch.setattr(landing, "_count", lambda state: calls.append(state) or real(state))
    app.extensions.pop("landing.listing", None)
    before = _state_counts(client)
    assert client.get("/massage/nj/hoboken").status_code == 200
    assert _state_counts(client) == before
    assert calls == ["NJ"]  # counted once for the three pages

    today = licensing.today()
    with app.app_context():
        # Listed until the end of today: its license expires today.
        pid = add_practitioner(
            "hoboken-newcomer", licenses=[("NJ", "verified", today)], offices=["07030"]
        ).id
    try:
        # The total and the city's count beside it move together, at once.
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        with app.app_context():
            db.session.get(Practitioner, pid).suspended = True
            db.session.commit()
        assert _state_counts(client) == before
        with app.app_context():
            db.session.get(Practitioner, pid).suspended = False
            db.session.commit()
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        # Nothing written, but the day turned: the expired license lists nobody.
        monkeypatch.setattr(licensing, "today", lambda: today + timedelta(days=1))
        assert _state_counts(client) == before
        assert len(calls) == 5
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Practitioner, pid))
            db.session.commit()
        app.extensions.pop("landing.listing", None)


@pytest.fixture
def indexer_counts(world, monkeypatch):
    """The landing counts as an indexer keeps them (`counts.refresh` is its chore), writing
    at every poll; gone afterwards, so the module's other tests count for themselves."""
    import shutil

    from directory.public import counts

    app, _ = world
    monkeypatch.setattr(counts, "WRITE_EVERY_SECONDS", 0)

    def poll() -> bool:
        with app.app_context():
            return counts.refresh()

    try:
        yield poll
    finally:
        shutil.rmtree(Path(app.instance_path) / counts.COUNTS_FOLDER, ignore_errors=True)
        for name in ("landing.counts", "landing.counts.keeper", "landing.listing"):
            app.extensions.pop(name, None)


def _refuse_to_count(monkeypatch) -> list[str]:
    """Make any count of a state by the worker fail the request; the states it tried."""
    tried = []

    def refuse(state, on=None):
        tried.append(state)
        raise AssertionError(f"{state} counted in a request")

    monkeypatch.setattr(landing, "_count", refuse)
    return tried


def test_state_and_city_pages_read_the_indexers_counts_without_counting(
    client, world, indexer_counts, monkeypatch
):
    from tests.test_hsds import _sent

    app, _ = world
    before = _state_counts(client)  # counted by this worker: no indexer yet
    assert indexer_counts() is True
    _refuse_to_count(monkeypatch)
    with _sent(app) as sent:
        assert _state_counts(client) == before
    assert sent == []  # not even the outbox's generation: the page reads one file
    assert client.get("/massage/nj/hoboken").status_code == 200
    assert client.get("/massage/nj/hoboken/sciatica").status_code == 200
    assert client.get("/massage/nj/no-such-city").status_code == 404
    # A state nobody is listed in has a file too: its page is a 404 without a count.
    assert client.get("/massage/wy").status_code == 404


def test_kept_counts_follow_each_change_once_the_indexer_takes_it_in(
    client, world, indexer_counts, monkeypatch
):
    from datetime import timedelta

    from directory import licensing
    from directory.practitioners.models import Office

    app, _ = world
    before = _state_counts(client)
    indexer_counts()
    today = licensing.today()
    with app.app_context():
        pid = add_practitioner(
            "hoboken-regular", licenses=[("NJ", "verified", today), ("NY", "verified", None)],
            offices=["07030"],
        ).id  # fmt: skip
    tried = _refuse_to_count(monkeypatch)
    try:
        # Until the indexer takes the change in, the page says what its file says.
        assert _state_counts(client) == before
        indexer_counts()
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        with app.app_context():
            db.session.get(Practitioner, pid).published = False
            db.session.commit()
        indexer_counts()
        assert _state_counts(client) == before
        with app.app_context():
            db.session.get(Practitioner, pid).published = True
            db.session.commit()
        indexer_counts()
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        # The office moves to New York: New Jersey's file is rewritten although nothing in
        # the database ties the practitioner to New Jersey any more.
        with app.app_context():
            office = db.session.scalars(select(Office).filter_by(practitioner_id=pid)).one()
            office.state, office.city, office.zip = "NY", "New York", "10001"
            db.session.commit()
        indexer_counts()
        assert _state_counts(client) == before
        with app.app_context():
            office = db.session.scalars(select(Office).filter_by(practitioner_id=pid)).one()
            office.state, office.city, office.zip = "NJ", "Hoboken", "07030"
            db.session.commit()
        indexer_counts()
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        assert tried == []
        # The day turns and its NJ license has expired: yesterday's file is not read (the
        # worker counts), and the indexer counts every state again for the new day.
        monkeypatch.undo()
        monkeypatch.setattr(licensing, "today", lambda: today + timedelta(days=1))
        assert _state_counts(client) == before
        indexer_counts()
        tried = _refuse_to_count(monkeypatch)
        assert _state_counts(client) == before
        assert tried == []
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Practitioner, pid))
            db.session.commit()


def test_the_indexer_writes_a_changed_state_at_most_every_few_seconds(
    client, world, indexer_counts, monkeypatch
):
    from directory.public import counts

    app, _ = world
    indexer_counts()
    monkeypatch.setattr(counts, "WRITE_EVERY_SECONDS", 3600)
    before = _state_counts(client)
    with app.app_context():
        pid = add_practitioner("hoboken-burst", licenses=[("NJ", "verified", None)],
                               offices=["07030"]).id  # fmt: skip
    try:
        assert indexer_counts() is False  # taken in, not written yet
        assert _state_counts(client) == before
        monkeypatch.setattr(counts, "WRITE_EVERY_SECONDS", 0)
        assert indexer_counts() is True
        assert _state_counts(client) == (before[0] + 1, before[1] + 1)
        assert indexer_counts() is False  # nothing new: nothing written
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Practitioner, pid))
            db.session.commit()


def test_without_an_indexer_keeping_the_counts_a_worker_counts_itself(
    client, world, indexer_counts, monkeypatch
):
    from directory.public import counts

    app, _ = world
    indexer_counts()
    manifest = Path(app.instance_path) / counts.COUNTS_FOLDER / counts.MANIFEST
    old = time.time() - counts.STALE_SECONDS - 5
    os.utime(manifest, (old, old))  # its indexer stopped a while ago
    tried = _refuse_to_count(monkeypatch)
    assert client.get("/massage/nj").status_code == 500
    assert tried == ["NJ"]
    manifest.unlink()  # or never ran (`flask run`)
    tried.clear()
    assert client.get("/massage/nj").status_code == 500
    assert tried == ["NJ"]


def test_a_state_file_is_replaced_whole_or_not_at_all(world, indexer_counts, monkeypatch):
    from directory import atomic
    from directory.public import counts

    app, _ = world
    indexer_counts()
    path = Path(app.instance_path) / counts.COUNTS_FOLDER / "NJ.json"
    kept = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(OSError):
        atomic.replace(path, b'{"day": "half')
    assert path.read_bytes() == kept
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []
    monkeypatch.undo()
    # A file that does not parse is not served: the worker counts.
    path.write_bytes(b'{"day": "half')
    with app.test_request_context():
        assert counts.kept("NJ") is None


def test_child_sitemaps_are_packed_in_id_order_whatever_their_size(client, world):
    """Keyset pages hold what OFFSET pages held: every public profile once, by id, each child
    full but the last."""
    app, _ = world
    app.config["SITEMAP_URLS"] = 3
    try:
        maps = _sitemap_urls(client)
        listed = [maps[f"/sitemaps/profiles-{n}.xml"] for n in range(1, len(maps) + 1)
                  if f"/sitemaps/profiles-{n}.xml" in maps]  # fmt: skip
    finally:
        app.config["SITEMAP_URLS"] = 50_000
    assert all(len(page) == 3 for page in listed[:-1]) and 1 <= len(listed[-1]) <= 3
    with app.app_context():
        public = [p.slug for p in db.session.scalars(select(Practitioner).order_by(Practitioner.id))
                  if p.is_publicly_visible]  # fmt: skip
    assert [loc.rsplit("/", 1)[1] for page in listed for loc, _ in page] == public


def test_sitemap_urls_are_built_as_url_for_builds_them(world):
    from flask import url_for

    from directory.public import sitemaps

    app, _ = world
    updated = datetime(2026, 1, 2, 3, 4)
    with app.test_request_context():
        for slug in ("anna-lee", "odd slug&<>/?é"):
            assert sitemaps._pages("practitioners.show", [(slug, updated)]) == [
                (url_for("practitioners.show", slug=slug), "2026-01-02")
            ]


@pytest.fixture
def planned(world, monkeypatch):
    """Sitemap plans kept for 600 s, landing.indexable() calls counted; the plan file and the
    kept plans are gone after."""
    from directory.public import sitemaps

    app, _ = world
    calls = []
    real = landing.indexable
    monkeypatch.setattr(landing, "indexable", lambda: calls.append(1) or real())
    app.config["SITEMAP_CACHE_SECONDS"] = 600
    app.extensions.pop("sitemaps.plan", None)
    path = Path(app.instance_path) / sitemaps.PLAN_FILE
    path.unlink(missing_ok=True)
    try:
        yield calls, path
    finally:
        app.config["SITEMAP_CACHE_SECONDS"] = 0
        app.extensions.pop("sitemaps.plan", None)
        path.unlink(missing_ok=True)
        shutil.rmtree(Path(app.instance_path) / sitemaps.FILES_DIR, ignore_errors=True)


def test_the_indexer_writes_the_sitemap_plan_and_workers_serve_it(client, world, planned):
    from directory.public import sitemaps

    app, _ = world
    calls, path = planned
    expected = _sitemap_urls(client)  # no file: this worker builds the plan
    assert len(calls) == 1
    app.extensions.pop("sitemaps.plan", None)
    with app.app_context():
        assert sitemaps.refresh_if_due() is True  # what the indexer does each poll
        assert sitemaps.refresh_if_due() is False  # not due again for 600 s
    assert len(calls) == 2 and path.exists()
    assert _sitemap_urls(client) == expected
    assert len(calls) == 2  # served from the file: no worker built anything
    # A new file is read at once; the indexer rebuilds one SITEMAP_CACHE_SECONDS old.
    with app.app_context():
        plan = sitemaps.build(50_000)
        sitemaps.write(sitemaps.Plan(plan.size, [("/massage/zz", "2026-01-01")], plan.starts))
    assert "https://kneaded.example/massage/zz" in client.get("/sitemaps/landing-1.xml").text
    old = time.time() - 601
    os.utime(path, (old, old))
    with app.app_context():
        assert sitemaps.refresh_if_due() is True
    assert _sitemap_urls(client) == expected


@pytest.mark.parametrize("problem", ["missing", "stale", "unreadable", "another size"])
def test_without_a_plan_file_to_trust_workers_answer_from_the_data(client, world, planned, problem):
    from directory.public import sitemaps

    app, _ = world
    calls, path = planned
    with app.app_context():
        plan = sitemaps.build(50_000)
    expected = _sitemap_urls(client)
    app.extensions.pop("sitemaps.plan", None)
    calls.clear()
    wrong = sitemaps.Plan(plan.size, [("/massage/zz", "2026-01-01")], plan.starts)
    with app.app_context():
        sitemaps.write(wrong)
        if problem == "missing":
            path.unlink()
        elif problem == "stale":  # its indexer has not written it for 3 x 600 s
            old = time.time() - 1801
            os.utime(path, (old, old))
        elif problem == "unreadable":
            path.write_text("{")
        else:  # made before SITEMAP_URLS changed
            sitemaps.write(sitemaps.Plan(10, wrong.landing, plan.starts))
    assert _sitemap_urls(client) == expected
    assert len(calls) == 1  # built here once, then kept


def test_a_profile_hidden_after_the_plan_was_made_leaves_its_sitemap_at_once(
    client, world, planned
):
    from directory.public import sitemaps

    app, roster = world
    with app.app_context():
        sitemaps.refresh_if_due()
        found = (db.session.get(Practitioner, p.id) for p in roster.values())
        shown = next(p for p in found if p.is_publicly_visible)
        pid, slug = shown.id, shown.slug
        assert f"/p/{slug}<" in client.get("/sitemaps/profiles-1.xml").text
        shown.published = False
        db.session.commit()
    try:
        assert f"/p/{slug}<" not in client.get("/sitemaps/profiles-1.xml").text
    finally:
        with app.app_context():
            db.session.get(Practitioner, pid).published = True
            db.session.commit()
    assert f"/p/{slug}<" in client.get("/sitemaps/profiles-1.xml").text


FILED = ("profiles", "practices")


def _children(client) -> dict[str, bytes]:
    """Each child sitemap of profiles and practices the index names, as served: path -> body."""
    locs = [loc.text for loc in _xml(client, "/sitemap.xml").iter(f"{NS}loc")]
    paths = [urlsplit(loc).path for loc in locs if "/landing-" not in loc]
    return {path: client.get(path).data for path in paths}


def _from_the_data(client, monkeypatch) -> dict[str, bytes]:
    """The same child sitemaps as the database answers them, without the files."""
    from directory.public import sitemaps

    with monkeypatch.context() as patched:
        patched.setattr(sitemaps, "served", lambda *args: None)
        return _children(client)


@pytest.fixture
def read_from_data(monkeypatch):
    """Child sitemaps of profiles and practices read from the database: a kind per read."""
    from directory.public import sitemaps

    reads = []
    for kind in FILED:
        real = sitemaps.SOURCES[kind]
        reading = lambda *a, kind=kind, real=real: reads.append(kind) or real(*a)  # noqa: E731
        monkeypatch.setitem(sitemaps.SOURCES, kind, reading)
    return reads


def test_child_sitemaps_are_served_from_the_indexers_files_as_the_data_says(
    client, world, planned, read_from_data
):
    from directory.public import sitemaps

    app, _ = world
    app.config["SITEMAP_URLS"] = 3  # several children of each kind, the last partly full
    try:
        expected = _children(client)  # no plan file yet: from the data
        assert sorted(set(read_from_data)) == sorted(FILED) and len(read_from_data) > 2
        read_from_data.clear()
        with app.app_context():
            assert sitemaps.refresh_if_due() is True
            plan = sitemaps.current()
        folder = Path(app.instance_path) / sitemaps.FILES_DIR / plan.files
        assert sorted(p.name for p in folder.glob("*.xml")) == sorted(
            path.rsplit("/", 1)[1] for path in expected
        )
        assert _children(client) == expected
        assert read_from_data == []  # every child came from its file
    finally:
        app.config["SITEMAP_URLS"] = 50_000


def test_child_sitemap_files_follow_every_change_since_they_were_written(
    client, world, planned, read_from_data, monkeypatch
):
    """Renamed, added and deleted profiles, and the practices they list: the file-served
    children say what the data says after each change, without reading a child from the data."""
    from directory.practices.models import Tenant
    from directory.public import sitemaps

    app, roster = world
    with app.app_context():
        solo = Tenant(slug="solo-practice", name="Solo Practice")
        solo_id = add_practitioner(
            "solo-at-build", tenant=solo, licenses=[("NJ", "verified", None)], offices=["07030"]
        ).id
        sitemaps.refresh_if_due()
        shown = next(p for p in (db.session.get(Practitioner, p.id) for p in roster.values())
                     if p.is_publicly_visible)  # fmt: skip
        pid, slug = shown.id, shown.slug

    def listed() -> str:
        """Every child, as served from the files (checked against the data's answer)."""
        read_from_data.clear()
        served = _children(client)
        assert read_from_data == []  # from the files
        assert served == _from_the_data(client, monkeypatch)
        return b"".join(served.values()).decode()

    assert f"/p/{slug}<" in listed() and "/t/solo-practice<" in listed()
    try:
        with app.app_context():
            db.session.get(Practitioner, pid).slug = "renamed-since"
            db.session.commit()
        text = listed()
        assert "/p/renamed-since<" in text and f"/p/{slug}<" not in text
        with app.app_context():
            added = add_practitioner(
                "newcomer-since",
                tenant=Tenant(slug="newcomer-practice", name="Newcomer Practice"),
                licenses=[("NJ", "verified", None)],
                offices=["07030"],
            ).id
        text = listed()
        assert "/p/newcomer-since<" in text and "/t/newcomer-practice<" in text
        with app.app_context():
            for gone in (added, solo_id):  # the last profile each practice listed
                db.session.delete(db.session.get(Practitioner, gone))
            db.session.commit()
        text = listed()
        assert "/p/newcomer-since<" not in text and "/t/newcomer-practice<" not in text
        assert "/p/solo-at-build<" not in text and "/t/solo-practice<" not in text
    finally:
        with app.app_context():
            db.session.get(Practitioner, pid).slug = slug
            for tenant in ("solo-practice", "newcomer-practice"):
                db.session.execute(delete(Tenant).where(Tenant.slug == tenant))
            db.session.commit()
    assert f"/p/{slug}<" in listed()


@pytest.mark.parametrize(
    "problem",
    ["no file", "another PUBLIC_URL", "too many changes", "outbox went back", "last child full"],
)
def test_without_a_child_sitemap_file_to_trust_the_data_answers(
    client, world, planned, read_from_data, monkeypatch, problem
):
    from dataclasses import replace

    from directory.public import sitemaps

    app, _ = world
    with app.app_context():
        public = len(db.session.execute(sitemaps.profile_ids()).all())
    if problem == "last child full":
        app.config["SITEMAP_URLS"] = public  # one child of profiles, full
    added = None
    try:
        with app.app_context():
            sitemaps.refresh_if_due()
            plan = sitemaps.current()
            if problem == "no file":
                shutil.rmtree(Path(app.instance_path) / sitemaps.FILES_DIR / plan.files)
            elif problem == "another PUBLIC_URL":
                app.config["PUBLIC_URL"] = "https://elsewhere.example"
            elif problem == "too many changes":
                monkeypatch.setattr(sitemaps, "MAX_CHANGED", 0)
            elif problem == "outbox went back":  # a restored or replaced database
                sitemaps.write(replace(plan, mark=plan.mark + 10**6))
            else:  # one more profile than a child holds
                added = add_practitioner(
                    "one-too-many", licenses=[("NJ", "verified", None)], offices=["07030"]
                ).id
        served = _children(client)
        assert "profiles" in read_from_data  # the data answered
        if problem != "last child full":  # (the practices still fit)
            assert "practices" in read_from_data
        assert served == _from_the_data(client, monkeypatch)
        if problem == "another PUBLIC_URL":
            assert b"https://elsewhere.example/p/" in served["/sitemaps/profiles-1.xml"]
    finally:
        app.config["SITEMAP_URLS"] = 50_000
        app.config["PUBLIC_URL"] = "https://kneaded.example"
        if added:
            with app.app_context():
                db.session.delete(db.session.get(Practitioner, added))
                db.session.commit()


def test_the_indexer_keeps_the_child_sitemap_files_of_two_plans_at_most(world, planned):
    from directory.public import sitemaps

    app, _ = world
    folders = Path(app.instance_path) / sitemaps.FILES_DIR
    made = []
    with app.app_context():
        for _ in range(3):
            if planned[1].exists():  # due at once
                old = time.time() - 601
                os.utime(planned[1], (old, old))
            assert sitemaps.refresh_if_due() is True
            made.append(sitemaps.current().files)
    assert len(set(made)) == 3
    assert sorted(p.name for p in folders.iterdir()) == sorted(made[1:])


def test_a_states_count_reads_its_offices_by_the_state_index(app):
    """Counting a state read every office of the country three times (the count and its two
    totals): 100,000 more with the listings seeded beside the demo's profiles."""
    from directory.public import counts

    with app.app_context():
        statement = counts.count_query("NJ")
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            if DATABASE_URL:
                # A test table is small enough that a scan is cheaper: ask for the index's plan.
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
                # No office read but by an index: the state's (a bare table) or, once the
                # table holds rows, each of the state's licensed practitioners' offices.
                assert "Seq Scan on office" not in plan, plan
                assert "ix_office_state" in plan or "ix_office_practitioner_id" in plan, plan
            else:
                plan = "\n".join(
                    row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                )
                assert "SCAN office" not in plan, plan
                assert "ix_office_state" in plan, plan
