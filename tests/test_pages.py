"""The home page, the guide and the public profile."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from directory.db import db
from directory.practitioners import profiles
from directory.vocabulary import Condition, Modality
from tests.conftest import DATABASE_URL


def test_home_has_the_search_form_and_an_empty_state(client):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in page and 'name="q"' in page and 'name="near"' in page
    assert "No profiles yet" in page
    # Works without JavaScript (a plain GET form) and loads nothing third-party: the only
    # script is our own, deferred, an enhancement that drops blank fields before submitting.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all(
        re.fullmatch(r' src="/static/[\w.-]+\.js(\?[^"]*)?" defer', attrs) and not body.strip()
        for attrs, body in scripts
    ), scripts


@pytest.mark.parametrize("path", ["/", "/guide", "/search?q=sciatica", "/login", "/nowhere"])
def test_every_page_names_an_icon_that_is_there(client, path):
    page = client.get(path).get_data(as_text=True)
    [icon] = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    with client.get(icon) as response:  # a static file: closed, or it warns
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data


def test_home_lists_recently_updated_visible_profiles(client, make_practitioner):
    make_practitioner("alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"])
    make_practitioner(
        "hidden-one", published=False, licenses=[("NJ", "verified", None)], offices=["07030"]
    )
    page = client.get("/").get_data(as_text=True)
    assert "/p/alexa-marie" in page
    assert "Hoboken, NJ" in page
    assert "hidden-one" not in page
    # The home page knows nobody's location: it says these are from anywhere, and how to get
    # nearby ones, rather than implying they are near.
    assert "Recently updated, from across the country" in page
    assert "Say where you are in the search above" in page


def test_recently_updated_reads_an_index_instead_of_sorting_everyone(app):
    with app.app_context():
        statement = profiles.recently_updated_query(18)
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            if DATABASE_URL:
                # A test table is small enough that a sort is cheaper: ask for the index's plan.
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_sort = off")
                plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
            else:
                plan = "\n".join(
                    row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
                )
    # SQLite takes the claimed-profiles index; PostgreSQL, on a test table with no
    # statistics, may walk (updated_at, id) and filter: either reads in order, unsorted.
    assert "ix_practitioner_claimed_updated_at_id" in plan or (
        DATABASE_URL and "ix_practitioner_updated_at_id" in plan
    )
    assert "TEMP B-TREE" not in plan and "Sort" not in plan.replace("Incremental Sort", "")


def test_guide_explains_spa_and_medical(client):
    page = client.get("/guide").get_data(as_text=True)
    assert "Spa or medical massage" in page
    assert "Sciatica" in page and "Swedish massage" in page


def _full_profile(make_practitioner):
    p = make_practitioner(
        "alexa-marie",
        name="Alexa Marie",
        credentials="LMT",
        headline="Medical massage for sciatica",
        bio="First paragraph.\nSecond paragraph.",
        phone="(201) 555-0143",
        website="https://alexa.example.com",
        price_min=90,
        price_max=140,
        session_lengths=[60, 90],
        languages=["Spanish"],
        licenses=[
            ("NJ", "verified", None),
            ("NY", "pending", None),
            ("FL", "verified", date.today() - timedelta(days=1)),
        ],
        offices=["07030", "10001", "33101"],
    )
    p.conditions = [db.session.scalar(select(Condition).where(Condition.slug == "sciatica"))]
    p.modalities = [
        db.session.scalar(select(Modality).where(Modality.slug == "myofascial-release"))
    ]
    db.session.commit()
    return p


def test_profile_shows_everything_public(client, make_practitioner):
    _full_profile(make_practitioner)
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    for text in (
        "Alexa Marie",
        "LMT",
        "Medical massage for sciatica",
        "Second paragraph.",
        "Sciatica",
        "Myofascial release",
        "(201) 555-0143",
        "https://alexa.example.com",
        "$90\u2013$140",
        "60 min, 90 min",
        "Spanish",
        "The Crafted Hand",
        "New Jersey Board of Massage and Bodywork Therapy",
        "https://newjersey.mylicense.com/verification/",
    ):
        assert text in page, text


def test_physician_referrals_are_said_plainly(client, make_practitioner):
    for slug, accepts, said in (("ana-takes", True, "Accepted"), ("bo-not", False, "Not accepted")):
        make_practitioner(slug, accepts_physician_referrals=accepts)
        page = client.get(f"/p/{slug}").get_data(as_text=True)
        assert f"<dt>Physician referral</dt><dd>{said}</dd>" in page


def test_profile_licenses_and_offices_are_honest(client, make_practitioner):
    _full_profile(make_practitioner)
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    # NJ verified: its office has the badge. NY pending: listed, no badge. FL expired: not listed.
    assert "Verified NJ license" in page
    assert "NY license not yet verified" in page
    assert "Verified NY license" not in page
    assert "33101" not in page
    assert "Expired</span> on" in page
    assert "Not yet verified" in page


def test_profile_without_a_listable_office_says_why(client, make_practitioner):
    make_practitioner("bo-chen", licenses=[("NY", "rejected", None)], offices=["10001"])
    page = client.get("/p/bo-chen").get_data(as_text=True)
    assert "No office is listed" in page
    assert "Could not be verified" in page
    assert "badge-verified" not in page.split("<footer")[0]


def test_profile_is_404_unless_publicly_visible(client, make_practitioner):
    p = make_practitioner("alexa-marie")
    assert client.get("/p/alexa-marie").status_code == 200
    p.published = False
    db.session.commit()
    assert client.get("/p/alexa-marie").status_code == 404
    p.published, p.suspended = True, True
    db.session.commit()
    assert client.get("/p/alexa-marie").status_code == 404
    p.suspended = False
    p.tenant.status = "suspended"
    db.session.commit()
    assert client.get("/p/alexa-marie").status_code == 404


def test_profile_escapes_user_text(client, make_practitioner):
    make_practitioner("alexa-marie", name="<script>alert(1)</script>")
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("answers", "search"),
    [
        ({"aim": "relax", "near": "Hoboken, NJ"},
         {"q": "relaxing massage", "near": "Hoboken, NJ", "setting": "spa"}),
        ({"aim": "fix", "area": "leg", "near": "07030", "pressure": "firm"},
         {"q": "sciatica", "near": "07030", "setting": "medical"}),
        ({"aim": "relax", "pressure": "firm"}, {"q": "relaxing massage deep tissue",
                                                "setting": "spa"}),
        ({"aim": "fix", "area": "surgery", "near": " Hoboken,   NJ "},
         {"q": "swelling after surgery", "near": "Hoboken, NJ", "setting": "medical"}),
        ({"aim": "unsure", "area": "stress"}, {"q": "stress relief"}),
        ({"aim": "relax", "area": "neck", "pressure": "light"},
         {"q": "neck pain", "setting": "spa"}),
        ({"aim": "unsure"}, {}),
        # The pressure shapes the search: gentle is the spa's work, firm and deep the medical's.
        ({"aim": "unsure", "pressure": "light"}, {"setting": "spa"}),
        ({"aim": "unsure", "pressure": "firm"}, {"q": "deep tissue", "setting": "medical"}),
        ({"aim": "unsure", "area": "neck", "pressure": "firm"},
         {"q": "neck pain", "setting": "medical"}),
        ({"aim": "unsure", "area": "neck", "pressure": "medium"}, {"q": "neck pain"}),
        # A need that names its setting is not searched in the other one.
        ({"aim": "relax", "area": "leg"}, {"q": "sciatica", "setting": "medical"}),
        ({"aim": "unsure", "area": "leg", "pressure": "light"},
         {"q": "sciatica", "setting": "medical"}),
    ],
)  # fmt: skip
def test_the_guide_leads_into_the_search_its_answers_call_for(client, answers, search):
    from urllib.parse import parse_qsl, urlsplit

    response = client.get("/guide/find", query_string=answers)
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/search" and dict(parse_qsl(target.query)) == search
    # And the search understands it.
    assert client.get(response.location).status_code == 200


def test_every_guide_answer_searches_the_setting_its_heading_names(app):
    """Whatever the answers, the search's setting never contradicts the heading its words
    give (the need's own setting, as the results page's heading says it)."""
    from itertools import product

    from directory.interpret import interpret
    from directory.public.views import AIMS, AREAS, PRESSURES, guide_search

    with app.app_context():
        for aim, area, pressure in product(AIMS, AREAS, PRESSURES):
            answers = {"aim": aim[0], "area": area[0], "pressure": pressure[0]}
            query, errors = guide_search(answers)
            named = interpret(query.get("q", "")).setting
            assert not errors and not (named and query.get("setting") not in (None, named)), (
                answers, query,
            )  # fmt: skip


def test_the_guide_asks_its_questions_without_javascript(client):
    page = client.get("/guide").get_data(as_text=True)
    assert 'action="/guide/find"' in page and 'method="get"' in page
    assert page.count('name="aim"') == 3 and 'name="area"' in page and 'name="pressure"' in page
    assert "Show me therapists" in page


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"aim": "party"}, "Choose what you want from the massage."),
        ({"aim": "fix", "area": "elbow"}, "Choose one of the areas listed."),
        ({"aim": "fix", "pressure": "crushing"}, "Choose one of the pressures listed."),
        ({"aim": "fix", "near": "x" * 101}, "at most 100 characters"),
    ],
)
def test_the_guide_refuses_answers_it_did_not_offer_and_keeps_the_rest(client, answers, message):
    response = client.get(
        "/guide/find", query_string={**answers, "near": answers.get("near", "Hoboken, NJ")}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if "near" not in answers:
        assert 'value="Hoboken, NJ"' in page


@pytest.mark.parametrize(
    "url", ["http://book.example.com/me", "javascript:alert(1)", "https://", "book.example.com"]
)
def test_a_booking_link_must_be_https(url):
    from directory.practitioners import fields

    with pytest.raises(ValueError, match="https://"):
        fields.BY_NAME["booking_url"].parse(url)


def test_a_booking_link_shows_as_book_online_on_the_profile_card_and_api(client, make_practitioner):
    make_practitioner(
        "alexa-marie", licenses=[("NJ", "verified", None)], offices=["07030"],
        booking_url="https://book.example.com/alexa",
    )  # fmt: skip
    make_practitioner("bo-chen", licenses=[("NJ", "verified", None)], offices=["07030"])
    page = client.get("/p/alexa-marie").get_data(as_text=True)
    assert (
        'href="https://book.example.com/alexa" rel="noopener nofollow ugc external">Book online'
        in page
    )
    assert "Book online" not in client.get("/p/bo-chen").get_data(as_text=True)
    assert client.get("/api/v1/practitioners/alexa-marie").json["booking_url"] == (
        "https://book.example.com/alexa"
    )
    found = client.get("/api/v1/search", query_string={"near": "07030"}).json["results"]
    assert {r["slug"]: r["booking_url"] for r in found} == {
        "alexa-marie": "https://book.example.com/alexa", "bo-chen": None}  # fmt: skip
    results = client.get("/search", query_string={"near": "07030"}).get_data(as_text=True)
    assert results.count(">Book online</a>") == 1
