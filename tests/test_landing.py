"""Landing pages (/massage/<state>[/<city>[/<need>]]): searches by another name, honest and
never thin for search engines. One world for the module: the relevance roster around Hoboken."""

import re

import pytest

from directory import vocabulary
from directory.db import db
from directory.practitioners.models import Practitioner
from directory.public import landing
from directory.search import sync
from tests.conftest import _prepare_database, add_practitioner, make_app
from tests.test_relevance import build_roster


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("landing"), PUBLIC_URL="https://kneaded.example")
    with app.app_context():
        _prepare_database()
        vocabulary.sync()
        db.session.commit()
        roster = build_roster(add_practitioner)
        yield app, roster
        sync.store().close()
        db.session.remove()
        db.engine.dispose()


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


def test_the_introduction_is_written_from_the_data(client):
    page = client.get("/massage/nj/hoboken/sciatica").get_data(as_text=True)
    count = len(_result_slugs(page))
    assert re.search(
        rf"{count} massage therapists? within 10 miles of Hoboken, NJ treat sciatica", page
    )
    assert "verified New Jersey license" in page
    # Each therapist counted once by setting: the counts add up to the total.
    settings = re.search(r"treat sciatica: ([^.]+)\.", page).group(1)
    assert sum(int(n) for n in re.findall(r"(\d+) ", settings)) == count
    assert 'href="/massage/nj/jersey-city/sciatica"' in page  # a nearby city, same need
    assert re.search(r'href="/massage/nj/hoboken/[a-z-]+">[^<]+ \(\d+\)</a>', page)  # related


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
